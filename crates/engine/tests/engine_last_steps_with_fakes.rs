//! The engine's last steps against the fakes of `fake_aws`: retention in the same change set as
//! a new version, parameters only where the AMI is launchable and versioned ones never
//! overwritten, and the final check of what buyers see. Assertions are on end state.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod fake_aws;

use amipub_domain::release::{FailureKind, State};
use amipub_engine::PortError;
use amipub_testkit::fakes::{MemoryBuyers, restricted_by};
use fake_aws::*;

#[tokio::test]
async fn retention_restricts_the_oldest_in_the_same_change_set_as_the_new_version() {
    let e = engine(Fake::default());
    let mut now = 0;
    for (i, v) in ["41.1", "41.2", "41.3", "41.4", "41.5"].iter().enumerate() {
        e.submit(release(&format!("r{i}"), v, "ami-06b2596588ff27750"), now)
            .await
            .unwrap();
        now = settle(&e, now).await + 60;
    }
    let w = e.ports().w();
    let restricts: Vec<Vec<String>> = w.started.iter().map(restricted_by).collect();
    // keep_latest = 3 in the example spec: the 4th and 5th versions retire the 1st and 2nd.
    assert_eq!(
        restricts,
        [
            vec![],
            vec![],
            vec![],
            vec!["opt-41.1".to_owned()],
            vec!["opt-41.2".to_owned()]
        ]
    );
    assert_eq!(w.started.len(), 5, "one change set per version");
}

#[tokio::test]
async fn parameters_skip_regions_where_the_ami_is_not_launchable() {
    let fake = Fake::default();
    // eu-west-1's AMI is found at once but is not launchable by the time the last Region's
    // appears, hours later: seen that long ago, it is asked again before any write.
    fake.w().unlaunchable.push("eu-west-1".into());
    fake.w().appears_at_look.insert("ap-south-1".into(), 20);
    let (e, r, _) = one_release(fake).await;
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    let w = e.ports().w();
    assert!(w.params.keys().all(|(region, _)| region != "eu-west-1"));
    assert_eq!(
        w.params.len(),
        4,
        "two parameters in each of the two other Regions"
    );
    let verified = r.verification.unwrap();
    assert!(
        verified.starts_with("2 of 3 Regions verified"),
        "{verified}"
    );
    assert!(verified.contains("eu-west-1"), "{verified}");
}

#[tokio::test]
async fn a_versioned_parameter_is_never_overwritten() {
    let fake = Fake::default();
    fake.w().params.insert(
        ("us-east-1".into(), "/fedora/cloud/41/x86_64/41.1".into()),
        "ami-0someoneelse00000".into(),
    );
    let (e, r, _) = one_release(fake).await;
    assert_eq!(r.state, State::Failed);
    let f = r.failure.unwrap();
    assert_eq!(f.kind, FailureKind::InvalidInput);
    assert!(
        f.detail.contains("versioned parameters never change"),
        "{}",
        f.detail
    );
    assert_eq!(
        e.ports()
            .w()
            .params
            .get(&("us-east-1".into(), "/fedora/cloud/41/x86_64/41.1".into())),
        Some(&"ami-0someoneelse00000".to_owned())
    );
}

fn listed(title: &str, alias: &str, os: &str) -> amipub_domain::lifecycle::buyer::BuyerVersion {
    use amipub_domain::lifecycle::buyer::{BuyerOs, BuyerVersion};
    BuyerVersion {
        title: title.into(),
        ami_alias: Some(alias.into()),
        os: vec![BuyerOs {
            name: os.into(),
            version: Some("41".into()),
        }],
    }
}

#[tokio::test]
async fn the_published_announcement_carries_the_ami_alias_and_the_final_check_reads_buyers_view() {
    let fake = Fake::default();
    let alias = "/aws/service/marketplace/prod-fedoracbx8664/41.1";
    fake.buyers
        .list("prod-fedoracbx8664", listed("41.1", alias, "Fedora"));
    let (e, r, _) = one_release(fake).await;
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    let verified = r.verification.unwrap();
    assert!(
        verified.ends_with("buyer's view: 41.1 listed as published"),
        "{verified}"
    );
    let outbox = e.ports().store.outbox();
    let published = outbox
        .iter()
        .find(|a| a.schema == "amipub.release.published.v1")
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&published.body).unwrap();
    assert_eq!(body["ami_alias"], alias);
}

/// The final check of release 41.1 with the buyer's view `set_up` made; the release is Done.
async fn final_check_with(set_up: impl Fn(&MemoryBuyers)) -> String {
    let fake = Fake::default();
    set_up(&fake.buyers);
    let (e, r, _) = one_release(fake).await;
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    assert!(e.ports().buyers.looks() >= 1);
    r.verification.unwrap()
}

#[tokio::test]
async fn what_buyers_do_not_see_is_reported_without_failing_the_release() {
    let product = "prod-fedoracbx8664";
    // Shown, but without the version.
    let words = final_check_with(|b| b.show(product)).await;
    assert!(
        words.contains("buyer's view Incorrect for 41.1: not listed to buyers"),
        "{words}"
    );
    // Listed under another alias.
    let wrong = "/aws/service/marketplace/prod-fedoracbx8664/41";
    let words = final_check_with(|b| b.list(product, listed("41.1", wrong, "FEDORA"))).await;
    let want = format!("buyer's view Incorrect for 41.1: alias {wrong} (expected");
    assert!(words.contains(&want), "{words}");
    // Unreadable.
    let denied = PortError::new(
        FailureKind::AccessDenied,
        "ListFulfillmentOptions: AccessDeniedException",
    );
    let words = final_check_with(|b| b.fail_with(Some(denied.clone()))).await;
    assert!(
        words.contains("buyer's view unreachable: ListFulfillmentOptions: AccessDeniedException"),
        "{words}"
    );
}
