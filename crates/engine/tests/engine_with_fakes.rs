//! The engine against in-memory fakes with state and failure knobs: whole releases, the product
//! lock queue, foreign locks, scan failure and retry, rejection, transient errors, and a restart
//! in the middle of a release. Assertions are on end state (HOUSE_STYLE rule 14).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::LiveVersion;
use amipub_domain::release::assessment::ControlError;
use amipub_domain::release::{ControlFinding, Event, FailureKind, ImageFacts, Release, State};
use amipub_domain::spec::parse_spec;
use amipub_engine::ports::{
    Catalog, ChangeSetStatus, CopyRequest, Grants, Images, Parameters, PortResult, StartOutcome,
};
use amipub_engine::{Engine, PortError, Ports, Product};
use amipub_testkit::fakes::{MemoryBuyers, MemoryClones, MemoryStore, image_facts, restricted_by};

const SPEC: &str = include_str!("../../../examples/products/fedora-cloud-base.toml");
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-south-1"];
const BUILD: &str = "125523088429";

/// The fake world's knobs and state.
#[derive(Default)]
struct World {
    copies: Vec<CopyRequest>,
    mirror_polls: BTreeMap<String, u32>,
    started: Vec<ChangeSet>,
    status_polls: BTreeMap<String, u32>,
    open: Option<String>,
    versions: Vec<String>,
    scan_fails: bool,
    /// ListAssessments answers with an error.
    assessments_unreadable: bool,
    locate_calls: u32,
    params: BTreeMap<(String, String), String>,
    throttle_copies: u32,
    foreign_lock_polls: u32,
    /// Delivery options restricted by succeeded change sets.
    restricted: Vec<String>,
    /// Regions where Marketplace AMIs are not launchable.
    unlaunchable: Vec<String>,
    /// Regions whose Marketplace AMI appears only from this look on.
    appears_at_look: BTreeMap<String, u32>,
}

#[derive(Default)]
struct Fake {
    w: Mutex<World>,
    store: MemoryStore,
    clones: MemoryClones,
    buyers: MemoryBuyers,
}

impl Fake {
    fn w(&self) -> std::sync::MutexGuard<'_, World> {
        self.w.lock().unwrap()
    }
}

impl Images for Fake {
    async fn inspect(&self, _region: &str, ami: &str) -> PortResult<Option<ImageFacts>> {
        Ok(match ami {
            "ami-untrusted0000000" => Some(image_facts("999999999999")),
            "ami-missing00000000" => None,
            _ => Some(image_facts(BUILD)),
        })
    }
    async fn find_mirror(&self, release: &str) -> PortResult<Option<(String, ImageState)>> {
        let w = self.w();
        Ok(w.copies.iter().position(|c| c.release == release).map(|i| {
            let ami = format!("ami-{i:017}");
            let polls = w.mirror_polls.get(&ami).copied().unwrap_or(0);
            (ami, if polls >= 2 { "available" } else { "pending" }.into())
        }))
    }
    async fn copy(&self, request: &CopyRequest) -> PortResult<String> {
        let mut w = self.w();
        if w.throttle_copies > 0 {
            w.throttle_copies -= 1;
            return Err(PortError::new(
                FailureKind::Throttled,
                "RequestLimitExceeded",
            ));
        }
        if let Some(i) = w
            .copies
            .iter()
            .position(|c| c.client_token == request.client_token)
        {
            return Ok(format!("ami-{i:017}"));
        }
        w.copies.push(request.clone());
        Ok(format!("ami-{:017}", w.copies.len() - 1))
    }
    async fn launchable(&self, region: &str, _ami: &str) -> PortResult<bool> {
        Ok(!self.w().unlaunchable.iter().any(|r| r == region))
    }
    async fn state(&self, ami: &str) -> PortResult<Option<ImageState>> {
        let mut w = self.w();
        let polls = w.mirror_polls.entry(ami.to_owned()).or_default();
        *polls += 1;
        Ok(Some(
            if *polls >= 2 { "available" } else { "pending" }.into(),
        ))
    }
}

impl Grants for Fake {
    async fn check(&self) -> PortResult<Option<String>> {
        Ok(None)
    }
}

