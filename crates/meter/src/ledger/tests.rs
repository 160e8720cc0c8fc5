//! The ledger's rules, each shown on a short series of samples: aggregation, counter resets and
//! carries, allocations, zero records, clocks going back, replay and ageing out.

use super::*;
use crate::config::SourceKind;

fn series(id: &str, kind: Kind, aggregate: Aggregate, scale: f64) -> Series {
    Series {
        id: id.into(),
        dimension: id.split('[').next().unwrap_or(id).into(),
        tags: if id.contains('[') {
            [("t".to_owned(), id.to_owned())].into()
        } else {
            BTreeMap::new()
        },
        kind,
        aggregate,
        scale,
        source: SourceKind::Command("true".into()),
        timeout_seconds: 1,
    }
}

fn sample(l: &mut Ledger, at: i64, values: &[(&str, f64)]) {
    let hour = l.hour_for(at);
    l.apply(&Event::Sample {
        at,
        hour,
        values: values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
    });
}

fn close_all(l: &mut Ledger, s: &[Series], now: i64) {
    for e in l.closes_due(s, now) {
        l.apply(&e);
    }
}

fn qty(l: &Ledger, hour: i64, dim: &str) -> Option<i64> {
    l.records.get(&key(hour, dim)).map(|r| r.quantity)
}

const H: i64 = 1_700_000_000 / HOUR * HOUR;

#[test]
fn gauges_aggregate_by_max_average_or_last() {
    let s = [
        series("a", Kind::Gauge, Aggregate::Max, 1.0),
        series("b", Kind::Gauge, Aggregate::Average, 1.0),
        series("c", Kind::Gauge, Aggregate::Last, 10.0),
    ];
    let mut l = Ledger::default();
    for (i, v) in [2.0, 9.0, 4.0].iter().enumerate() {
        sample(
            &mut l,
            H + 60 * i as i64,
            &[("a", *v), ("b", *v), ("c", *v)],
        );
    }
    close_all(&mut l, &s, H + HOUR + 5);
    assert_eq!(qty(&l, H, "a"), Some(9));
    assert_eq!(qty(&l, H, "b"), Some(5));
    assert_eq!(qty(&l, H, "c"), Some(40));
    assert!(l.open.is_none());
}

#[test]
fn counters_bill_growth_with_resets_and_carry_fractions() {
    let s = [series("gb", Kind::Counter, Aggregate::Max, 0.5)];
    let mut l = Ledger::default();
    sample(&mut l, H, &[("gb", 100.0)]); // baseline
    sample(&mut l, H + 600, &[("gb", 103.0)]); // +3
    sample(&mut l, H + 1200, &[("gb", 2.0)]); // reset: +2
    close_all(&mut l, &s, H + HOUR);
    // 5 × 0.5 = 2.5 → 2 now, 0.5 carried.
    assert_eq!(qty(&l, H, "gb"), Some(2));
    sample(&mut l, H + HOUR + 10, &[("gb", 3.0)]); // +1 → 0.5 + 0.5 = 1
    close_all(&mut l, &s, H + 2 * HOUR);
    assert_eq!(qty(&l, H + HOUR, "gb"), Some(1));
    assert!(l.carry.get("gb").is_some_and(|c| *c < 1e-6));
}

#[test]
fn allocations_sum_to_the_dimension_and_travel_with_the_record() {
    let s = [
        series("u[0]", Kind::Gauge, Aggregate::Max, 1.0),
        series("u[1]", Kind::Gauge, Aggregate::Max, 1.0),
    ];
    let mut l = Ledger::default();
    sample(&mut l, H + 1, &[("u[0]", 2.0), ("u[1]", 3.0)]);
    close_all(&mut l, &s, H + HOUR);
    let r = l
        .records
        .get(&key(H, "u"))
        .cloned()
        .unwrap_or_else(|| panic!("no record"));
    assert_eq!(r.quantity, 5);
    let alloc: Vec<i64> = r.allocations.iter().map(|a| a.1).collect();
    assert_eq!(alloc, [2, 3]);
}

#[test]
fn hours_nobody_measured_get_zero_records_while_they_can_be_delivered() {
    let s = [series("a", Kind::Gauge, Aggregate::Max, 1.0)];
    let mut l = Ledger::default();
    sample(&mut l, H + 10, &[("a", 4.0)]);
    // The agent was down for ten hours.
    close_all(&mut l, &s, H + 11 * HOUR + 30);
    assert_eq!(qty(&l, H, "a"), Some(4));
    let hours: Vec<i64> = l.records.values().map(|r| (r.hour - H) / HOUR).collect();
    // Hours 1..=4 ended more than six hours ago: nothing to deliver; 5..=10 get zeros.
    assert_eq!(hours, [0, 5, 6, 7, 8, 9, 10]);
    assert!(l.closes_due(&s, H + 11 * HOUR + 40).is_empty());
}

#[test]
fn a_clock_going_back_never_reopens_a_closed_hour() {
    let s = [series("a", Kind::Gauge, Aggregate::Max, 1.0)];
    let mut l = Ledger::default();
    sample(&mut l, H + 10, &[("a", 1.0)]);
    close_all(&mut l, &s, H + HOUR + 10);
    sample(&mut l, H + 20, &[("a", 7.0)]); // the clock jumped back an hour
    assert_eq!(l.open.as_ref().map(|o| o.hour), Some(H + HOUR));
    close_all(&mut l, &s, H + 2 * HOUR);
    assert_eq!(qty(&l, H, "a"), Some(1));
    assert_eq!(qty(&l, H + HOUR, "a"), Some(7));
}

#[test]
fn replaying_the_events_rebuilds_the_same_ledger_and_records_are_never_doubled() {
    let s = [series("a", Kind::Counter, Aggregate::Max, 1.0)];
    let mut l = Ledger::default();
    let mut events = Vec::new();
    for i in 0..30 {
        let at = H + i * 700;
        let hour = l.hour_for(at);
        for e in l.closes_due(&s, at) {
            l.apply(&e);
            events.push(e);
        }
        let e = Event::Sample {
            at,
            hour,
            values: [("a".to_owned(), (i * i) as f64)].into(),
        };
        l.apply(&e);
        events.push(e);
    }
    let mut again = Ledger::default();
    for e in &events {
        again.apply(e);
    }
    assert_eq!(again, l);
    // Applying a close twice (a crash between journal write and memory) changes nothing.
    if let Some(e) = events.iter().find(|e| matches!(e, Event::Close { .. })) {
        let before = again.records.clone();
        again.apply(e);
        assert_eq!(before, again.records);
    }
    let total: i64 = l.records.values().map(|r| r.quantity).sum();
    let open_growth = l.open.as_ref().map_or(0.0, |o| o.series["a"].growth) as i64;
    assert_eq!(total + open_growth, 29 * 29);
}

#[test]
fn records_age_out_six_hours_after_their_hour_ends() {
    let s = [series("a", Kind::Gauge, Aggregate::Max, 1.0)];
    let mut l = Ledger::default();
    sample(&mut l, H, &[("a", 1.0)]);
    close_all(&mut l, &s, H + HOUR);
    assert!(l.aged_out(H + HOUR - 1 + WINDOW_SECS - 1).is_empty());
    assert_eq!(l.aged_out(H + HOUR - 1 + WINDOW_SECS).len(), 1);
}
