//! The `amipub-meter` binary against the sandbox's Metering Service and instance metadata, with
//! hours passing in fractions of a second: two days of usage, network outages inside and beyond
//! the six-hour window, fifty SIGKILLs, throttling and server faults, a lapsed subscription, and
//! `check` explaining what is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::Duration;

use amipub_sandbox::faults::FaultKind;
use amipub_testkit::meter::{HOSTS, HOUR, Rig, USERS, one_at_a_time, rule, tail};

const METER: &str = env!("CARGO_BIN_EXE_amipub-meter");

const DIMENSIONS: [&str; 3] = ["active_consumers", "managed_hosts", "processed_gb"];

fn hour_of(t: i64) -> i64 {
    t.div_euclid(HOUR) * HOUR
}

/// Every dimension has one record for each hour from the first to `last` (inclusive), no gaps;
/// returns the first hour.
fn assert_every_hour(by: &BTreeMap<String, BTreeMap<i64, i64>>, last: i64) -> i64 {
    assert_eq!(
        by.keys().map(String::as_str).collect::<Vec<_>>(),
        DIMENSIONS,
        "dimensions reported"
    );
    let first = by
        .values()
        .filter_map(|h| h.keys().next().copied())
        .min()
        .unwrap();
    for (d, hours) in by {
        let want: Vec<i64> = (0..=(last - first) / HOUR)
            .map(|i| first + i * HOUR)
            .collect();
        let got: Vec<i64> = hours.keys().copied().filter(|h| *h <= last).collect();
        assert_eq!(got, want, "{d}: hours reported");
    }
    first
}

fn assert_gauges(by: &BTreeMap<String, BTreeMap<i64, i64>>) {
    for (h, q) in &by["active_consumers"] {
        assert_eq!(*q, USERS, "active_consumers at {h}");
    }
    for (h, q) in &by["managed_hosts"] {
        assert_eq!(*q, HOSTS.0 + HOSTS.1, "managed_hosts at {h}");
    }
}

fn wait_for_first_sample(rig: &Rig) {
    rig.wait_for(30, "the first sample", |r| {
        std::fs::read_to_string(r.path("state/journal.jsonl"))
            .is_ok_and(|t| t.contains("\"e\":\"sample\""))
    });
}

/// Waits until every hour before `until` is closed and delivered.
fn settle(rig: &Rig, until: i64) {
    rig.wait_until(until + 120);
    rig.wait_for(60, "every closed hour delivered", |r| {
        let s = r.status();
        s["counts"]["pending"].as_i64() == Some(0)
            && s["open_hour"].as_i64().is_some_and(|h| h >= until)
    });
}

#[test]
fn two_days_of_three_dimensions_give_one_right_record_per_dimension_per_hour() {
    let _serial = one_at_a_time();
    let mut rig = Rig::new(METER, 3_600.0, 600, true);
    let start = rig.now();
    let agent = rig.spawn();
    wait_for_first_sample(&rig);
    // Data flows for 44 hours, then stops; the counter's whole growth must be billed.
    while rig.now() < start + 44 * HOUR {
        rig.grow(1);
        std::thread::sleep(Duration::from_millis(15));
    }
    let end = hour_of(start) + 49 * HOUR;
    settle(&rig, end);
    assert!(rig.terminate(agent).success(), "{}", tail(&rig.log()));

    let by = rig.by_dimension();
    let first = assert_every_hour(&by, end - HOUR);
    assert!(
        (end - first) / HOUR >= 48,
        "at least 48 hours: {first}..{end}"
    );
    assert_gauges(&by);
    let billed: i64 = by["processed_gb"].values().sum();
    assert_eq!(billed, rig.counter, "every unit of the counter billed once");
    // Data flowed in every hour up to the 43rd; a pause of the test thread may leave one hour
    // without growth (it is then billed in the next), not many.
    let busy: Vec<i64> = by["processed_gb"]
        .iter()
        .filter(|(h, _)| **h > first && **h < hour_of(start) + 43 * HOUR)
        .map(|(_, q)| *q)
        .collect();
    let idle = busy.iter().filter(|q| **q == 0).count();
    assert!(
        idle * 10 <= busy.len(),
        "hours with traffic billed zero: {busy:?}"
    );
    for a in rig
        .accepted()
        .iter()
        .filter(|a| a.dimension == "managed_hosts")
    {
        assert!(
            a.allocations.contains("blue") && a.allocations.contains("green"),
            "{}",
            a.allocations
        );
    }
    let calls = rig.meter_calls();
    assert!(calls.iter().all(|(_, e)| e.is_none()), "{calls:?}");
    assert_eq!(rig.status()["counts"]["expired"], 0);
}

