//! Event fault rules on the whole path: a change set ends (through `tick` or CancelChangeSet),
//! `crate::catalog::lifecycle` emits its event, `deliver` applies the rules, and a seller's
//! ReceiveMessage on the events queue sees the outcome.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde_json::{Value, json};

use crate::catalog::lifecycle;
use crate::config::SandboxConfig;
use crate::ec2::Ctx;
use crate::faults::{FaultKind, FaultRule};
use crate::world::World;
use crate::world::catalog::ChangeSet;
use crate::world::sqs::{Message, Sqs};
use crate::worlds::SELLER_ACCOUNT;

const QUEUE: &str = "amipub-catalog-events";
const SUCCEEDED: &str = "Change Set Succeeded";
const CANCELLED: &str = "Change Set Cancelled";

/// A world whose clock stands still until a test moves it, with the seller's events queue.
fn world(seed: u64, faults: Vec<FaultRule>) -> World {
    let mut w = World::new(SandboxConfig {
        seed,
        time_scale: 0.0,
        start_time: DateTime::UNIX_EPOCH,
        faults,
        ..SandboxConfig::default()
    });
    crate::sqs::ensure_queue(&mut w, SELLER_ACCOUNT, "us-east-1", QUEUE);
    w
}

/// Submits an empty change set of the seller's that is PREPARING now.
fn submit(w: &mut World, id: &str) {
    let now = w.clock.elapsed();
    let cs = ChangeSet {
        id: id.to_owned(),
        account: SELLER_ACCOUNT.to_owned(),
        name: format!("test {id}"),
        intent: "APPLY".to_owned(),
        status: "PREPARING".to_owned(),
        started: now,
        next_at: now + w.config.catalog_prepare_seconds,
        ended: None,
        failure_code: None,
        failure_description: None,
        changes: Vec::new(),
        locked: Vec::new(),
        tags: BTreeMap::new(),
    };
    w.catalog.change_sets.insert(id.to_owned(), cs);
}

/// The seller calling in us-east-1 at the world's current virtual time.
fn seller(w: &World) -> Ctx {
    Ctx {
        now: w.clock.elapsed(),
        ..Ctx::root_of(SELLER_ACCOUNT, "us-east-1")
    }
}

/// Lets a submitted change set run to SUCCEEDED (PREPARING and APPLYING both pass).
fn succeed(w: &mut World, id: &str) {
    submit(w, id);
    let c = &w.config;
    w.clock
        .advance(c.catalog_prepare_seconds + c.catalog_apply_seconds);
    lifecycle::tick(w);
    let status = w.catalog.change_sets.get(id).map(|c| c.status.clone());
    assert_eq!(status.as_deref(), Some("SUCCEEDED"));
}

/// Submits a change set and cancels it at once.
fn cancel(w: &mut World, id: &str) {
    submit(w, id);
    let ctx = seller(w);
    assert!(lifecycle::cancel(w, &ctx, id).is_ok(), "cancel {id}");
}

/// Every message on the events queue, received or not.
fn queued(w: &World) -> Vec<Message> {
    let key = Sqs::key(SELLER_ACCOUNT, "us-east-1", QUEUE);
    w.sqs
        .queues
        .get(&key)
        .map(|q| q.messages.clone())
        .unwrap_or_default()
}

/// What one ReceiveMessage of up to ten messages returns now; what it returns stays hidden for
/// the rest of the test (an hour, the longest any test runs).
fn receive(w: &mut World) -> Vec<Value> {
    let ctx = seller(w);
    let body = json!({
        "QueueUrl": format!("http://localhost/{SELLER_ACCOUNT}/{QUEUE}"),
        "MaxNumberOfMessages": 10,
        "VisibilityTimeout": 3600,
    });
    match crate::sqs::handle(w, &ctx, "ReceiveMessage", &body) {
        Ok(out) => out["Messages"].as_array().cloned().unwrap_or_default(),
        Err(e) => panic!("ReceiveMessage: {e:?}"),
    }
}

