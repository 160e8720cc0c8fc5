//! Journals the fuzz target `meter_journal` (fuzz/fuzz_targets/meter_journal.rs) found to crash
//! the agent's start-up or to change meaning on compaction, each replayed the way the target
//! does: replay, the first turn's closes and expiries, then the compaction snapshot, which must
//! replay to the same ledger. A new reproducer is one more test here, its bytes inline.

use std::path::Path;

use super::replay;
use crate::config::Config;
use crate::ledger::{Event, HOUR, Ledger};

/// Monday 5 January 2026, 10:00 UTC (the target's time).
const NOW: i64 = 1_767_607_200;

/// What the agent does with a journal before its first report, as the fuzz target drives it.
fn start_up(journal: &[u8]) -> Ledger {
    let config = Config::parse(include_str!("../../../../examples/meter/acme-gateway.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let series = config.series().unwrap_or_else(|e| panic!("{e}"));
    let path = Path::new("journal.jsonl");
    let mut ledger = replay(journal, path)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
        .ledger;
    for e in ledger.closes_due(&series, NOW) {
        ledger.apply(&e);
    }
    let _ = ledger.hour_for(NOW);
    let aged: Vec<Event> = ledger
        .aged_out(NOW)
        .into_iter()
        .map(|r| Event::Expired {
            hour: r.hour,
            dimension: r.dimension.clone(),
            reason: "not delivered within six hours".into(),
        })
        .collect();
    for e in &aged {
        ledger.apply(e);
    }
    ledger.compact(NOW, 7 * 24 * HOUR);
    let snapshot = Event::Snapshot {
        ledger: Box::new(ledger.clone()),
    };
    let mut line = serde_json::to_vec(&snapshot).unwrap_or_else(|e| panic!("{e}"));
    line.push(b'\n');
    let (again, ..) = replay(line.as_slice(), path).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    assert_eq!(
        again.ledger, ledger,
        "the compaction snapshot changes the ledger"
    );
    ledger
}

#[test]
fn a_compaction_snapshot_reads_back_the_exact_running_sums() {
    // 1.1 - 1.0 = 0.10000000000000009, which serde_json read back one unit lower without
    // `float_roundtrip`.
    let ledger = start_up(
        b"{\"e\":\"sample\",\"at\":2267596400,\"hour\":2267596400,\"values\":{\"a\":1.0}}\n\
          {\"e\":\"sample\",\"at\":2267596400,\"hour\":2267596400,\"values\":{\"a\":1.1}}\n",
    );
    assert_eq!(ledger.open.map(|o| o.hour), Some(2_267_596_400));
}

#[test]
fn an_hour_at_the_end_of_the_integers_is_an_unreadable_line_not_an_overflow() {
    let journal = b"{\"e\":\"close\",\"hour\":9223372036854775807,\"records\":[{\"hour\":9223372036854775807,\"dimension\":\"d\",\"quantity\":1,\"allocations\":[],\"status\":\"pending\"}]}\n";
    let (replayed, _, _, bad) =
        replay(&journal[..], Path::new("j")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.len(), 1);
    assert!(
        replayed.warnings[0].contains("outside the years"),
        "{:?}",
        replayed.warnings
    );
    assert!(start_up(journal).records.is_empty());
    start_up(b"{\"e\":\"sample\",\"at\":0,\"hour\":-9223372036854775808,\"values\":{\"a\":1.0}}\n");
}

#[test]
fn a_sample_count_at_its_limit_stays_there() {
    let ledger = start_up(
        b"{\"e\":\"snapshot\",\"ledger\":{\"open\":{\"hour\":1767600000,\"series\":{\"a\":{\"count\":4294967295,\"sum\":1.0,\"max\":1.0,\"last\":1.0,\"growth\":0.0}}}}}\n\
          {\"e\":\"sample\",\"at\":1767600000,\"hour\":1767600000,\"values\":{\"a\":1.0}}\n",
    );
    // The hour was closed at start-up; the gauge it held is not one of the example's series.
    assert!(ledger.open.is_none());
}

#[test]
fn a_counter_growing_past_the_largest_float_stays_finite_and_compacts() {
    let mut journal = Vec::new();
    for v in ["0", "1.7e308", "0", "1.7e308"] {
        journal.extend_from_slice(
            format!("{{\"e\":\"sample\",\"at\":1767600000,\"hour\":1767600000,\"values\":{{\"processed_gb\":{v}}}}}\n")
                .as_bytes(),
        );
    }
    let ledger = start_up(&journal);
    assert!(
        ledger.carry.values().all(|c| c.is_finite()),
        "{:?}",
        ledger.carry
    );
    let billed = ledger
        .records
        .get("1767600000/processed_gb")
        .map(|r| r.quantity);
    assert_eq!(billed, Some(crate::ledger::MAX_QUANTITY));
}
