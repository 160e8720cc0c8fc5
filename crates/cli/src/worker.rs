//! The work loops of `amipub serve` that need no bus: the engine (every due release and job
//! moves on), with `[events]` the change-set events (each one stored as a wake-up, then the
//! engine woken), and, when there is no `[bus]`, the feed sender. The engine wakes when the
//! intake stored a release, when a change-set event arrived, when PostgreSQL notifies new or
//! freed work, when the earliest stored wait is due, or at the fallback poll; after a failed turn
//! (the database gone, say) it waits longer each time, up to a bound, and keeps its place: the
//! work is in the store. The events loop fails the same way and never stops the worker: events
//! only wake, and the paced polling notices every end without them.

use std::time::Duration;

use amipub_engine::events::{Events, pump};
use amipub_engine::ports::Store;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
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

/// One turn: the due releases, the due jobs, and the daily instance-type check when it is due.
/// How many moved (or were recorded), and how long until the earliest stored wait is due.
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
    let checked = crate::types_check::check_when_due(rt, now)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let due = rt.store.next_due().await.map_err(|e| e.to_string())?;
    let pause = match due {
        Some(at) => crate::clock::wait(&rt.clock, now, scale, Some(at)),
        None => Duration::MAX,
    };
    let pause = if checked > 0 { Duration::ZERO } else { pause };
    Ok((releases + jobs + checked, pause))
}

/// Receives change-set events (long polls of `wait_secs`) until `stop`: each batch is stored as
/// wake-ups, then deleted (`amipub_engine::events::pump`), and the engine is woken when it
/// stored any. A failure is logged once and tried again after a growing pause, like a failed
/// engine turn.
pub async fn events_loop<E: Events, S: Store>(
    events: &E,
    store: &S,
    clock: &Clock,
    wait_secs: i32,
    wake_engine: &Notify,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    let mut said = String::new();
    while !*stop.borrow() {
        // A stop ends a long poll at once: an unfinished batch only comes back later.
        let pumped = tokio::select! {
            p = pump_once(events, store, clock, wait_secs) => p,
            _ = stop.changed() => return,
        };
        let pause = match pumped {
            Ok(stored) => {
                if failures > 0 {
                    tracing::info!("events: receiving again");
                }
                failures = 0;
                said.clear();
                if stored > 0 {
                    wake_engine.notify_one();
                }
                continue;
            }
            Err(e) => {
                failures += 1;
                if e != said {
                    tracing::warn!(
                        "events: {e}; trying again (waiting releases are still looked at on their own schedule)"
                    );
                    said = e;
                }
                backoff(failures)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One batch of events; how many wake-ups it stored.
async fn pump_once<E: Events, S: Store>(
    events: &E,
    store: &S,
    clock: &Clock,
    wait_secs: i32,
) -> Result<usize, String> {
    let (now, _) = clock
        .now()
        .await
        .map_err(|e| format!("cannot read the clock: {e:#}"))?;
    let pumped = pump(events, store, wait_secs, now)
        .await
        .map_err(|e| e.to_string())?;
    if pumped.stored > 0 {
        tracing::debug!(stored = pumped.stored, "events: change sets ended");
    }
    Ok(pumped.stored)
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
    files: &crate::outbox::FeedFiles,
    worker: &str,
    wake: &Notify,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stopping = *stop.borrow();
        if let Err(e) = send_feed(rt, files, worker).await {
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

async fn send_feed(
    rt: &Runtime,
    files: &crate::outbox::FeedFiles,
    worker: &str,
) -> anyhow::Result<()> {
    for row in rt.store.outbox_claim(worker, 100, CLAIM_SECS).await? {
        if crate::outbox::feeds(&row.schema) {
            let body: serde_json::Value = serde_json::from_str(&row.body)?;
            merge_feed(files, &row.schema, &body)?;
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
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.
    use super::*;

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use amipub_domain::release::{FailureKind, Release, State};
    use amipub_engine::events::QueuedMessage;
    use amipub_engine::memory::MemoryStore;
    use amipub_engine::ports::{PortError, PortResult};

    /// A queue that answers from a script, then waits forever (an empty long poll that never
    /// ends), and records what was deleted.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<VecDeque<PortResult<Vec<QueuedMessage>>>>,
        deleted: Mutex<Vec<String>>,
    }

    impl Events for Scripted {
        async fn receive(&self, _wait_secs: i32) -> PortResult<Vec<QueuedMessage>> {
            let next = self.answers.lock().unwrap().pop_front();
            match next {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        }

        async fn delete(&self, receipts: &[String]) -> PortResult<()> {
            self.deleted.lock().unwrap().extend_from_slice(receipts);
            Ok(())
        }
    }

    fn ended(change_set: &str) -> QueuedMessage {
        QueuedMessage {
            receipt: format!("receipt-{change_set}"),
            body: format!(
                r#"{{"source":"aws.marketplacecatalog","detail-type":"Change Set Succeeded","detail":{{"ChangeSetId":"{change_set}"}}}}"#
            ),
        }
    }

    /// A release scanning in change set `cs`, next looked at in a day.
    fn scanning(cs: &str) -> Release {
        let mut r = Release::new(
            "r-1",
            "fedora-cloud",
            "41.1",
            "us-east-1",
            "ami-06b2596588ff27750",
            Vec::new(),
            "x86_64",
            Vec::new(),
            0,
        );
        r.state = State::Scanning;
        r.change_set = Some(cs.to_owned());
        r.next_check_at = Some(i64::MAX / 2);
        r
    }

    #[tokio::test]
    async fn an_event_is_stored_the_engine_woken_and_a_failure_does_not_stop_the_loop() {
        let events = Scripted::default();
        events.answers.lock().unwrap().extend([
            Err(PortError::new(
                FailureKind::Throttled,
                "ReceiveMessage: slow down",
            )),
            Ok(vec![ended("cs-1")]),
        ]);
        let store = MemoryStore::default();
        store.save(&scanning("cs-1"), &[], &[]).await.unwrap();
        let wake = Notify::new();
        let (stop_tx, stop_rx) = watch::channel(false);
        let running = events_loop(&events, &store, &Clock::System, 20, &wake, stop_rx);
        let checked = async {
            // The failed receive is retried after its pause; the event then wakes the engine.
            tokio::time::timeout(Duration::from_secs(10), wake.notified())
                .await
                .expect("the engine was woken");
            assert_eq!(*events.deleted.lock().unwrap(), ["receipt-cs-1"]);
            assert_eq!(store.apply_wakes(1).await.unwrap(), 1);
            let _ = stop_tx.send(true);
        };
        // The loop ends on stop even in the middle of a long poll.
        tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(running, checked)
        })
        .await
        .expect("the loop stopped");
    }

    #[test]
    fn failed_turns_wait_longer_each_time_up_to_the_bound() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
