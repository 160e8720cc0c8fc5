//! Change-set events and paced polling against fakes whose change sets end at a set virtual
//! time: an event wakes the release that follows the change set; the end of one release's change
//! set wakes the next release of the product; a duplicate event changes nothing; without events
//! the paced polling notices the end, at the expected time once the product has a history.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::LiveVersion;
use amipub_domain::release::{ControlFinding, ImageFacts, Release, State};
use amipub_domain::spec::parse_spec;
use amipub_engine::events::{Events, QueuedMessage, pump};
use amipub_engine::ports::{
    Catalog, ChangeSetStatus, CopyRequest, Grants, Images, Parameters, PortResult, StartOutcome,
    Store,
};
use amipub_engine::{Engine, Product};
use amipub_testkit::fakes::{MemoryBuyers, MemoryClones, MemoryStore, image_facts};

const SPEC: &str = include_str!("../../../examples/products/fedora-cloud-base.toml");
const BUILD: &str = "125523088429";
/// How long every change set runs in the fake.
const SCAN: i64 = 500;

#[derive(Default)]
struct World {
    /// Change sets by id: (title, started at).
    started: Vec<(String, i64)>,
    versions: Vec<String>,
    status_calls: BTreeMap<String, u32>,
    params: BTreeMap<(String, String), String>,
    now: i64,
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
    async fn inspect(&self, _region: &str, _ami: &str) -> PortResult<Option<ImageFacts>> {
        Ok(Some(image_facts(BUILD)))
    }
    async fn find_mirror(&self, _release: &str) -> PortResult<Option<(String, ImageState)>> {
        Ok(None)
    }
    async fn copy(&self, request: &CopyRequest) -> PortResult<String> {
        Ok(format!("ami-m-{}", request.release))
    }
    async fn launchable(&self, _region: &str, _ami: &str) -> PortResult<bool> {
        Ok(true)
    }
    async fn state(&self, _ami: &str) -> PortResult<Option<ImageState>> {
        Ok(Some("available".into()))
    }
}

impl Grants for Fake {
    async fn check(&self) -> PortResult<Option<String>> {
        Ok(None)
    }
}

impl Catalog for Fake {
    async fn versions(&self, _product: &str) -> PortResult<Vec<LiveVersion>> {
        Ok(self
            .w()
            .versions
            .iter()
            .map(|t| LiveVersion {
                id: format!("v-{t}"),
                title: t.clone(),
                created: "2026-01-01T00:00:00Z".into(),
                option_id: None,
                restricted: false,
                source_ami: None,
            })
            .collect())
    }
    async fn open_change_set(&self, _product: &str) -> PortResult<Option<String>> {
        Ok(None)
    }
    async fn start(&self, cs: &ChangeSet) -> PortResult<StartOutcome> {
        let mut w = self.w();
        let title = cs.changes[0].details_document["Version"]["VersionTitle"]
            .as_str()
            .unwrap()
            .to_owned();
        let now = w.now;
        w.started.push((title, now));
        Ok(StartOutcome::Started(format!("cs{}", w.started.len() - 1)))
    }
    async fn status(&self, id: &str) -> PortResult<ChangeSetStatus> {
        let mut w = self.w();
        *w.status_calls.entry(id.to_owned()).or_default() += 1;
        let i: usize = id.trim_start_matches("cs").parse().unwrap();
        let (title, at) = w.started[i].clone();
        if w.now < at + SCAN {
            return Ok(ChangeSetStatus::Running);
        }
        if !w.versions.contains(&title) {
            w.versions.push(title);
        }
        Ok(ChangeSetStatus::Succeeded)
    }
    async fn cancel(&self, _id: &str) -> PortResult<()> {
        Ok(())
    }
    async fn assessments(&self, _id: &str) -> PortResult<Vec<ControlFinding>> {
        Ok(Vec::new())
    }
    async fn locate(
        &self,
        _code: &str,
        _name_prefix: &str,
        regions: &[Region],
    ) -> PortResult<BTreeMap<Region, String>> {
        Ok(regions
            .iter()
            .map(|r| (r.clone(), format!("ami-mp-{r}")))
            .collect())
    }
}

