//! `amipub-meter status`: what the journal holds — the instance, the hour being measured, and each
//! closed hour's quantity and delivery — as a table or JSON. Reads without taking the lock, so it
//! works while the agent runs.

use std::process::ExitCode;

use serde_json::json;

use crate::clock::hour_text;
use crate::config::Config;
use crate::journal;
use crate::ledger::Status;

/// Rows shown without `--all` (undelivered ones are always shown).
const RECENT_ROWS: usize = 48;

/// Prints the journal of `config`'s state directory.
pub fn show(config: &Config, as_json: bool, all: bool) -> ExitCode {
    let replay = match journal::read(&config.agent.state_dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("amipub-meter: {e}");
            return ExitCode::from(1);
        }
    };
    for w in &replay.warnings {
        eprintln!("warning: {w}");
    }
    let l = replay.ledger;
    let (pending, sent, expired) = l.counts();
    let mut records: Vec<_> = l.records.values().collect();
    records.sort_by(|a, b| (a.hour, &a.dimension).cmp(&(b.hour, &b.dimension)));
    if !all && records.len() > RECENT_ROWS {
        let cut = records.len() - RECENT_ROWS;
        let mut kept: Vec<_> = records[..cut]
            .iter()
            .filter(|r| !matches!(r.status, Status::Sent { .. }))
            .copied()
            .collect();
        kept.extend_from_slice(&records[cut..]);
        records = kept;
    }
    if as_json {
        let doc = json!({
            "journal": journal::path_in(&config.agent.state_dir),
            "identity": l.identity,
            "counts": { "pending": pending, "sent": sent, "expired": expired },
            "open_hour": l.open.as_ref().map(|o| o.hour),
            "records": records,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    println!(
        "journal   {}",
        journal::path_in(&config.agent.state_dir).display()
    );
    match &l.identity {
        Some(i) => println!(
            "instance  {}  product code {}  region {}",
            i.instance_id, i.product_code, i.region
        ),
        None => println!("instance  (the agent has not started yet)"),
    }
    println!("records   {pending} pending, {sent} sent, {expired} expired");
    if let Some(o) = &l.open {
        let samples = o.series.values().map(|s| s.count).max().unwrap_or(0);
        println!("measuring {} ({samples} samples so far)", hour_text(o.hour));
    }
    if records.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!();
    println!(
        "{:<18} {:<24} {:>10}  STATUS",
        "HOUR", "DIMENSION", "QUANTITY"
    );
    for r in records {
        let status = match &r.status {
            Status::Pending => "pending".to_owned(),
            Status::Sent { id } => format!("sent {id}"),
            Status::Expired { reason } => format!("EXPIRED ({reason})"),
        };
        println!(
            "{:<18} {:<24} {:>10}  {status}",
            hour_text(r.hour),
            r.dimension,
            r.quantity
        );
    }
    ExitCode::SUCCESS
}
