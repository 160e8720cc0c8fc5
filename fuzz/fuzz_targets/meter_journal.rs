//! Fuzz target `meter_journal`: the metering agent's journal (`journal.jsonl`, any bytes, as a
//! crash or a full disk may leave it) replayed into a ledger, then what the agent decides first
//! from that ledger at start-up: the hours due to close, the hour a sample counts in, the
//! records aged out, the compaction snapshot. Entry point: `journal::replay` of
//! `crates/meter/src/journal.rs`.
//!
//! The agent is a binary crate (it ships alone onto buyers' instances), so its journal, ledger
//! and configuration modules are compiled into this target from their source files.
//!
//! Checked beyond "no panic": the compaction snapshot of a replayed ledger replays to the same
//! ledger, so compacting never changes what the agent knows.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../crates/meter/src/config.rs"]
mod config;
#[allow(dead_code)]
#[path = "../../crates/meter/src/journal.rs"]
mod journal;
#[allow(dead_code)]
#[path = "../../crates/meter/src/ledger.rs"]
mod ledger;

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use config::{Config, Series};
use ledger::Event;

/// The example agent's series (three dimensions: a gauge, a counter, allocations).
fn series() -> &'static [Series] {
    static SERIES: OnceLock<Vec<Series>> = OnceLock::new();
    SERIES.get_or_init(|| {
        Config::parse(include_str!("../../examples/meter/acme-gateway.toml"))
            .and_then(|c| c.series())
            .unwrap_or_default()
    })
}

/// Monday 5 January 2026, 10:00 UTC.
const NOW: i64 = 1_767_607_200;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("journal.jsonl");
    let Ok((replay, ..)) = journal::replay(data, path) else {
        return;
    };
    let mut ledger = replay.ledger;
    // The agent's first turn, without its I/O: close what is due, place a sample, age out.
    for event in ledger.closes_due(series(), NOW) {
        ledger.apply(&event);
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
    for event in &aged {
        ledger.apply(event);
    }
    let _ = ledger.pending();
    let _ = ledger.counts();
    // Compaction: one snapshot line that must mean the same ledger.
    ledger.compact(NOW, 7 * 24 * ledger::HOUR);
    let snapshot = Event::Snapshot {
        ledger: Box::new(ledger.clone()),
    };
    let Ok(mut line) = serde_json::to_vec(&snapshot) else {
        return;
    };
    line.push(b'\n');
    if let Ok((again, ..)) = journal::replay(line.as_slice(), path) {
        assert_eq!(
            again.ledger, ledger,
            "the compaction snapshot changes the ledger"
        );
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }
});