impl Parameters for Fake {
    async fn get(&self, region: &str, name: &str) -> PortResult<Option<String>> {
        let key = (region.to_owned(), name.to_owned());
        Ok(self.w().params.get(&key).cloned())
    }
    async fn set(&self, region: &str, name: &str, ami: &str) -> PortResult<()> {
        let key = (region.to_owned(), name.to_owned());
        self.w().params.insert(key, ami.to_owned());
        Ok(())
    }
}

amipub_testkit::ports_of_one_fake!(Fake);

/// A queue holding change-set events.
#[derive(Default)]
struct Queue {
    messages: Mutex<Vec<QueuedMessage>>,
    deleted: Mutex<Vec<String>>,
}

impl Queue {
    fn push(&self, change_set: &str) {
        let mut m = self.messages.lock().unwrap();
        let receipt = format!("receipt-{}", m.len());
        let body = serde_json::json!({
            "version": "0", "id": receipt, "detail-type": "Change Set Succeeded",
            "source": "aws.marketplacecatalog", "account": "111122223333",
            "time": "2026-12-04T10:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"requestId": "r", "Catalog": "AWSMarketplace", "ChangeSetId": change_set},
        });
        m.push(QueuedMessage {
            receipt,
            body: body.to_string(),
        });
    }
}

impl Events for Queue {
    async fn receive(&self, _wait_secs: i32) -> PortResult<Vec<QueuedMessage>> {
        Ok(std::mem::take(&mut *self.messages.lock().unwrap()))
    }
    async fn delete(&self, receipts: &[String]) -> PortResult<()> {
        self.deleted.lock().unwrap().extend_from_slice(receipts);
        Ok(())
    }
}

fn engine() -> Engine<Fake> {
    let mut spec = parse_spec(SPEC).unwrap();
    spec.product.id = Some("prod-fedoracbx8664".into());
    spec.product.product_code = Some("fedoracloudbasex8664code0".into());
    let product = Product::new(
        spec,
        "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion",
    );
    Engine::new(Fake::default(), vec![product], "worker-1")
}

fn release(id: &str, version: &str) -> Release {
    let mut r = Release::new(
        id,
        "fedora-cloud-base-x86-64",
        version,
        "us-east-1",
        "ami-06b2596588ff27750",
        vec![BUILD.into()],
        "x86_64",
        vec!["us-east-1".into(), "eu-west-1".into()],
        0,
    );
    r.vars = [
        ("release".to_owned(), "41".to_owned()),
        ("arch".to_owned(), "x86_64".to_owned()),
    ]
    .into();
    r
}

async fn step_at(e: &Engine<Fake>, now: i64) {
    e.ports().w().now = now;
    e.step(now).await.unwrap();
}

/// Steps every virtual second from `now` until `id` is in `wanted`; returns the time it got there.
async fn until(e: &Engine<Fake>, id: &str, wanted: State, mut now: i64) -> i64 {
    loop {
        step_at(e, now).await;
        if state(e, id) == wanted {
            return now;
        }
        now += 1;
        assert!(now < 48 * 3600, "{id} never reached {wanted:?}");
    }
}

/// Lets `id`'s own polls run (each at its due time) until the next one comes after `end`.
async fn polls_until_after(e: &Engine<Fake>, id: &str, end: i64) {
    loop {
        let due = e.ports().store.get(id).unwrap().next_check_at.unwrap();
        if due > end + 1 {
            return;
        }
        step_at(e, due).await;
    }
}

/// Two turns at `now`: the second moves what the first woke or left due at once.
async fn turns(e: &Engine<Fake>, now: i64) {
    step_at(e, now).await;
    step_at(e, now).await;
}

fn state(e: &Engine<Fake>, id: &str) -> State {
    e.ports().store.get(id).unwrap().state
}

fn status_calls(e: &Engine<Fake>, cs: &str) -> u32 {
    e.ports().w().status_calls.get(cs).copied().unwrap_or(0)
}

