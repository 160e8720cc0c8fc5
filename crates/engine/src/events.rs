//! Change-set events, the engine's side of `[events] queue_url`: an SQS queue that an
//! EventBridge rule feeds with the Marketplace Catalog's change-set events. Each event is turned
//! into a stored wake-up for whatever waits on that change set (`Store::add_wake`) before its
//! message is deleted, so a crash between the two only delivers it again. Events only wake:
//! duplicates wake twice, late or reordered ones wake a release that then reads DescribeChangeSet
//! and finds its truth, missing ones leave the paced polling (`amipub_domain::release::pace`) to
//! notice the end.

use std::future::Future;

use amipub_domain::changeset::events::parse;
use amipub_telemetry::events::ChangeSetEvent;

use crate::ports::{PortResult, Store};

/// One message taken from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// The handle that deletes it.
    pub receipt: String,
    /// Its body: the EventBridge event.
    pub body: String,
}

/// The queue.
pub trait Events: Send + Sync {
    /// Waits up to `wait_secs` (long polling, at most 20) for messages; returns up to ten.
    fn receive(
        &self,
        wait_secs: i32,
    ) -> impl Future<Output = PortResult<Vec<QueuedMessage>>> + Send;
    /// Deletes handled messages by their receipts.
    fn delete(&self, receipts: &[String]) -> impl Future<Output = PortResult<()>> + Send;
}

/// What one `pump` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pumped {
    /// Messages received.
    pub received: usize,
    /// Change-set ends stored as wake-ups.
    pub stored: usize,
    /// Messages that were not change-set events (deleted, with a warning).
    pub ignored: usize,
}

/// Receives one batch, stores a wake-up per change-set event, then deletes the batch.
pub async fn pump<E: Events, S: Store>(
    events: &E,
    store: &S,
    wait_secs: i32,
    now: i64,
) -> PortResult<Pumped> {
    let messages = events.receive(wait_secs).await?;
    let mut pumped = Pumped {
        received: messages.len(),
        ..Pumped::default()
    };
    for m in &messages {
        match parse(&m.body) {
            Ok(ended) => {
                store.add_wake(&ended.change_set, now).await?;
                ChangeSetEvent {
                    change_set: Some(&ended.change_set),
                    outcome: "stored",
                    detail: ended.ending.words(),
                }
                .emit();
                pumped.stored += 1;
            }
            Err(why) => {
                ChangeSetEvent {
                    change_set: None,
                    outcome: "ignored",
                    detail: &why,
                }
                .emit();
                pumped.ignored += 1;
            }
        }
    }
    if !messages.is_empty() {
        let receipts: Vec<String> = messages.into_iter().map(|m| m.receipt).collect();
        events.delete(&receipts).await?;
    }
    Ok(pumped)
}
