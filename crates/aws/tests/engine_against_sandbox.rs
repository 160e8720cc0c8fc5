//! The engine on the AWS adapters and the SQLite store, against the sandbox: many releases of
//! one product at once under injected throttling and server errors, two releases serialized by
//! the product lock, and a release waiting for someone else's change set.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::{Duration, Instant};

use amipub_aws::{AwsPorts, Seller, Target};
use amipub_domain::changeset::{AMI_PRODUCT, Change, ChangeSet};
use amipub_domain::release::build::new_release;
use amipub_domain::release::second_party::Terms;
use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Catalog, Ports};
use amipub_engine::{Engine, Product};
use amipub_sandbox::SandboxConfig;
use amipub_sandbox::faults::{FaultKind, FaultRule};
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::{
    FEDORA_BUILD_ACCOUNT, FEDORA_PRODUCT_ID, GOVCLOUD_SELLER_ACCOUNT, GOVCLOUD_SELLER_KEY,
    SELLER_ACCOUNT, fedora_build, fedora_spec, ingestion_role_arn,
};
use amipub_store::SqlStore;
use amipub_testkit::sandbox::{self, Sandbox};
use amipub_testkit::store;

struct Rig {
    sandbox: Sandbox,
    engine: Engine<AwsPorts<SqlStore>>,
    store: SqlStore,
    product: Product,
    _dir: tempfile::TempDir,
}

fn rule(kind: FaultKind, probability: f64) -> FaultRule {
    FaultRule {
        service: String::new(),
        operation: String::new(),
        region: String::new(),
        kind,
        probability,
        latency_ms: 0,
    }
}

/// The tests run one at a time: virtual time runs thousands of times faster than real time, so
/// two of them competing for two cores would stall each other by virtual hours.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn rig(scale: f64, faults: Vec<FaultRule>, prepare_seconds: f64) -> Rig {
    let config = SandboxConfig {
        time_scale: scale,
        faults,
        catalog_prepare_seconds: prepare_seconds,
        ..SandboxConfig::default()
    };
    let sandbox = sandbox::start_with(config);
    let (dir, store) = store::temp().await;
    let spec = fedora_spec().unwrap();
    let product = Product::new(spec, &ingestion_role_arn());
    let seller = Seller {
        account: SELLER_ACCOUNT.into(),
        home_region: "us-east-1".into(),
        ingestion_role: ingestion_role_arn(),
        tags: Default::default(),
    };
    // GovCloud Regions are reached with the GovCloud account's own credentials.
    let govcloud = (
        "aws-us-gov".to_owned(),
        "us-gov-west-1".to_owned(),
        Target::sandbox(&sandbox.endpoint, GOVCLOUD_SELLER_KEY),
    );
    let ports = AwsPorts::connect_partitions(
        &Target::sandbox(&sandbox.endpoint, SELLER_ACCOUNT),
        seller,
        store.clone(),
        &[govcloud],
    )
    .await;
    let engine = Engine::new(ports, vec![product.clone()], "test-worker");
    Rig {
        sandbox,
        engine,
        store,
        product,
        _dir: dir,
    }
}

impl Rig {
    fn now(&self) -> i64 {
        lock(&self.sandbox.world).clock.now().timestamp()
    }

    fn release(&self, version: &str) -> Release {
        let build = fedora_build().unwrap();
        new_release(
            &self.product.spec,
            &build,
            &[FEDORA_BUILD_ACCOUNT.into()],
            Some(version),
            "2026-11-22",
            &Terms::default(),
            self.now(),
        )
        .unwrap()
    }

