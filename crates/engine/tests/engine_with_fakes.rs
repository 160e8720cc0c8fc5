//! The engine against in-memory fakes with state and failure knobs (`fake_aws`): whole
//! releases, the product lock queue, foreign locks, scan failure and retry, rejection, transient
//! errors, and a restart in the middle of a release. Assertions are on end state (HOUSE_STYLE
//! rule 14).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod fake_aws;

use amipub_domain::release::{Event, FailureKind, State};
use amipub_engine::Engine;
use fake_aws::*;

#[tokio::test]
async fn a_release_goes_from_source_to_announcement() {
    let e = engine(Fake::default());
    e.submit(release("r1", "41.20241027.0", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    assert_eq!(r.regions.len(), 3);
    let w = e.ports().w();
    assert_eq!(w.copies.len(), 1);
    assert_eq!(w.started.len(), 1);
    assert_eq!(
        w.params
            .get(&("eu-west-1".into(), "/fedora/cloud/41/x86_64/latest".into())),
        Some(&"ami-mp-41.20241027.0-eu-west-1".to_owned())
    );
    assert_eq!(
        w.params.get(&(
            "eu-west-1".into(),
            "/fedora/cloud/41/x86_64/41.20241027.0".into()
        )),
        Some(&"ami-mp-41.20241027.0-eu-west-1".to_owned())
    );
    drop(w);
    let outbox = e.ports().store.outbox();
    let schemas: Vec<&str> = outbox.iter().map(|a| a.schema.as_str()).collect();
    assert_eq!(
        schemas,
        ["amipub.release.submitted.v1", "amipub.release.published.v1"]
    );
    let body: serde_json::Value = serde_json::from_str(&outbox[1].body).unwrap();
    assert_eq!(
        body["marketplace_regions"]["ap-south-1"],
        "ami-mp-41.20241027.0-ap-south-1"
    );
    let timeline = e.ports().store.timeline("r1");
    assert_eq!(timeline.last().unwrap().to, "done");
    assert!(
        timeline
            .iter()
            .any(|t| t.to == "scanning" && t.detail == "cs0")
    );
}

#[tokio::test]
async fn two_releases_of_one_product_are_serialized() {
    let e = engine(Fake::default());
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    e.submit(release("r2", "41.2", "ami-08b05445d21b6c994"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    for id in ["r1", "r2"] {
        assert_eq!(e.ports().store.get(id).unwrap().state, State::Done);
    }
    assert_eq!(e.ports().w().started.len(), 2);
    let waited = e
        .ports()
        .store
        .timeline("r2")
        .iter()
        .any(|t| t.to == "submitting")
        || e.ports()
            .store
            .timeline("r1")
            .iter()
            .any(|t| t.to == "submitting");
    assert!(waited, "one release must have waited for the other");
}

#[tokio::test]
async fn a_foreign_change_set_makes_the_release_wait_then_continue() {
    let fake = Fake::default();
    fake.w().foreign_lock_polls = 3;
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    assert_eq!(e.ports().store.get("r1").unwrap().state, State::Done);
    assert!(
        e.ports()
            .store
            .timeline("r1")
            .iter()
            .any(|t| t.detail.contains("someone-elses-change-set"))
    );
}

#[tokio::test]
async fn a_scan_failure_is_explained_and_retry_publishes_after_the_fix() {
    let fake = Fake::default();
    fake.w().scan_fails = true;
    let (e, failed, now) = one_release(fake).await;
    assert_eq!(failed.state, State::Failed);
    let f = failed.failure.clone().unwrap();
    assert_eq!(f.kind, FailureKind::ScanFailed);
    assert!(f.detail.contains("https://reports.example/scan.json") && !f.remedy.is_empty());
    e.ports().w().scan_fails = false;
    e.request(failed, Event::RetryRequested { by: "ops".into() }, now)
        .await
        .unwrap();
    settle(&e, now).await;
    assert_eq!(e.ports().store.get("r1").unwrap().state, State::Done);
    let w = e.ports().w();
    assert_eq!(w.copies.len(), 1, "the mirror is reused");
    assert_eq!(w.started.len(), 2, "the retry submits a fresh change set");
}

#[tokio::test]
async fn a_failed_scan_names_its_failed_controls_in_the_failure_and_the_announcement() {
    let fake = Fake::default();
    fake.w().scan_fails = true;
    let (e, failed, now) = one_release(fake).await;
    let f = failed.failure.clone().unwrap();
    assert_eq!(f.kind, FailureKind::ScanFailed);
    assert_eq!(
        f.controls.len(),
        1,
        "only the failed control: {:?}",
        f.controls
    );
    assert_eq!(f.controls[0].control, "SSH_ROOT_LOGIN");
    assert!(
        f.detail.contains("SSH_ROOT_LOGIN") && !f.detail.contains("MALWARE"),
        "{}",
        f.detail
    );
    assert!(
        f.remedy
            .contains("SSH_ROOT_LOGIN: Lock root's password. (FILE_PATH /etc/ssh/sshd_config)"),
        "{}",
        f.remedy
    );
    let outbox = e.ports().store.outbox();
    let announced = outbox
        .iter()
        .find(|a| a.id.starts_with("r1-failed"))
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&announced.body).unwrap();
    assert_eq!(body["failed_controls"][0]["control"], "SSH_ROOT_LOGIN");
    assert!(
        body["failed_controls"][0]["remedy"]
            .as_str()
            .unwrap()
            .contains("Lock root")
    );
    assert_eq!(body["failed_controls"].as_array().unwrap().len(), 1);

    // After the fix, the succeeded scan's assessment is in the timeline.
    e.ports().w().scan_fails = false;
    e.request(failed, Event::RetryRequested { by: "ops".into() }, now)
        .await
        .unwrap();
    settle(&e, now).await;
    let timeline = e.ports().store.timeline("r1");
    let scanned = timeline
        .iter()
        .find(|t| t.event == "change_set_succeeded")
        .unwrap();
    assert_eq!(
        scanned.detail,
        "AMI security assessment: 2 of 2 controls passed"
    );
}

#[tokio::test]
async fn an_unreadable_assessment_leaves_the_change_set_errors_to_explain_the_failure() {
    let fake = Fake::default();
    fake.w().scan_fails = true;
    fake.w().assessments_unreadable = true;
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let f = e.ports().store.get("r1").unwrap().failure.unwrap();
    assert_eq!((f.step, f.kind), (State::Scanning, FailureKind::ScanFailed));
    assert!(f.controls.is_empty());
    assert!(
        f.detail.contains("https://reports.example/scan.json"),
        "{}",
        f.detail
    );
    let outbox = e.ports().store.outbox();
    let announced = outbox
        .iter()
        .find(|a| a.id.starts_with("r1-failed"))
        .unwrap();
    assert!(
        !announced.body.contains("failed_controls"),
        "{}",
        announced.body
    );
}

#[tokio::test]
async fn an_untrusted_source_is_rejected_and_nothing_is_created() {
    let e = engine(Fake::default());
    e.submit(release("r1", "41.1", "ami-untrusted0000000"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
    assert_eq!(r.state, State::Rejected);
    assert!(r.rejection.unwrap().contains("999999999999"));
    let w = e.ports().w();
    assert!(w.copies.is_empty() && w.started.is_empty() && w.params.is_empty());
    drop(w);
    assert!(e.ports().store.outbox().is_empty());
}

#[tokio::test]
async fn throttled_calls_are_retried() {
    let fake = Fake::default();
    fake.w().throttle_copies = 3;
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    assert_eq!(e.ports().store.get("r1").unwrap().state, State::Done);
    assert_eq!(e.ports().w().copies.len(), 1);
}

#[tokio::test]
async fn a_new_engine_on_the_same_state_finishes_without_duplicates() {
    let fake = Fake::default();
    let first = engine(fake);
    first
        .submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    // Stop after a few steps, mid-flight.
    for t in 0..4 {
        first.step(t * 30).await.unwrap();
    }
    let state = first.ports().store.get("r1").unwrap().state;
    assert!(!state.is_terminal(), "{state:?}");
    // A second worker takes over the same world and store once the lease has expired.
    let second = Engine::new(first.into_ports(), vec![product()], "worker-2");
    settle(&second, 10_000).await;
    assert_eq!(second.ports().store.get("r1").unwrap().state, State::Done);
    let w = second.ports().w();
    assert_eq!(w.copies.len(), 1);
    assert_eq!(w.started.len(), 1);
    drop(w);
    let published = second
        .ports()
        .store
        .outbox()
        .iter()
        .filter(|a| a.schema == "amipub.release.published.v1")
        .count();
    assert_eq!(published, 1);
}
