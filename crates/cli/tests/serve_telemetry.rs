//! What `amipub serve --log-format json` says about its work: one JSON line per transition with
//! the release's id, exactly one ERROR line (with kind and remedy) for a release that fails, and
//! a `/metrics` page that a Prometheus text parser reads, with every family of the registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::{Duration, Instant};

use amipub_domain::messages::INBOUND_SCHEMA as INBOUND;
use amipub_domain::release::Release;
use amipub_sandbox::faults::{FaultKind, FaultRule};
use amipub_sandbox::server::lock;
use amipub_store::SqlStore;
use amipub_telemetry::metrics::FAMILIES;
use amipub_testkit::bus::*;
use amipub_testkit::service::Env;
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

/// Waits until the store holds `n` releases and all are finished.
async fn finished(store: &SqlStore, n: usize, serve: &Serve) -> Vec<Release> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let all = store.list(100).await.unwrap();
        if all.len() == n && all.iter().all(|r| r.state.is_terminal()) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "releases still moving: {:?}\n{}",
            all.iter().map(|r| r.state).collect::<Vec<_>>(),
            serve.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A fault on every call of `operation`.
fn rule(service: &str, operation: &str, kind: FaultKind) -> FaultRule {
    FaultRule {
        service: service.into(),
        operation: operation.into(),
        region: String::new(),
        kind,
        probability: 1.0,
        latency_ms: 0,
    }
}

/// The log's JSON objects (every line must be one).
fn json_lines(serve: &Serve) -> Vec<Value> {
    let text = serve.log_text();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transitions_failures_and_metrics_are_reported_for_machines() {
    let env = Env::new(AMIPUB, 3000.0);
    let vhost = Vhost::new("telemetry");
    configure_bus(
        &env,
        &vhost,
        &["org.fedoraproject.prod.fedora_image_uploader.#"],
        "",
    );
    let (_conn, ch) = connect(&vhost.url()).await;
    let mut serve = Serve::start_with(&env, &["--log-format", "json"]);
    let store = env.store().await;

    // The first build meets a throttled SSM until its step gives up once; then AWS recovers.
    lock(&env.world)
        .config
        .faults
        .push(rule("ssm", "PutParameter", FaultKind::Throttle));
    let (key, body) = sample();
    publish(
        &ch,
        &key,
        &body,
        fedora_props("m-1", Some(INBOUND), "application/json"),
    )
    .await;
    serve.wait_for_log("\"event\":\"call_failed\"", Duration::from_secs(120));
    lock(&env.world).config.faults.clear();
    let done = finished(&store, 1, &serve).await.remove(0);
    assert_eq!(done.state.name(), "done", "{}", serve.log_text());

    // The next build may not be copied: it fails for good at its first copy.
    lock(&env.world)
        .config
        .faults
        .push(rule("ec2", "CopyImage", FaultKind::Deny));
    let (key, body) = sample_of(RAWHIDE);
    publish(
        &ch,
        &key,
        &body,
        fedora_props("m-2", Some(INBOUND), "application/json"),
    )
    .await;
    let all = finished(&store, 2, &serve).await;
    let failed = all.iter().find(|r| r.id != done.id).unwrap();
    assert_eq!(failed.state.name(), "failed", "{}", serve.log_text());

    let lines = json_lines(&serve);
    // One line per change of state, in the order of the timeline.
    for r in [&done, failed] {
        let stored: Vec<(String, String)> = store
            .timeline(&r.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.from != e.to)
            .map(|e| (e.from, e.to))
            .collect();
        let logged: Vec<(String, String)> = lines
            .iter()
            .filter(|l| l["event"] == "transition" && l["id"] == r.id.as_str())
            .map(|l| {
                assert_eq!(l["subject"], "release", "{l}");
                (
                    l["from"].as_str().unwrap().to_owned(),
                    l["to"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(logged, stored, "release {}", r.id);
    }
    // The failure: exactly one ERROR line, with what happened and what to do.
    let errors: Vec<&Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert_eq!(e["event"], "work_failed", "{e}");
    assert_eq!(e["id"], failed.id.as_str(), "{e}");
    assert_eq!(e["kind"], "access_denied", "{e}");
    // It names the call that failed and where, from the command's span.
    assert_eq!(e["span"]["name"], "command", "{e}");
    assert_eq!(e["span"]["command"], "ensure_mirror", "{e}");
    assert_eq!(e["spans"][0]["id"], failed.id.as_str(), "{e}");
    assert_eq!(e["span"]["call"], "CopyImage", "{e}");
    assert_eq!(e["span"]["region"], "us-east-1", "{e}");
    assert_eq!(e["span"]["resource"], failed.source_ami.as_str(), "{e}");
    let throttled = lines
        .iter()
        .find(|l| l["event"] == "call_failed")
        .expect("a call_failed line");
    assert_eq!(throttled["span"]["call"], "PutParameter", "{throttled}");
    assert!(
        throttled["span"]["resource"]
            .as_str()
            .is_some_and(|p| p.starts_with("/fedora/")),
        "{throttled}"
    );
    assert_eq!(throttled["kind"], "throttled", "{throttled}");
    let remedy = e["remedy"].as_str().unwrap();
    assert_eq!(remedy, failed.failure.as_ref().unwrap().remedy, "{e}");
    assert!(!remedy.is_empty());

    // The metrics page parses and holds every family of the registry that this run moved
    // (all but a product lock and a lost lease, which one worker and two releases in a row
    // never meet, dead letters: every delivery here is good, and change-set events: this
    // configuration has no [events] queue).
    let (code, text) = http_get(&serve.addr, "/metrics").unwrap();
    assert_eq!(code, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not Prometheus text ({e}):\n{text}"));
    let absent = [
        "amipub_product_locked",
        "amipub_leases_lost",
        "amipub_intake_dead_letters",
        "amipub_change_set_events",
    ];
    for (family, _) in FAMILIES.iter().filter(|(f, _)| !absent.contains(f)) {
        assert!(
            scrape.docs.contains_key(*family),
            "no family {family} in:\n{text}"
        );
    }
    let value = |name: &str, label: (&str, &str)| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name && s.labels.get(label.0) == Some(label.1))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(
        value("amipub_transitions_total", ("to", "done")),
        1.0,
        "{text}"
    );
    assert_eq!(
        value("amipub_failures_total", ("kind", "access_denied")),
        1.0,
        "{text}"
    );
    assert_eq!(value("amipub_releases", ("state", "failed")), 1.0, "{text}");
    assert!(
        value("amipub_aws_calls_total", ("outcome", "ok")) > 10.0,
        "{text}"
    );
    assert!(
        value("amipub_aws_calls_total", ("outcome", "access_denied")) >= 1.0,
        "{text}"
    );
    assert!(
        value("amipub_aws_throttles_total", ("service", "ssm")) >= 1.0,
        "{text}"
    );
    assert!(
        value("amipub_call_failures_total", ("kind", "throttled")) >= 1.0,
        "{text}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "amipub_aws_call_duration_seconds"),
        "{text}"
    );
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