/// Runs two hours, cuts the network for `hours`, heals it and lets two more hours pass.
/// Returns the rig, the time of the cut and of the healing.
fn outage(hours: i64) -> (Rig, i64, i64) {
    let rig = Rig::new(METER, 3_600.0, 300, true);
    let start = rig.now();
    let agent = rig.spawn();
    rig.wait_until(hour_of(start) + 2 * HOUR + 300);
    rig.cut_network(true);
    let cut = rig.now();
    rig.wait_until(cut + hours * HOUR);
    rig.cut_network(false);
    let healed = rig.now();
    let end = hour_of(healed) + 2 * HOUR;
    settle(&rig, end);
    assert!(rig.terminate(agent).success(), "{}", tail(&rig.log()));
    (rig, cut, healed)
}

#[test]
fn a_five_hour_outage_delays_every_hour_but_loses_none() {
    let _serial = one_at_a_time();
    let (rig, cut, healed) = outage(5);
    let by = rig.by_dimension();
    let last = hour_of(healed) + HOUR;
    assert_every_hour(&by, last);
    assert_gauges(&by);
    assert_eq!(rig.status()["counts"]["expired"], 0, "{}", tail(&rig.log()));
    // The hour that ended first during the cut was delivered after it, hours late.
    let first_in_cut = hour_of(cut);
    let late = rig
        .accepted()
        .into_iter()
        .find(|a| a.hour == first_in_cut)
        .unwrap();
    assert!(
        late.received >= healed as f64 - 1.0,
        "hour {first_in_cut} received at {} before healing at {healed}",
        late.received
    );
    assert!(
        rig.log().contains("cannot deliver usage yet"),
        "{}",
        tail(&rig.log())
    );
}

