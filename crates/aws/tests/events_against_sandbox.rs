//! Change-set events and batched parameter reads against the sandbox over real HTTP: a change
//! set's end reaches the `amipub-catalog-events` queue, `pump` on `QueueEvents` stores the
//! wake-up of the release waiting on it and deletes the message; a message that is no event is
//! dropped; a receipt SQS refuses is reported; `ensure_queue` creates a queue and its policy once;
//! SSM `get_many` reads ten names a call and leaves out the missing ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_aws::{AwsPorts, QueueAddress, QueueEvents, Seller, Target, ensure_queue};
use amipub_domain::changeset::{AMI_PRODUCT, Change, ChangeSet};
use amipub_domain::release::{FailureKind, Release, State};
use amipub_engine::events::{Events, Pumped, pump};
use amipub_engine::memory::MemoryStore;
use amipub_engine::ports::{Catalog, Parameters, Ports, StartOutcome, Store};
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::{FEDORA_PRODUCT_ID, SELLER_ACCOUNT, ingestion_role_arn};
use amipub_testkit::sandbox::{self, Sandbox};

const QUEUE: &str = "amipub-catalog-events";
const FEDORA_41: &str = "ami-06b2596588ff27750";

/// A sandbox whose clock moves only when told to, and the seller's target on it.
fn sandbox() -> (Sandbox, Target) {
    let handle = sandbox::start(0.0);
    let target = Target::sandbox(&handle.endpoint, SELLER_ACCOUNT);
    (handle, target)
}

async fn ports(target: &Target) -> AwsPorts<MemoryStore> {
    let seller = Seller {
        account: SELLER_ACCOUNT.into(),
        home_region: "us-east-1".into(),
        ingestion_role: ingestion_role_arn(),
        tags: Default::default(),
    };
    AwsPorts::connect(target, seller, MemoryStore::default()).await
}

fn queue_url(handle: &Sandbox, name: &str) -> String {
    format!("{}/{SELLER_ACCOUNT}/{name}", handle.endpoint)
}

/// The bodies of the messages on the seller's queue `name`, received or not.
fn on_queue(handle: &Sandbox, name: &str) -> Vec<String> {
    let w = lock(&handle.world);
    let q = w
        .sqs
        .queues
        .values()
        .find(|q| q.account == SELLER_ACCOUNT && q.name == name)
        .expect("the queue exists");
    q.messages.iter().map(|m| m.body.clone()).collect()
}

/// A change set on the Fedora product, cancelled at once: its end is an event on the queue.
async fn cancelled_change_set(ports: &AwsPorts<MemoryStore>) -> String {
    let cs = ChangeSet {
        name: "events test".into(),
        token: "events-test-1".into(),
        purpose: "test".into(),
        changes: vec![Change::new(
            "AddInstanceTypes",
            AMI_PRODUCT,
            Some(FEDORA_PRODUCT_ID),
            serde_json::json!({ "InstanceTypes": ["m5.2xlarge"] }),
        )],
    };
    let id = match ports.catalog().start(&cs).await.unwrap() {
        StartOutcome::Started(id) => id,
        StartOutcome::Locked(by) => panic!("the product is locked by {by}"),
    };
    ports.catalog().cancel(&id).await.unwrap();
    id
}

/// A release scanning in `change_set`, next looked at `at`.
fn scanning(change_set: &str, at: i64) -> Release {
    let mut r = Release::new(
        "r-events",
        "fedora-cloud",
        "41.1",
        "us-east-1",
        FEDORA_41,
        vec!["125523088429".into()],
        "x86_64",
        Vec::new(),
        0,
    );
    r.state = State::Scanning;
    r.change_set = Some(change_set.to_owned());
    r.next_check_at = Some(at);
    r
}

#[tokio::test]
async fn a_change_sets_end_wakes_its_release_and_leaves_the_queue() {
    let (handle, target) = sandbox();
    let ports = ports(&target).await;
    let id = cancelled_change_set(&ports).await;
    let bodies = on_queue(&handle, QUEUE);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains(&id), "{bodies:?}");

    let store = MemoryStore::default();
    store.save(&scanning(&id, 10_000), &[], &[]).await.unwrap();
    let events = QueueEvents::connect(&target, &queue_url(&handle, QUEUE));
    assert_eq!(events.queue().unwrap().region, "us-east-1");
    let pumped = pump(&events, &store, 1, 1_000).await.unwrap();
    assert_eq!(
        pumped,
        Pumped {
            received: 1,
            stored: 1,
            ignored: 0
        }
    );
    assert!(
        on_queue(&handle, QUEUE).is_empty(),
        "the message was not deleted"
    );
    // The stored wake-up makes the waiting release due now.
    assert_eq!(store.apply_wakes(1_000).await.unwrap(), 1);
    assert_eq!(store.get("r-events").unwrap().next_check_at, Some(1_000));
    let calls: Vec<String> = lock(&handle.world)
        .requests
        .iter()
        .filter(|r| r.service == "sqs")
        .map(|r| format!("{} {}", r.operation, r.status))
        .collect();
    assert_eq!(
        calls,
        ["ReceiveMessage 200", "DeleteMessageBatch 200"],
        "one receive, one batch delete"
    );
}