impl Catalog for Fake {
    async fn versions(&self, _product: &str) -> PortResult<Vec<LiveVersion>> {
        let w = self.w();
        Ok(w.versions
            .iter()
            .enumerate()
            .map(|(i, t)| LiveVersion {
                id: format!("v-{t}"),
                title: t.clone(),
                created: format!("2026-01-01T00:00:{i:02}Z"),
                option_id: Some(format!("opt-{t}")),
                restricted: w.restricted.contains(&format!("opt-{t}")),
                source_ami: None,
            })
            .collect())
    }
    async fn open_change_set(&self, _product: &str) -> PortResult<Option<String>> {
        let mut w = self.w();
        if w.foreign_lock_polls > 0 {
            w.foreign_lock_polls -= 1;
            return Ok(Some("someone-elses-change-set".into()));
        }
        Ok(w.open.clone())
    }
    async fn start(&self, cs: &ChangeSet) -> PortResult<StartOutcome> {
        let mut w = self.w();
        if let Some(i) = w.started.iter().position(|s| s.token == cs.token) {
            return Ok(StartOutcome::Started(format!("cs{i}")));
        }
        if let Some(open) = w.open.clone() {
            return Ok(StartOutcome::Locked(open));
        }
        w.started.push(cs.clone());
        let id = format!("cs{}", w.started.len() - 1);
        w.open = Some(id.clone());
        Ok(StartOutcome::Started(id))
    }
    async fn status(&self, id: &str) -> PortResult<ChangeSetStatus> {
        let mut w = self.w();
        let polls = w.status_polls.entry(id.to_owned()).or_default();
        *polls += 1;
        if *polls < 3 {
            return Ok(ChangeSetStatus::Running);
        }
        if w.open.as_deref() == Some(id) {
            w.open = None;
        }
        if w.scan_fails {
            return Ok(ChangeSetStatus::Failed(vec![(
                "SCAN_ERROR".into(),
                "https://reports.example/scan.json".into(),
            )]));
        }
        let i: usize = id.trim_start_matches("cs").parse().unwrap();
        let title = w.started[i].changes[0].details_document["Version"]["VersionTitle"]
            .as_str()
            .unwrap()
            .to_owned();
        if !w.versions.contains(&title) {
            w.versions.push(title);
        }
        let restricted = restricted_by(&w.started[i]);
        w.restricted.extend(restricted);
        Ok(ChangeSetStatus::Succeeded)
    }
    async fn cancel(&self, _id: &str) -> PortResult<()> {
        Ok(())
    }
    async fn assessments(&self, _id: &str) -> PortResult<Vec<ControlFinding>> {
        let w = self.w();
        if w.assessments_unreadable {
            return Err(PortError::new(
                FailureKind::Throttled,
                "ThrottlingException",
            ));
        }
        // The scan's verdict decides the root-login control; malware always passes.
        let (result, errors) = if w.scan_fails {
            let e = ControlError {
                code: "ROOT_PASSWORD_LOGIN_ENABLED".into(),
                message: "Lock root's password.".into(),
                scope: vec![("FILE_PATH".into(), "/etc/ssh/sshd_config".into())],
            };
            ("FAIL", vec![e])
        } else {
            ("PASS", Vec::new())
        };
        Ok(vec![
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read("SSH_ROOT_LOGIN", result, &errors),
        ])
    }
    async fn locate(
        &self,
        _code: &str,
        name_prefix: &str,
        regions: &[Region],
    ) -> PortResult<BTreeMap<Region, String>> {
        // Mirrors are named `amipub-<product>-<version>`.
        let version = name_prefix.rsplit('-').next().unwrap_or_default();
        let mut w = self.w();
        w.locate_calls += 1;
        // Regions appear one per look.
        let visible = w.locate_calls as usize;
        let look = w.locate_calls;
        Ok(regions
            .iter()
            .filter(|r| w.appears_at_look.get(r.as_str()).is_none_or(|n| look >= *n))
            .take(visible)
            .map(|r| (r.clone(), format!("ami-mp-{version}-{r}")))
            .collect())
    }
}

impl Parameters for Fake {
    async fn get(&self, region: &str, name: &str) -> PortResult<Option<String>> {
        Ok(self
            .w()
            .params
            .get(&(region.to_owned(), name.to_owned()))
            .cloned())
    }
    async fn set(&self, region: &str, name: &str, ami: &str) -> PortResult<()> {
        self.w()
            .params
            .insert((region.to_owned(), name.to_owned()), ami.to_owned());
        Ok(())
    }
}

impl Ports for Fake {
    type Images = Fake;
    type Grants = Fake;
    type Catalog = Fake;
    type Parameters = Fake;
    type Store = MemoryStore;
    type Clones = MemoryClones;
    type Buyers = MemoryBuyers;
    fn images(&self) -> &Fake {
        self
    }
    fn grants(&self) -> &Fake {
        self
    }
    fn catalog(&self) -> &Fake {
        self
    }
    fn parameters(&self) -> &Fake {
        self
    }
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn clones(&self) -> &MemoryClones {
        &self.clones
    }
    fn buyers(&self) -> &MemoryBuyers {
        &self.buyers
    }
}

fn product() -> Product {
    let mut spec = parse_spec(SPEC).unwrap();
    spec.product.id = Some("prod-fedoracbx8664".into());
    spec.product.product_code = Some("fedoracloudbasex8664code0".into());
    Product::new(
        spec,
        "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion",
    )
}

fn release(id: &str, version: &str, ami: &str) -> Release {
    let mut r = Release::new(
        id,
        "fedora-cloud-base-x86-64",
        version,
        "us-east-1",
        ami,
        vec![BUILD.into()],
        "x86_64",
        REGIONS.iter().map(|s| (*s).to_owned()).collect(),
        0,
    );
    r.notes = format!("Fedora {version}");
    r.vars = [
        ("release".to_owned(), "41".to_owned()),
        ("arch".to_owned(), "x86_64".to_owned()),
    ]
    .into();
    r
}

fn engine(fake: Fake) -> Engine<Fake> {
    Engine::new(fake, vec![product()], "worker-1")
}

/// Steps the engine every `dt` virtual seconds until every release settles.
async fn settle(e: &Engine<Fake>, mut now: i64) -> i64 {
    for _ in 0..10_000 {
        e.step(now).await.unwrap();
        if e.ports().store.all().iter().all(|r| r.state.is_terminal()) {
            return now;
        }
        now += 30;
    }
    panic!(
        "releases never settled: {:?}",
        e.ports()
            .store
            .all()
            .iter()
            .map(|r| r.state)
            .collect::<Vec<_>>()
    );
}

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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    let now = settle(&e, 0).await;
    let failed = e.ports().store.get("r1").unwrap();
    assert_eq!(failed.state, State::Failed);
    let f = failed.failure.clone().unwrap();
    assert_eq!(f.kind, FailureKind::ScanFailed);
    assert!(f.detail.contains("https://reports.example/scan.json") && !f.remedy.is_empty());
    e.ports().w().scan_fails = false;
    e.request(failed, Event::RetryRequested, now).await.unwrap();
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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    let now = settle(&e, 0).await;
    let failed = e.ports().store.get("r1").unwrap();
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
    e.request(failed, Event::RetryRequested, now).await.unwrap();
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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
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
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
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
