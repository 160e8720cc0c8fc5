//! The work loops of `amipub serve` that need no bus: the engine (every due release and job
//! moves on) and, when there is no `[bus]`, the feed sender. The engine wakes when the intake
//! stored a release, when PostgreSQL notifies new or freed work, when the earliest stored wait
//! is due, or at the fallback poll; after a failed turn (the database gone, say) it waits
//! longer each time, up to a bound, and keeps its place: the work is in the store.

use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::outbox::{CLAIM_SECS, merge_feed};
use crate::runtime::Runtime;

/// The fallback poll when the database notifies (PostgreSQL): only a lease left by a worker on
/// another machine that died, or a missed notification, waits this long.
const POLL_NOTIFIED: Duration = Duration::from_secs(5);
/// The poll when nothing notifies (SQLite: other processes' work is seen at the next look).
const POLL: Duration = Duration::from_secs(1);
/// The longest pause after failed turns.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Moves due releases and jobs until `stop`; wakes the sender after a turn that moved any.
pub async fn engine_loop(
    rt: &Runtime,
    wake: &Notify,
    wake_sender: &Notify,
    mut stop: watch::Receiver<bool>,
) {
    let mut notified = rt.store.wakeups();
    let poll = if notified.available() {
        POLL_NOTIFIED
    } else {
        POLL
    };
    let mut failures = 0u32;
    let mut said = String::new();
    while !*stop.borrow() {
        let pause = match turn(rt).await {
            Ok((moved, pause)) => {
                if failures > 0 {
                    tracing::info!("engine: working again");
                }
                failures = 0;
                said.clear();
                // A turn that moved work may have queued announcements.
                if moved > 0 {
                    wake_sender.notify_one();
                }
                pause.min(poll)
            }
            Err(e) => {
                failures += 1;
                if e != said {
                    tracing::warn!("engine: {e}; trying again");
                    said = e;
                }
                backoff(failures)
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = notified.wait(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One turn: the due releases, then the due jobs. How many moved, and how long until the
/// earliest stored wait is due.
async fn turn(rt: &Runtime) -> Result<(usize, Duration), String> {
    let (now, scale) = rt
        .clock
        .now()
        .await
        .map_err(|e| format!("cannot read the clock: {e:#}"))?;
    let releases = rt.engine.step(now).await.map_err(|e| e.to_string())?;
    // A release of a product this worker did not know waits one turn for its spec.
    rt.learn_products().await.map_err(|e| format!("{e:#}"))?;
    let jobs = rt.engine.step_jobs(now).await.map_err(|e| e.to_string())?;
    let due = rt.store.next_due().await.map_err(|e| e.to_string())?;
    let pause = match due {
        Some(at) => crate::clock::wait(&rt.clock, now, scale, Some(at)),
        None => Duration::MAX,
    };
    Ok((releases + jobs, pause))
}

/// The pause after `failures` failed turns in a row: 1, 2, 4 … seconds, at most `MAX_BACKOFF`.
fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(5);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Without a bus: claims each announcement, merges it into the feed file and marks it sent,
/// until `stop` (then once more, so nothing queued is left behind).
pub async fn feed_loop(
    rt: &Runtime,
    feed_file: &str,
    worker: &str,
    wake: &Notify,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stopping = *stop.borrow();
        if let Err(e) = send_feed(rt, feed_file, worker).await {
            tracing::warn!("feed: {e:#}; trying again");
        }
        if stopping {
            return;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_NOTIFIED) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn send_feed(rt: &Runtime, feed_file: &str, worker: &str) -> anyhow::Result<()> {
    for row in rt.store.outbox_claim(worker, 100, CLAIM_SECS).await? {
        if row.schema == amipub_domain::messages::PUBLISHED {
            let body: serde_json::Value = serde_json::from_str(&row.body)?;
            merge_feed(std::path::Path::new(feed_file), &body)?;
        }
        rt.store.outbox_attempt(&row.id, true).await?;
        amipub_telemetry::events::Announced {
            id: &row.id,
            topic: "feed",
        }
        .emit();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_turns_wait_longer_each_time_up_to_the_bound() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
