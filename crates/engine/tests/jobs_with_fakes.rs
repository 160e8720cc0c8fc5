//! Lifecycle jobs on the engine against in-memory fakes: a creation planned, submitted,
//! followed and recorded; a job waiting while a release of the product scans; retention cleanup
//! run twice retiring and deleting each mirror once; a cancelled job cancelling its change set.
//! Assertions are on end state (HOUSE_STYLE rule 14).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::job::{Job, JobEvent, JobKind, JobRequest, JobState};
use amipub_domain::lifecycle::approval::{content_hash, record_approval, record_ids};
use amipub_domain::lifecycle::retention::Mirror;
use amipub_domain::lifecycle::{LiveListing, LiveVersion};
use amipub_domain::release::{ImageFacts, Release, State};
use amipub_domain::spec::parse_spec;
use amipub_engine::Engine;
use amipub_engine::lifecycle_ports::{
    Created, InstanceTypeCatalog, LifecyclePorts, Listings, Mirrors,
};
use amipub_engine::ports::{
    Catalog, ChangeSetStatus, CopyRequest, Grants, Images, Parameters, PortResult, StartOutcome,
    Store,
};
use amipub_testkit::fakes::{MemoryBuyers, MemoryClones, MemoryStore};

const SPEC: &str = include_str!("../../../examples/products/nginx-free.toml");
const DAY: i64 = 86_400;

#[derive(Default)]
struct World {
    started: Vec<ChangeSet>,
    polls: BTreeMap<String, u32>,
    cancelled: Vec<String>,
    versions: Vec<LiveVersion>,
    mirrors: Vec<Mirror>,
    retired: Vec<String>,
    deleted: Vec<String>,
    /// AMI → when it was last launched.
    launched: BTreeMap<String, i64>,
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
    async fn inspect(&self, _: &str, _: &str) -> PortResult<Option<ImageFacts>> {
        Ok(None)
    }
    async fn find_mirror(&self, _: &str) -> PortResult<Option<(String, ImageState)>> {
        Ok(None)
    }
    async fn copy(&self, _: &CopyRequest) -> PortResult<String> {
        Ok("ami-0".into())
    }
    async fn state(&self, _: &str) -> PortResult<Option<ImageState>> {
        Ok(None)
    }
    async fn launchable(&self, _: &str, _: &str) -> PortResult<bool> {
        Ok(true)
    }
}

impl Grants for Fake {
    async fn check(&self) -> PortResult<Option<String>> {
        Ok(None)
    }
}

impl Catalog for Fake {
    async fn versions(&self, _: &str) -> PortResult<Vec<LiveVersion>> {
        Ok(self.w().versions.clone())
    }
    async fn open_change_set(&self, _: &str) -> PortResult<Option<String>> {
        Ok(None)
    }
    async fn start(&self, cs: &ChangeSet) -> PortResult<StartOutcome> {
        let mut w = self.w();
        // Marketplace's idempotency: the same token hands back the same change set.
        let i = match w.started.iter().position(|s| s.token == cs.token) {
            Some(i) => i,
            None => {
                w.started.push(cs.clone());
                w.started.len() - 1
            }
        };
        Ok(StartOutcome::Started(format!("cs-{i}")))
    }
    async fn status(&self, id: &str) -> PortResult<ChangeSetStatus> {
        let mut w = self.w();
        let n = w.polls.entry(id.to_owned()).or_default();
        *n += 1;
        Ok(if *n < 3 {
            ChangeSetStatus::Running
        } else {
            ChangeSetStatus::Succeeded
        })
    }
    async fn cancel(&self, id: &str) -> PortResult<()> {
        self.w().cancelled.push(id.to_owned());
        Ok(())
    }
    async fn assessments(
        &self,
        _: &str,
    ) -> PortResult<Vec<amipub_domain::release::ControlFinding>> {
        Ok(Vec::new())
    }
    async fn locate(&self, _: &str, _: &str, _: &[Region]) -> PortResult<BTreeMap<Region, String>> {
        Ok(BTreeMap::new())
    }
}

impl Parameters for Fake {
    async fn get(&self, _: &str, _: &str) -> PortResult<Option<String>> {
        Ok(None)
    }
    async fn set(&self, _: &str, _: &str, _: &str) -> PortResult<()> {
        Ok(())
    }
}