/// The change set id in a received message's event.
fn change_set_of(message: &Value) -> String {
    let event: Value =
        serde_json::from_str(message["Body"].as_str().unwrap_or("")).unwrap_or_default();
    event["detail"]["ChangeSetId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn event_rule(kind: FaultKind, detail_type: &str, probability: f64, delay: f64) -> FaultRule {
    FaultRule::event(kind, detail_type, probability, delay)
}

#[test]
fn without_rules_each_event_arrives_once() {
    let mut w = world(1, Vec::new());
    succeed(&mut w, "csa");
    let got = receive(&mut w);
    assert_eq!(got.len(), 1);
    assert_eq!(change_set_of(&got[0]), "csa");
}

#[test]
fn a_drop_rule_leaves_the_queue_empty() {
    let mut w = world(
        1,
        vec![event_rule(FaultKind::DropEvent, SUCCEEDED, 1.0, 0.0)],
    );
    succeed(&mut w, "csa");
    assert!(queued(&w).is_empty());
    assert!(receive(&mut w).is_empty());
}

#[test]
fn a_duplicate_rule_delivers_two_messages_with_one_body() {
    let mut w = world(1, vec![event_rule(FaultKind::DuplicateEvent, "", 1.0, 0.0)]);
    succeed(&mut w, "csa");
    let got = receive(&mut w);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["Body"], got[1]["Body"]);
    assert_ne!(got[0]["MessageId"], got[1]["MessageId"]);
    assert_eq!(change_set_of(&got[0]), "csa");
}

#[test]
fn a_delay_rule_hides_the_event_until_the_delay_has_passed() {
    let mut w = world(
        1,
        vec![event_rule(FaultKind::DelayEvent, SUCCEEDED, 1.0, 300.0)],
    );
    succeed(&mut w, "csa");
    assert!(receive(&mut w).is_empty(), "visible at once");
    w.clock.advance(299.0);
    assert!(receive(&mut w).is_empty(), "visible a second early");
    w.clock.advance(2.0);
    let got = receive(&mut w);
    assert_eq!(got.len(), 1);
    assert_eq!(change_set_of(&got[0]), "csa");
}

#[test]
fn a_delayed_event_is_overtaken_by_a_later_one() {
    let rule = event_rule(FaultKind::DelayEvent, CANCELLED, 1.0, 300.0);
    let mut w = world(1, vec![rule]);
    cancel(&mut w, "first");
    w.clock.advance(60.0);
    succeed(&mut w, "second");
    let got: Vec<String> = receive(&mut w).iter().map(change_set_of).collect();
    assert_eq!(got, ["second"]);
    w.clock.advance(300.0);
    let got: Vec<String> = receive(&mut w).iter().map(change_set_of).collect();
    assert_eq!(got, ["first"]);
}

#[test]
fn a_rule_aimed_at_one_change_set_spares_the_others() {
    let rule = event_rule(FaultKind::DropEvent, &format!("{CANCELLED}/csb"), 1.0, 0.0);
    let mut w = world(1, vec![rule]);
    cancel(&mut w, "csa");
    cancel(&mut w, "csb");
    let got: Vec<String> = receive(&mut w).iter().map(change_set_of).collect();
    assert_eq!(got, ["csa"]);
}

#[test]
fn request_rules_never_touch_events() {
    // Every request kind, selecting everything or (built here without the settings' checks)
    // naming the events service, with a duplicate rule behind them: if any of them applied to
    // the event, it would fire first and the duplicate rule would never be reached.
    let mut rules = Vec::new();
    for service in ["", "events"] {
        for kind in [
            FaultKind::Throttle,
            FaultKind::ServerError,
            FaultKind::Reset,
            FaultKind::Latency,
            FaultKind::Deny,
            FaultKind::DropShare,
        ] {
            rules.push(FaultRule {
                service: service.to_owned(),
                operation: String::new(),
                region: String::new(),
                kind,
                probability: 1.0,
                latency_ms: 0,
            });
        }
    }
    rules.push(event_rule(FaultKind::DuplicateEvent, "", 1.0, 0.0));
    let mut w = world(1, rules);
    succeed(&mut w, "csa");
    assert_eq!(receive(&mut w).len(), 2);
}

