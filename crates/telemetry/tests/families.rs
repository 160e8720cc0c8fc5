//! Every event moves its family, every family renders as Prometheus text a parser reads, and
//! `docs/usage/observability.md` lists exactly the events and families this crate has.

use std::collections::BTreeSet;

use amipub_telemetry::events::*;
use amipub_telemetry::metrics::{FAMILIES, Metrics, labels, metrics};
use amipub_telemetry::{EVENTS, Subject};

fn emit_every_event() {
    let r = Subject::Release;
    Transition {
        subject: r,
        id: "r-1",
        product: "p",
        cause: "tick",
        from: "scanning",
        to: "published",
        spent_seconds: Some(3_900),
    }
    .emit();
    CallFailed {
        subject: r,
        id: "r-1",
        kind: "throttled",
        detail: "slow down",
    }
    .emit();
    WorkFailed {
        subject: Subject::Job,
        id: "j-1",
        product: "p",
        step: "submitting",
        kind: "access_denied",
        detail: "no",
        remedy: "grant it",
    }
    .emit();
    ProductLocked {
        id: "r-1",
        product: "p",
        by: "cs-1",
    }
    .emit();
    LeaseLost {
        subject: r,
        id: "r-1",
        worker: "w",
    }
    .emit();
    AwsCall {
        service: "ec2",
        operation: "CopyImage",
        region: "us-east-1",
        outcome: "ok",
        seconds: 0.1,
    }
    .emit();
    AwsThrottled {
        service: "ec2",
        operation: "CopyImage",
        region: "us-east-1",
    }
    .emit();
    BusConnected {
        role: "intake",
        detail: "consuming",
    }
    .emit();
    BusLost {
        role: "sender",
        detail: "gone",
    }
    .emit();
    Delivery {
        outcome: "accepted",
    }
    .emit();
    DeadLettered {
        reason: "not_json",
        detail: "bad",
    }
    .emit();
    Announced {
        id: "r-1-published",
        topic: "t",
    }
    .emit();
    ChangeSetEvent {
        change_set: Some("cs-1"),
        outcome: "stored",
        detail: "succeeded",
    }
    .emit();
    Woken { count: 1 }.emit();
    let m = metrics();
    Metrics::set_all(&m.releases, "state", &[("done".into(), 1)]);
    Metrics::set_all(&m.jobs, "state", &[("queued".into(), 0)]);
    Metrics::set_all(&m.inbox_messages, "outcome", &[("accepted".into(), 1)]);
    m.outbox_backlog.set(0);
    m.oldest_waiting_seconds.set(5);
    m.bus_reconnects
        .get_or_create(&labels([("role", "intake")]))
        .inc();
}

#[test]
fn every_family_renders_and_parses_once_its_events_happened() {
    emit_every_event();
    let text = metrics().render();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not Prometheus text ({e}):\n{text}"));
    for (name, help) in FAMILIES {
        assert_eq!(
            scrape.docs.get(*name).map(String::as_str),
            Some(format!("{help}.").as_str()),
            "{name} in:\n{text}"
        );
    }
}

/// The backticked names in the first column of the page's tables, by section.
fn documented(page: &str, heading: &str) -> BTreeSet<String> {
    let section = page
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading:?} in docs/usage/observability.md"));
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_observability_page_lists_every_event_and_family_and_nothing_else() {
    let page = include_str!("../../../docs/usage/observability.md");
    let events: BTreeSet<String> = EVENTS.iter().map(|e| (*e).to_owned()).collect();
    assert_eq!(documented(page, "Events"), events, "events");
    let families: BTreeSet<String> = FAMILIES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    let listed: BTreeSet<String> = documented(page, "Metrics")
        .into_iter()
        .map(|n| n.trim_end_matches("_total").to_owned())
        .collect();
    assert_eq!(
        listed, families,
        "metric families (counters listed with `_total`)"
    );
}
