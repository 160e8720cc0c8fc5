//! What `show`, `retry` and `cancel` share for releases and lifecycle jobs alike: the argument
//! naming one, its failure, and its timeline as a table or as JSON.

use std::path::PathBuf;

use amipub_domain::release::FailureKind;
use amipub_engine::ports::TimelineEntry;
use serde_json::{Value, json};

use crate::progress::duration;

/// Arguments of `show`, `retry` and `cancel`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The release id (or a unique prefix of it), or a lifecycle job's (`j-…`).
    pub release: String,
    /// `show`: print JSON.
    #[arg(long)]
    pub json: bool,
    /// `retry`: return at once instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// amipub.toml.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// A timeline as a table: since the start, how long each step took, event, states, detail.
pub fn print_timeline(timeline: &[TimelineEntry]) {
    println!(
        "{:>9} {:>9}  {:<24} {:<34} DETAIL",
        "AT", "TOOK", "EVENT", "STATE"
    );
    let start = timeline.first().map_or(0, |e| e.at);
    for (i, e) in timeline.iter().enumerate() {
        let took = timeline
            .get(i + 1)
            .map_or(String::new(), |n| duration(n.at - e.at));
        let states = if e.from == e.to {
            e.to.clone()
        } else {
            format!("{} → {}", e.from, e.to)
        };
        println!(
            "{:>9} {:>9}  {:<24} {:<34} {}",
            duration(e.at - start),
            took,
            e.event,
            states,
            e.detail
        );
    }
}

/// A timeline as JSON entries (`at`, `event`, `from`, `to`, `detail`).
pub fn timeline_json(timeline: &[TimelineEntry]) -> Vec<Value> {
    timeline
        .iter()
        .map(|e| json!({"at": e.at, "event": e.event, "from": e.from, "to": e.to, "detail": e.detail}))
        .collect()
}

/// The `failed at` and `fix` lines of a failed release or job.
pub fn print_failure(step: &str, kind: FailureKind, detail: &str, remedy: &str) {
    println!("failed    at {step} — {}: {detail}", kind.label());
    println!("fix       {remedy}");
}