#[test]
fn event_rules_never_touch_requests() {
    for kind in [
        FaultKind::DropEvent,
        FaultKind::DuplicateEvent,
        FaultKind::DelayEvent,
    ] {
        for detail_type in ["", SUCCEEDED] {
            let rule = event_rule(kind, detail_type, 1.0, 5.0);
            for service in ["events", "sqs", "aws-marketplace", "ec2"] {
                assert!(!rule.matches(service, "ReceiveMessage", "us-east-1", None));
                assert!(!rule.matches(service, SUCCEEDED, "us-east-1", None));
            }
            assert!(rule.matches_event(SUCCEEDED, "us-east-1", Some("csa")));
        }
    }
}

/// What became of each of `n` cancelled change sets' events: `dropped`, `duplicated`,
/// `delayed` or `delivered`, read from the queue before anyone receives.
fn outcomes(seed: u64, rules: &[FaultRule], n: usize) -> Vec<&'static str> {
    let mut w = world(seed, rules.to_vec());
    for i in 0..n {
        cancel(&mut w, &format!("cs{i}"));
    }
    let messages = queued(&w);
    (0..n)
        .map(|i| {
            let id = format!("\"ChangeSetId\":\"cs{i}\"");
            let mine: Vec<&Message> = messages.iter().filter(|m| m.body.contains(&id)).collect();
            match mine.as_slice() {
                [] => "dropped",
                [_, _] => "duplicated",
                [m] if m.visible_at > m.sent => "delayed",
                [_] => "delivered",
                _ => "more than twice",
            }
        })
        .collect()
}

#[test]
fn a_mix_of_rules_gives_the_same_faults_for_the_same_seed() {
    // The benchmark's shape: drop 30 %, then duplicate or delay 5 % each of what is left.
    let rules = [
        event_rule(FaultKind::DropEvent, "", 0.3, 0.0),
        event_rule(FaultKind::DuplicateEvent, "", 0.05, 0.0),
        event_rule(FaultKind::DelayEvent, "", 0.05, 300.0),
    ];
    let first = outcomes(7, &rules, 200);
    assert_eq!(first, outcomes(7, &rules, 200), "same seed, other faults");
    assert_ne!(first, outcomes(8, &rules, 200), "the seed changes nothing");
    let count = |what: &str| first.iter().filter(|o| **o == what).count();
    let dropped = count("dropped");
    assert!((40..=80).contains(&dropped), "{dropped} of 200 dropped");
    for what in ["duplicated", "delayed", "delivered"] {
        assert!(count(what) > 0, "no event {what}: {first:?}");
    }
    assert_eq!(count("more than twice"), 0);
}

/// `POST /_sandbox/faults` with `rules`: the status and the JSON answer.
async fn post_faults(w: World, rules: Value) -> (u16, Value, World) {
    let shared = std::sync::Arc::new(std::sync::Mutex::new(w));
    let uri = axum::http::Uri::from_static("/_sandbox/faults");
    let body = json!({ "rules": rules }).to_string();
    let response = crate::admin::handle(&shared, &axum::http::Method::POST, &uri, body.as_bytes());
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let answer = serde_json::from_slice(&bytes).unwrap_or_default();
    let w = match std::sync::Arc::try_unwrap(shared) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(_) => panic!("the admin handler kept the world"),
    };
    (status, answer, w)
}

#[tokio::test]
async fn the_admin_api_takes_event_rules_and_refuses_broken_ones() {
    let rule = json!({
        "service": "events", "operation": SUCCEEDED, "kind": "delay_event",
        "probability": 1.0, "delay_seconds": 30,
    });
    let (status, answer, mut w) = post_faults(world(1, Vec::new()), json!([rule])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rules"][0]["delay_seconds"], 30.0);
    succeed(&mut w, "csa");
    assert!(receive(&mut w).is_empty());
    w.clock.advance(30.0);
    assert_eq!(receive(&mut w).len(), 1);

    let broken = json!({ "service": "events", "kind": "delay_event", "probability": 1.0 });
    let (status, answer, w) = post_faults(w, json!([broken])).await;
    assert_eq!(status, 400);
    let message = answer["error"].as_str().unwrap_or("");
    assert!(
        message.contains("delay_event needs delay_seconds > 0"),
        "{message}"
    );
    assert_eq!(
        w.config.faults.len(),
        1,
        "the refused rules replaced the old ones"
    );
}
