//! `[events]` end to end against the sandbox: `init` creates the queue and its policy once and
//! prints the EventBridge rule to apply; `iam-policy` allows the queue's calls; `serve` reads the
//! change-set events of a release it publishes (each received and deleted) and the release is
//! published.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::{Duration, Instant};

use amipub_domain::changeset::events::RULE_PATTERN;
use amipub_domain::release::State;
use amipub_sandbox::server::lock;
use amipub_testkit::bus::free_port;
use amipub_testkit::service::{Env, VERSION};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(90);
const ACCOUNT: &str = "111122223333";

/// Appends `[events]` naming the seller's queue `name` on the sandbox; its URL.
fn with_events(env: &Env, name: &str) -> String {
    let url = format!("{}/{ACCOUNT}/{name}", env.endpoint);
    let path = env.path("amipub.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("\n[events]\nqueue_url = \"{url}\"\n"));
    std::fs::write(&path, text).unwrap();
    url
}

/// The bodies on the seller's queue `name`, received or not.
fn on_queue(env: &Env, name: &str) -> Vec<String> {
    let w = lock(&env.world);
    let q = w.sqs.queues.values().find(|q| q.name == name).unwrap();
    q.messages.iter().map(|m| m.body.clone()).collect()
}

/// How many `operation` calls SQS answered with 200.
fn sqs_calls(env: &Env, operation: &str) -> usize {
    lock(&env.world)
        .requests
        .iter()
        .filter(|r| r.service == "sqs" && r.operation == operation && r.status == 200)
        .count()
}

#[test]
fn init_creates_the_queue_once_and_prints_the_rule_to_apply() {
    let env = Env::new(AMIPUB, 0.0);
    let name = "amipub-change-sets";
    let url = with_events(&env, name);
    let arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}");
    env.append_config("[tags]\nFedoraGroup = \"cloud\"\n");

    let (code, out, err) = env.amipub(["init"]).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("created queue {url}")), "{out}");
    {
        let w = lock(&env.world);
        let q = w.sqs.queues.values().find(|q| q.name == name).unwrap();
        assert_eq!(q.tags.get("FedoraGroup").map(String::as_str), Some("cloud"));
    }
    assert!(out.contains("wrote its policy"), "{out}");
    assert!(out.contains("does not call EventBridge"), "{out}");
    assert!(out.contains("amipub-catalog-change-sets"), "{out}");
    assert!(
        out.contains(&format!("--event-pattern '{RULE_PATTERN}'")),
        "{out}"
    );
    assert!(out.contains(&format!("Arn={arn}")), "{out}");
    assert!(!out.contains("warning"), "{out}");

    let (code, out, err) = env.amipub(["init"]).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("found queue {url}")), "{out}");
    assert!(out.contains("verified its policy"), "{out}");
    assert_eq!(sqs_calls(&env, "CreateQueue"), 1);
    assert_eq!(sqs_calls(&env, "SetQueueAttributes"), 1);

    let (code, policy, _) = env.amipub(["iam-policy", "--with-init"]).finish(LIMIT);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let allowed = |action: &str, resource: &str| {
        doc["Statement"].as_array().unwrap().iter().any(|s| {
            let listed = match &s["Action"] {
                serde_json::Value::Array(a) => a.iter().any(|a| a == action),
                one => one == action,
            };
            listed && s["Resource"] == resource
        })
    };
    for action in [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:CreateQueue",
        "sqs:SetQueueAttributes",
    ] {
        assert!(allowed(action, &arn), "{action} on {arn} missing: {policy}");
    }
    assert!(policy.contains("ssm:GetParameters"), "{policy}");
}

#[test]
fn serve_reads_the_change_set_events_of_the_release_it_publishes() {
    let env = Env::new(AMIPUB, 2000.0);
    let queue = "amipub-catalog-events";
    with_events(&env, queue);
    let (code, out, err) = env
        .publish_detached("products/fedora.toml", VERSION)
        .finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut serve = env.amipub(["serve", "--listen", &listen]).spawn();
    assert!(
        serve.wait_for_stderr("change-set events from", LIMIT),
        "{}",
        serve.stderr().text()
    );

    // The release is published, and every event of its change sets was received and deleted.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let deadline = Instant::now() + LIMIT;
    let done = loop {
        let releases = rt.block_on(async {
            let store = env.store().await;
            let all = store.list(10).await.unwrap();
            store.close().await;
            all
        });
        let events_left = on_queue(&env, queue).len();
        if releases.iter().all(|r| r.state.is_terminal()) && events_left == 0 {
            break releases;
        }
        assert!(
            Instant::now() < deadline,
            "not finished: {releases:?}, {events_left} events on the queue; log:\n{}",
            serve.stderr().text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    serve.terminate(Duration::from_secs(30));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].state, State::Done, "{:?}", done[0].failure);
    assert!(
        sqs_calls(&env, "DeleteMessageBatch") >= 1,
        "no event was deleted"
    );
    let log = serve.stderr().text();
    assert!(!log.contains("events: "), "the events loop failed:\n{log}");
}