#[tokio::test]
async fn an_event_wakes_the_release_that_follows_the_change_set() {
    let e = engine();
    let queue = Queue::default();
    e.record(&release("r1", "41.1"), 0).await.unwrap();
    let end = until(&e, "r1", State::Scanning, 0).await + SCAN;
    polls_until_after(&e, "r1", end).await;
    let polls = status_calls(&e, "cs0");
    // The change set has ended; the next poll is later.
    step_at(&e, end + 1).await;
    assert_eq!(state(&e, "r1"), State::Scanning);
    assert_eq!(status_calls(&e, "cs0"), polls);
    queue.push("cs0");
    let pumped = pump(&queue, &e.ports().store, 20, end + 1).await.unwrap();
    assert_eq!((pumped.received, pumped.stored), (1, 1));
    assert_eq!(*queue.deleted.lock().unwrap(), ["receipt-0"]);
    turns(&e, end + 1).await;
    assert_eq!(state(&e, "r1"), State::Done);
    assert_eq!(status_calls(&e, "cs0"), polls + 1);
}

#[tokio::test]
async fn the_end_of_a_change_set_wakes_the_next_release_of_the_product() {
    let e = engine();
    let queue = Queue::default();
    e.record(&release("r1", "41.1"), 0).await.unwrap();
    e.record(&release("r2", "41.2"), 0).await.unwrap();
    let end = until(&e, "r2", State::Submitting, 0).await + SCAN;
    assert_eq!(state(&e, "r1"), State::Scanning);
    polls_until_after(&e, "r1", end).await;
    polls_until_after(&e, "r2", end).await;
    assert_eq!(state(&e, "r2"), State::Submitting);
    queue.push("cs0");
    pump(&queue, &e.ports().store, 20, end + 1).await.unwrap();
    turns(&e, end + 1).await;
    assert_eq!(state(&e, "r1"), State::Done);
    // r2 was woken by r1 letting go of the product, in the same instant.
    step_at(&e, end + 1).await;
    assert_eq!(state(&e, "r2"), State::Scanning);
    assert_eq!(e.ports().w().started.len(), 2);
}

#[tokio::test]
async fn a_duplicate_event_changes_nothing() {
    let e = engine();
    let queue = Queue::default();
    e.record(&release("r1", "41.1"), 0).await.unwrap();
    let end = until(&e, "r1", State::Scanning, 0).await + SCAN;
    polls_until_after(&e, "r1", end).await;
    let polls = status_calls(&e, "cs0");
    queue.push("cs0");
    queue.push("cs0");
    let pumped = pump(&queue, &e.ports().store, 20, end + 1).await.unwrap();
    assert_eq!(pumped.stored, 2);
    turns(&e, end + 1).await;
    assert_eq!(state(&e, "r1"), State::Done);
    let timeline = e.ports().store.timeline("r1").len();
    // The same event again, late: it finds nothing waiting on cs0.
    queue.push("cs0");
    pump(&queue, &e.ports().store, 20, end + 2).await.unwrap();
    step_at(&e, end + 2).await;
    assert_eq!(e.ports().store.timeline("r1").len(), timeline);
    assert_eq!(status_calls(&e, "cs0"), polls + 1);
    assert_eq!(e.ports().w().started.len(), 1);
    assert_eq!(e.ports().store.apply_wakes(end + 3).await.unwrap(), 0);
}

#[tokio::test]
async fn without_events_polling_notices_the_end_and_history_places_the_look() {
    let e = engine();
    e.record(&release("r1", "41.1"), 0).await.unwrap();
    let mut now = 0;
    while state(&e, "r1") != State::Done {
        step_at(&e, now).await;
        now += 1;
        assert!(now < 48 * 3600, "r1 never finished");
    }
    let first = status_calls(&e, "cs0");
    assert!(
        first >= 2,
        "the first release backs off blindly ({first} polls)"
    );
    let took = e.ports().store.get("r1").unwrap().took.scan.unwrap();
    assert!(took >= SCAN);
    // The second release expects what the first took: one poll, at the end.
    let start = now;
    e.record(&release("r2", "41.2"), start).await.unwrap();
    while state(&e, "r2") != State::Done {
        step_at(&e, now).await;
        now += 1;
        assert!(now < start + 48 * 3600, "r2 never finished");
    }
    assert_eq!(status_calls(&e, "cs1"), 1);
    let took2 = e.ports().store.get("r2").unwrap().took.scan.unwrap();
    assert!(
        took2 <= took,
        "r2's scan was noticed after {took2} s, r1's after {took} s"
    );
}