impl Listings for Fake {
    async fn listing(&self, _: &str, _: Option<&str>) -> PortResult<LiveListing> {
        Ok(LiveListing {
            product_code: Some("code-fake".into()),
            visibility: "Draft".into(),
            ..LiveListing::default()
        })
    }
    async fn created(&self, _: &str) -> PortResult<Created> {
        Ok(Created {
            product_id: "prod-fakeproduct01".into(),
            offer_id: Some("offer-fakeoffer0000".into()),
        })
    }
}

impl Mirrors for Fake {
    async fn mirrors(&self, _: &str) -> PortResult<Vec<Mirror>> {
        let w = self.w();
        Ok(w.mirrors
            .iter()
            .filter(|m| !w.deleted.contains(&m.ami))
            .cloned()
            .collect())
    }
    async fn last_launched(&self, m: &Mirror) -> PortResult<Option<i64>> {
        Ok(self.w().launched.get(&m.ami).copied())
    }
    async fn retire(&self, m: &Mirror, now: i64, _deprecate_at: i64) -> PortResult<()> {
        let mut w = self.w();
        w.retired.push(m.ami.clone());
        if let Some(x) = w.mirrors.iter_mut().find(|x| x.ami == m.ami) {
            x.retired_at = Some(now);
        }
        Ok(())
    }
    async fn delete(&self, m: &Mirror) -> PortResult<()> {
        self.w().deleted.push(m.ami.clone());
        Ok(())
    }
    async fn image_name(&self, _: &str, ami: &str) -> PortResult<Option<String>> {
        Ok(Some(format!("name-of-{ami}")))
    }
}

amipub_testkit::ports_of_one_fake!(Fake);

impl InstanceTypeCatalog for Fake {
    async fn current(&self, _: &str) -> PortResult<Vec<String>> {
        Ok(vec!["m5.large".into(), "t3.small".into()])
    }
}

impl LifecyclePorts for Fake {
    type Listings = Self;
    type Mirrors = Self;
    type Jobs = MemoryStore;
    type InstanceTypes = Self;
    fn instance_types(&self) -> &Self {
        self
    }
    fn listings(&self) -> &Self {
        self
    }
    fn mirrors(&self) -> &Self {
        self
    }
    fn jobs(&self) -> &MemoryStore {
        &self.store
    }
}

/// The example spec, approved, with ids when `with_ids`.
fn spec_text(with_ids: bool) -> String {
    let spec = parse_spec(SPEC).unwrap();
    let text = record_approval(SPEC, "https://tickets/1", &content_hash(&spec), "ops").unwrap();
    if with_ids {
        record_ids(
            &text,
            "prod-fakeproduct01",
            Some("offer-fakeoffer0000"),
            None,
        )
        .unwrap()
    } else {
        text
    }
}

fn request(kind: JobKind, spec: String) -> JobRequest {
    JobRequest {
        kind,
        product: "nginx-free".into(),
        spec,
        args: BTreeMap::new(),
    }
}

/// Steps the engine's jobs a minute of virtual time at a time until `id` ends; the end time.
async fn settle(e: &Engine<Fake>, id: &str, mut now: i64) -> (Job, i64) {
    for _ in 0..500 {
        e.step_jobs(now).await.unwrap();
        let j = e.ports().store.job(id).unwrap();
        if j.state.is_terminal() {
            return (j, now);
        }
        now += 60;
    }
    panic!("job {id} never finished");
}

#[tokio::test]
async fn a_creation_is_planned_submitted_once_followed_and_recorded() {
    let e = Engine::new(Fake::default(), vec![], "w1");
    let job = Job::new(request(JobKind::Create, spec_text(false)), 0);
    e.record_job(&job, 0).await.unwrap();
    let (j, _) = settle(&e, &job.id, 0).await;
    assert_eq!(j.state, JobState::Done, "{:?}", j.failure);
    assert_eq!(e.ports().w().started.len(), 1);
    assert!(
        j.outcome
            .iter()
            .any(|l| l.contains("created prod-fakeproduct01"))
    );
    let ids = e.ports().store.ids("nginx-free").unwrap();
    assert_eq!(
        (ids.0.product_id.as_str(), ids.1.as_deref()),
        ("prod-fakeproduct01", Some("code-fake"))
    );
    // Without the approval, nothing is submitted and the job says why.
    let e = Engine::new(Fake::default(), vec![], "w1");
    let bare = Job::new(request(JobKind::Create, SPEC.to_owned()), 0);
    e.record_job(&bare, 0).await.unwrap();
    let (j, _) = settle(&e, &bare.id, 0).await;
    assert_eq!(j.state, JobState::Failed);
    assert!(j.failure.unwrap().detail.contains("approval"));
    assert!(e.ports().w().started.is_empty());
}