    /// Steps the engine until no release is active (at most `limit` of real time).
    async fn settle(&self, limit: Duration) -> Vec<Release> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            self.engine.step(self.now()).await.unwrap();
            if self.store.active().await.unwrap().is_empty() {
                return self.store.list(1000).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "releases did not finish: {:?}",
            self.store
                .active()
                .await
                .unwrap()
                .iter()
                .map(|r| (r.version.clone(), r.state, r.failure.clone()))
                .collect::<Vec<_>>()
        );
    }

    /// (started, ended) of the change set adding each version, in virtual seconds.
    fn change_set_spans(&self) -> Vec<(String, f64, f64)> {
        let w = lock(&self.sandbox.world);
        w.catalog
            .change_sets
            .values()
            .filter_map(|c| {
                let v = c
                    .changes
                    .iter()
                    .find(|ch| ch.change_type == "AddDeliveryOptions")?;
                let title = v.details["Version"]["VersionTitle"].as_str()?;
                // Only this test's versions, not the world's seeded first releases.
                title.starts_with("41.").then_some(())?;
                Some((title.to_owned(), c.started, c.ended.unwrap_or(f64::MAX)))
            })
            .collect()
    }
}

fn assert_serialized(spans: &[(String, f64, f64)]) {
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            assert!(
                a.2 <= b.1 || b.2 <= a.1,
                "change sets for {} and {} overlapped: {a:?} {b:?}",
                a.0,
                b.0
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_releases_under_throttling_and_server_errors_all_complete_without_duplicates() {
    let _one = SERIAL.lock().await;
    let rig = rig(
        1_500.0,
        vec![
            rule(FaultKind::Throttle, 0.20),
            rule(FaultKind::ServerError, 0.05),
        ],
        60.0,
    )
    .await;
    let now = rig.now();
    for n in 1..=10 {
        rig.engine
            .record(&rig.release(&format!("41.{n}")), now)
            .await
            .unwrap();
    }
    let done = rig.settle(Duration::from_secs(240)).await;
    assert_eq!(done.len(), 10);
    for r in &done {
        assert_eq!(r.state, State::Done, "{}: {:?}", r.version, r.failure);
        assert_eq!(r.regions.len(), r.expected_regions.len());
    }
    {
        let w = lock(&rig.sandbox.world);
        // One seller-side copy per release.
        let mirrors = w
            .ec2
            .images
            .values()
            .filter(|i| i.owner == SELLER_ACCOUNT && i.tags.contains_key("amipub:release"))
            .count();
        assert_eq!(mirrors, 10);
        // Each versioned parameter written once, in every Region.
        for n in 1..=10 {
            let name = format!("/fedora/cloud/41/x86_64/41.{n}");
            let ps: Vec<_> = w
                .ssm
                .parameters
                .values()
                .filter(|p| p.name == name)
                .collect();
            // 34 commercial Regions and 2 GovCloud ones, each in its partition's account.
            assert_eq!(ps.len(), 36, "{name}");
            assert!(
                ps.iter()
                    .all(|p| (p.account == GOVCLOUD_SELLER_ACCOUNT)
                        == p.region.starts_with("us-gov-")),
                "{name}"
            );
            assert!(ps.iter().all(|p| p.versions.len() == 1), "{name} rewritten");
        }
    }
    // One change set per version, never two on the product at once.
    let spans = rig.change_set_spans();
    assert_eq!(spans.len(), 10, "{spans:?}");
    assert_serialized(&spans);
    // One announcement of each kind each; a release whose change set retired older versions
    // (retention) also announces them, with itself as the replacement.
    let mut restricting = 0;
    for r in &done {
        let rows = rig.store.outbox_of(&r.id).await.unwrap();
        let schemas: Vec<&str> = rows.iter().map(|o| o.schema.as_str()).collect();
        let mut want = vec!["amipub.release.submitted.v1", "amipub.release.published.v1"];
        if !r.restricts.is_empty() {
            want.push("amipub.release.restricted.v1");
            restricting += 1;
        }
        assert_eq!(schemas, want);
    }
    assert!(
        restricting > 0,
        "keep_latest retires versions of ten releases"
    );
    // The faults really happened.
    let faults = lock(&rig.sandbox.world)
        .requests
        .iter()
        .filter(|q| q.status == 400 || q.status >= 500)
        .count();
    assert!(faults > 20, "only {faults} faults were injected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_releases_of_one_product_take_turns_and_both_publish() {
    let _one = SERIAL.lock().await;
    let rig = rig(5_000.0, Vec::new(), 60.0).await;
    let now = rig.now();
    let (a, b) = (rig.release("41.100"), rig.release("41.200"));
    rig.engine.record(&a, now).await.unwrap();
    rig.engine.record(&b, now).await.unwrap();
    let done = rig.settle(Duration::from_secs(120)).await;
    assert!(done.iter().all(|r| r.state == State::Done), "{done:?}");
    let spans = rig.change_set_spans();
    assert_eq!(spans.len(), 2);
    assert_serialized(&spans);
    // Whichever came second recorded that it waited for the other.
    let mut waited = rig.store.timeline(&a.id).await.unwrap();
    waited.extend(rig.store.timeline(&b.id).await.unwrap());
    assert!(
        waited.iter().any(|e| e.event == "product_locked"),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_change_set_holding_the_product_makes_the_release_wait_then_continue() {
    let _one = SERIAL.lock().await;
    // Change sets take two hours to prepare: the foreign one still holds the product when the
    // release is ready to submit (its copy takes about 15 minutes), however slow the machine.
    let rig = rig(2_000.0, Vec::new(), 7_200.0).await;
    // Someone else changes the product first.
    let foreign = ChangeSet {
        name: "console edit".into(),
        token: "someone-else-1".into(),
        purpose: "foreign".into(),
        changes: vec![Change::new(
            "AddInstanceTypes",
            AMI_PRODUCT,
            Some(FEDORA_PRODUCT_ID),
            serde_json::json!({ "InstanceTypes": ["m5.2xlarge"] }),
        )],
    };
    let started = rig.engine.ports().catalog().start(&foreign).await.unwrap();
    let r = rig.release("41.300");
    rig.engine.record(&r, rig.now()).await.unwrap();
    let done = rig.settle(Duration::from_secs(120)).await;
    let r = done.iter().find(|x| x.id == r.id).unwrap();
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    let timeline = rig.store.timeline(&r.id).await.unwrap();
    let locked = timeline
        .iter()
        .find(|e| e.event == "product_locked")
        .unwrap_or_else(|| panic!("never waited: {timeline:?} ({started:?})"));
    assert!(locked.detail.contains("waiting for"), "{locked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_checks_the_buyers_view_through_the_discovery_api() {
    use amipub_engine::ports::Buyers;
    let _one = SERIAL.lock().await;
    let rig = rig(5_000.0, Vec::new(), 60.0).await;
    let r = rig.release("41.400");
    rig.engine.record(&r, rig.now()).await.unwrap();
    let done = rig.settle(Duration::from_secs(120)).await;
    let r = done.iter().find(|x| x.id == r.id).unwrap();
    assert_eq!(r.state, State::Done, "{:?}", r.failure);
    let verified = r.verification.clone().unwrap_or_default();
    assert!(
        verified.ends_with("buyer's view: 41.400 listed as published"),
        "{verified}"
    );
    let buyers = rig.engine.ports().buyers();
    let seen = buyers.versions(FEDORA_PRODUCT_ID).await.unwrap().unwrap();
    let titles: Vec<&str> = seen.iter().map(|v| v.title.as_str()).collect();
    assert_eq!(titles, ["41.400", "40.20240416.0"]);
    assert_eq!(
        seen[0].ami_alias.as_deref(),
        Some("/aws/service/marketplace/prod-fedoracbx8664/41.400")
    );
    assert_eq!(seen[0].os[0].name, "FEDORA");
    // A product AWS Marketplace does not show is an answer, not an error.
    assert_eq!(buyers.versions("prod-doesnotexist01").await.unwrap(), None);
}