#[test]
fn a_seven_hour_outage_keeps_and_reports_what_aged_out_and_delivers_the_rest() {
    let _serial = one_at_a_time();
    let (rig, cut, healed) = outage(7);
    let status = rig.status();
    let expired: Vec<(String, i64, i64)> = status["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "expired")
        .map(|r| {
            (
                r["dimension"].as_str().unwrap().to_owned(),
                r["hour"].as_i64().unwrap(),
                r["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(!expired.is_empty(), "nothing expired: {}", tail(&rig.log()));
    for (d, h, q) in &expired {
        // Only hours that ended during the cut and more than six hours before the healing.
        assert!(
            *h >= hour_of(cut) - HOUR && *h + HOUR - 1 + 6 * HOUR <= healed + 600,
            "{d} {h}"
        );
        assert!(
            !rig.by_dimension()[d].contains_key(h),
            "{d} {h} both expired and accepted"
        );
        if d == "active_consumers" {
            assert_eq!(*q, USERS, "the expired record keeps its quantity");
        }
    }
    // Every other hour was delivered.
    let by = rig.by_dimension();
    let last = hour_of(healed) + HOUR;
    let first = by
        .values()
        .filter_map(|h| h.keys().next().copied())
        .min()
        .unwrap();
    for d in DIMENSIONS {
        for i in 0..=(last - first) / HOUR {
            let h = first + i * HOUR;
            let lost = expired.iter().any(|(ed, eh, _)| ed == d && *eh == h);
            assert!(by[d].contains_key(&h) != lost, "{d} at {h}");
        }
    }
    assert!(rig.log().contains("ERROR usage of"), "{}", tail(&rig.log()));
    let metrics = std::fs::read_to_string(rig.path("state/metrics.prom")).unwrap();
    assert!(
        metrics.contains(&format!(
            "amipub_meter_records{{status=\"expired\"}} {}",
            expired.len()
        )),
        "{metrics}"
    );
}

#[test]
fn fifty_sigkills_lose_no_hour_and_double_none() {
    let _serial = one_at_a_time();
    let mut rig = Rig::new(METER, 3_600.0, 300, true);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for n in 0..50 {
        let mut agent = rig.spawn();
        if n == 0 {
            // The counter's value at the first sample is its baseline; growth counts from there.
            wait_for_first_sample(&rig);
        }
        let ms = 30 + next() % 420;
        let until = std::time::Instant::now() + Duration::from_millis(ms);
        while std::time::Instant::now() < until {
            rig.grow(1);
            std::thread::sleep(Duration::from_millis(10));
        }
        agent.kill().unwrap(); // SIGKILL
        agent.wait().unwrap();
    }
    let stopped_growing = rig.now();
    let agent = rig.spawn();
    let end = hour_of(stopped_growing) + 2 * HOUR;
    settle(&rig, end);
    assert!(rig.terminate(agent).success(), "{}", tail(&rig.log()));

    let by = rig.by_dimension();
    let first = assert_every_hour(&by, end - HOUR);
    assert!(
        (end - first) / HOUR >= 10,
        "the run covered {} hours",
        (end - first) / HOUR
    );
    assert_gauges(&by);
    let billed: i64 = by["processed_gb"].values().sum();
    assert_eq!(billed, rig.counter, "counter growth billed exactly once");
    let calls = rig.meter_calls();
    assert!(
        calls
            .iter()
            .all(|(_, e)| e.as_deref() != Some("DuplicateRequestException")),
        "a different quantity was sent for an hour already accepted"
    );
    assert_eq!(rig.status()["counts"]["expired"], 0);
}

#[test]
fn faults_are_retried_and_a_lapsed_subscription_is_explained_without_a_retry_storm() {
    let _serial = one_at_a_time();
    let rig = Rig::new(METER, 3_600.0, 300, true);
    rig.set_faults(vec![
        rule(FaultKind::Throttle, 0.3),
        rule(FaultKind::ServerError, 0.2),
    ]);
    let start = rig.now();
    let agent = rig.spawn();
    rig.wait_until(hour_of(start) + 4 * HOUR + 300);
    rig.set_faults(Vec::new());
    let faults = rig
        .meter_calls()
        .iter()
        .filter(|(_, e)| e.is_some())
        .count();
    assert!(faults > 0, "no fault was injected");

    rig.entitle(false);
    let revoked = rig.now();
    let before = rig.meter_calls().len();
    rig.wait_until(revoked + 3 * HOUR);
    let during = rig.meter_calls().len() - before;
    rig.entitle(true);
    let end = hour_of(rig.now()) + 2 * HOUR;
    settle(&rig, end);
    assert!(rig.terminate(agent).success(), "{}", tail(&rig.log()));

    // About one try per hour while nobody can fix it: no storm.
    assert!(
        during <= 6,
        "{during} MeterUsage calls in three hours without a subscription"
    );
    let log = rig.log();
    assert_eq!(
        log.matches("not subscribed to product").count(),
        1,
        "said once: {}",
        tail(&log)
    );
    let by = rig.by_dimension();
    assert_every_hour(&by, end - HOUR);
    assert_gauges(&by);
    assert_eq!(rig.status()["counts"]["expired"], 0);
}

#[test]
fn check_explains_what_would_stop_reporting() {
    let _serial = one_at_a_time();
    let rig = Rig::new(METER, 60.0, 300, true);
    let out = rig.output(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches("(DryRun) would be accepted").count(),
        3,
        "{text}"
    );
    assert!(text.contains("source of managed_hosts[1]: 4"), "{text}");
    // DryRun records nothing.
    assert!(rig.accepted().is_empty());

    rig.write_config(300, "requests_served");
    let out = rig.output(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "FAIL MeterUsage for requests_served: requests_served is not a usage dimension"
        ),
        "{text}"
    );

    rig.write_config(300, "active_consumers");
    let config = std::fs::read_to_string(rig.path("meter.toml")).unwrap();
    std::fs::write(
        rig.path("meter.toml"),
        config.replace(
            "clock = \"sandbox\"",
            "clock = \"sandbox\"\nproduct_code = \"someotherproduct00000000\"",
        ),
    )
    .unwrap();
    let out = rig.output(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "product code someotherproduct00000000 is not the product code of this instance's AMI"
        ),
        "{text}"
    );

    rig.entitle(false);
    rig.write_config(300, "active_consumers");
    let out = rig.output(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not subscribed to product"), "{text}");

    let denied = Rig::new(METER, 60.0, 300, false);
    let out = denied.output(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("may not call aws-marketplace:MeterUsage"),
        "{text}"
    );

    std::fs::write(denied.path("meter.toml"), "[agent]\nsample_seconds = 1\n").unwrap();
    let out = denied.output(&["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("agent.sample_seconds"), "{err}");
}

#[test]
fn status_shows_the_journal_while_the_agent_runs() {
    let _serial = one_at_a_time();
    let rig = Rig::new(METER, 3_600.0, 300, true);
    let start = rig.now();
    let agent = rig.spawn();
    settle(&rig, hour_of(start) + 2 * HOUR);
    let out = rig.output(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains(&format!("instance  {}", rig.instance)),
        "{text}"
    );
    assert!(text.contains("0 pending"), "{text}");
    assert!(text.contains("active_consumers"), "{text}");
    assert!(rig.terminate(agent).success());
    // A second agent on the same journal is refused.
    let started = rig.log().matches("metering product").count();
    let a = rig.spawn();
    rig.wait_for(20, "the agent to start", |r| {
        r.log().matches("metering product").count() > started
    });
    let mut b = rig.spawn();
    let code = b.wait().unwrap();
    assert_eq!(code.code(), Some(1));
    assert!(
        rig.log().contains("another amipub-meter is running"),
        "{}",
        tail(&rig.log())
    );
    rig.terminate(a);
}