#[tokio::test]
async fn a_message_that_is_no_change_set_event_is_dropped_without_a_wake_up() {
    let (handle, target) = sandbox();
    let url = queue_url(&handle, QUEUE);
    let sqs = aws_sdk_sqs::Client::new(&target.sdk_config("us-east-1").await);
    for body in [
        "hello",
        r#"{"source":"aws.ec2","detail-type":"x","detail":{"ChangeSetId":"c"}}"#,
    ] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let store = MemoryStore::default();
    let events = QueueEvents::connect(&target, &url);
    let pumped = pump(&events, &store, 1, 1_000).await.unwrap();
    assert_eq!((pumped.received, pumped.stored, pumped.ignored), (2, 0, 2));
    assert!(on_queue(&handle, QUEUE).is_empty());
}

#[tokio::test]
async fn a_receipt_sqs_refuses_is_reported_with_the_call_and_queue() {
    let (handle, target) = sandbox();
    let url = queue_url(&handle, QUEUE);
    let events = QueueEvents::connect(&target, &url);
    let err = events
        .delete(&["not-a-receipt-handle".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(err.call.as_deref(), Some("DeleteMessageBatch"));
    assert_eq!(err.resource.as_deref(), Some(url.as_str()));
    assert!(
        err.detail.contains("1 of 1") && err.detail.contains("not-a-receipt-handle"),
        "{err}"
    );
    assert_eq!(err.kind, FailureKind::InvalidInput, "{err}");
    // A queue that does not exist is an error of the receive, not an empty batch.
    let gone = QueueEvents::connect(&target, &queue_url(&handle, "no-such-queue"));
    let err = gone.receive(1).await.unwrap_err();
    assert_eq!(err.call.as_deref(), Some("ReceiveMessage"));
    let bad = QueueEvents::connect(&target, "not a url");
    assert!(bad.queue().is_none());
    let err = bad.receive(1).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::InvalidInput, "{err}");
    assert!(err.detail.contains("not an http(s) URL"), "{err}");
}

#[tokio::test]
async fn ensure_queue_creates_the_queue_and_its_policy_once() {
    let (handle, target) = sandbox();
    let name = "amipub-events-elsewhere";
    let address = QueueAddress::parse(&queue_url(&handle, name)).unwrap();
    let tags = std::collections::BTreeMap::from([("FedoraGroup".to_owned(), "cloud".to_owned())]);
    let first = ensure_queue(&target, &address, &tags).await.unwrap();
    assert!(first.created && first.policy_written, "{first:?}");
    assert_eq!(first.url, address.url);
    assert_eq!(
        first.arn,
        format!("arn:aws:sqs:us-east-1:{SELLER_ACCOUNT}:{name}")
    );
    let again = ensure_queue(&target, &address, &tags).await.unwrap();
    assert!(!again.created && !again.policy_written, "{again:?}");
    let policy = {
        let w = lock(&handle.world);
        let q = w.sqs.queues.values().find(|q| q.name == name).unwrap();
        assert_eq!(q.tags, tags, "created tagged");
        q.settings.policy.clone().unwrap()
    };
    let policy: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        statement["Condition"]["ArnEquals"]["aws:SourceArn"],
        format!("arn:aws:events:us-east-1:{SELLER_ACCOUNT}:rule/amipub-catalog-change-sets")
    );
    // The world's own queue is found, not created.
    let existing = QueueAddress::parse(&queue_url(&handle, QUEUE)).unwrap();
    let found = ensure_queue(&target, &existing, &tags).await.unwrap();
    assert!(!found.created && found.policy_written, "{found:?}");
    let w = lock(&handle.world);
    let q = w.sqs.queues.values().find(|q| q.name == QUEUE).unwrap();
    assert_eq!(q.tags, tags, "an older queue is tagged too");
}

#[tokio::test]
async fn get_many_reads_ten_names_a_call_and_leaves_out_missing_ones() {
    let (handle, target) = sandbox();
    let ports = ports(&target).await;
    let params = ports.parameters();
    let names: Vec<String> = (0..12).map(|i| format!("/amipub/test/p{i:02}")).collect();
    for n in &names[..11] {
        params.set("us-east-1", n, FEDORA_41).await.unwrap();
    }
    let before = lock(&handle.world).requests.len();
    let got = params.get_many("us-east-1", &names).await.unwrap();
    assert_eq!(got.len(), 11, "{got:?}");
    assert!(got.values().all(|v| v == FEDORA_41), "{got:?}");
    assert!(!got.contains_key(&names[11]), "a missing name is absent");
    let ssm: Vec<String> = lock(&handle.world).requests[before..]
        .iter()
        .filter(|r| r.service == "ssm")
        .map(|r| r.operation.clone())
        .collect();
    assert_eq!(ssm, ["GetParameters", "GetParameters"]);
}