#[tokio::test]
async fn a_job_waits_while_a_release_of_the_product_scans() {
    let e = Engine::new(Fake::default(), vec![], "w1");
    let mut r = Release::new(
        "r-1",
        "nginx-free",
        "1.0",
        "us-east-1",
        "ami-1",
        vec![],
        "x86_64",
        vec![],
        0,
    );
    r.state = State::Scanning;
    e.ports().store.save(&r, &[], &[]).await.unwrap();
    let job = Job::new(request(JobKind::Sync, spec_text(true)), 0);
    e.record_job(&job, 0).await.unwrap();
    e.step_jobs(0).await.unwrap();
    let j = e.ports().store.job(&job.id).unwrap();
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.blocked_by.as_deref(), Some("amipub release r-1"));
    r.state = State::Done;
    e.ports().store.save(&r, &[], &[]).await.unwrap();
    let (j, _) = settle(&e, &job.id, 60).await;
    assert_eq!(j.state, JobState::Done, "{:?}", j.failure);
}

fn version(title: &str, restricted: bool) -> LiveVersion {
    LiveVersion {
        id: format!("v-{title}"),
        title: title.into(),
        created: "2026-01-01".into(),
        option_id: Some(format!("opt-{title}")),
        restricted,
        source_ami: Some(format!("ami-{title}")),
    }
}

#[tokio::test]
async fn cleanup_retires_then_deletes_each_mirror_once_and_spares_one_in_use() {
    let fake = Fake::default();
    let now = 400 * DAY;
    {
        let mut w = fake.w();
        w.versions = vec![
            version("1", true),
            version("2", true),
            version("3", false),
            version("4", true),
        ];
        let m = |t: &str, retired_at| Mirror {
            ami: format!("ami-{t}"),
            snapshots: vec![format!("snap-{t}")],
            retired_at,
            release: Some(format!("r-00000000000{t}")),
            region: "us-east-1".into(),
            tags: BTreeMap::new(),
        };
        w.mirrors = vec![m("1", Some(0)), m("2", None), m("3", None), m("4", Some(0))];
        // Past its grace period, but launched three days ago.
        w.launched.insert("ami-4".into(), now - 3 * DAY);
    }
    let e = Engine::new(fake, vec![], "w1");
    let mut lines = String::new();
    for _ in 0..2 {
        let job = Job::new(request(JobKind::Cleanup, spec_text(true)), now);
        e.record_job(&job, now).await.unwrap();
        let (j, _) = settle(&e, &job.id, now).await;
        assert_eq!(j.state, JobState::Done, "{:?}", j.failure);
        lines = format!("{:?}", e.ports().store.job_timeline(&job.id));
    }
    let w = e.ports().w();
    assert_eq!(
        w.deleted,
        ["ami-1"],
        "past its grace period, never launched"
    );
    assert_eq!(w.retired, ["ami-2"], "retired once, then waiting");
    assert!(lines.contains("ami-4 was launched on"), "{lines}");
    // Each step told consumers once, naming the version.
    let told: Vec<(String, serde_json::Value)> = e
        .ports()
        .store
        .outbox()
        .iter()
        .map(|a| (a.id.clone(), serde_json::from_str(&a.body).unwrap()))
        .collect();
    let ids: Vec<&str> = told.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(ids, ["image-deleted-ami-1", "image-retired-ami-2"]);
    let retired = &told[1].1;
    assert_eq!(retired["action"], "retired");
    assert_eq!(retired["version_title"], "2");
    assert_eq!(retired["release_id"], "r-000000000002");
    assert!(retired["deprecate_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn cancelling_a_followed_job_cancels_its_change_set() {
    let e = Engine::new(Fake::default(), vec![], "w1");
    let job = Job::new(request(JobKind::Create, spec_text(false)), 0);
    e.record_job(&job, 0).await.unwrap();
    e.step_jobs(0).await.unwrap();
    let j = e.ports().store.job(&job.id).unwrap();
    assert_eq!(j.state, JobState::Following);
    let j = e
        .request_job(j, JobEvent::CancelRequested { by: "ops".into() }, 10)
        .await
        .unwrap();
    assert_eq!(j.state, JobState::Cancelled);
    assert_eq!(e.ports().w().cancelled, ["cs-0"]);
}
