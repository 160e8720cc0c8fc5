//! The engine's `Events` port on Amazon SQS: the queue of `[events] queue_url`, which an
//! EventBridge rule feeds with the Marketplace Catalog's change-set events. `receive` long-polls
//! ReceiveMessage, `delete` removes handled messages with DeleteMessageBatch. A message that is
//! not deleted (a crash, a failed delete) comes back after its visibility timeout and only wakes
//! its release once more, which is harmless: events wake, they never decide. Creating the queue
//! and its policy is `queue`'s.

use amipub_domain::release::FailureKind;
use amipub_domain::settings::MAX_EVENTS_WAIT_SECS;
use amipub_engine::events::{Events, QueuedMessage};
use amipub_engine::ports::{PortError, PortResult};
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use tokio::sync::OnceCell;

use super::queue::{DEFAULT_REGION, QueueAddress, client};
use super::{failure_kind, port_error};
use crate::config::Target;
use crate::failure::kind_of_code;

/// Most messages one ReceiveMessage returns, and most entries of one DeleteMessageBatch
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html>,
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html>).
pub const MAX_BATCH: usize = 10;
/// How long a received message stays hidden from other receivers, seconds: storing ten wake-ups
/// and deleting them takes well under this, and a worker that died holding them lets them come
/// back a minute later (the queue's default is 30 s; a slow database must not make the same
/// events arrive at a second worker while the first still stores them).
pub const VISIBILITY_SECS: i32 = 60;

/// The change-set events queue. Its client is built on first use (building an SDK
/// configuration may read the shared AWS config files), so `connect` needs no runtime.
#[derive(Debug, Clone)]
pub struct QueueEvents {
    target: Target,
    /// The queue, or why its URL names none (then every call fails with it).
    queue: Result<QueueAddress, String>,
    /// The URL as given (for errors).
    url: String,
    sqs: OnceCell<aws_sdk_sqs::Client>,
}

impl QueueEvents {
    /// The queue at `queue_url`, called through `target` in the Region its URL names
    /// (`us-east-1` when it names none). A URL that names no queue fails every call with why
    /// (`QueueAddress::parse` tells it up front).
    pub fn connect(target: &Target, queue_url: &str) -> Self {
        Self {
            target: target.clone(),
            queue: QueueAddress::parse(queue_url),
            url: queue_url.to_owned(),
            sqs: OnceCell::new(),
        }
    }

    /// The queue this reads, if its URL names one.
    pub fn queue(&self) -> Option<&QueueAddress> {
        self.queue.as_ref().ok()
    }

    /// The queue's Region (`us-east-1` for a URL that names no queue).
    fn region(&self) -> &str {
        self.queue().map_or(DEFAULT_REGION, |q| q.region.as_str())
    }

    /// The client and the queue, or the error of a URL that names no queue.
    async fn sqs(&self) -> PortResult<(&aws_sdk_sqs::Client, &QueueAddress)> {
        let queue = self.queue.as_ref().map_err(|why| {
            PortError::new(FailureKind::InvalidInput, why.clone()).about(&self.url)
        })?;
        let sqs = self
            .sqs
            .get_or_init(|| client(&self.target, &queue.region))
            .await;
        Ok((sqs, queue))
    }

    /// An SDK error of `call` as a port error about the queue; refused credentials are named by
    /// where they came from.
    fn error<E: ProvideErrorMetadata, R>(&self, call: &str, err: &SdkError<E, R>) -> PortError {
        let mut e = port_error(call, err)
            .at(call, self.region())
            .about(&self.url);
        if e.kind == FailureKind::InvalidCredentials {
            e.detail = format!(
                "{} (the credentials came from {})",
                e.detail,
                self.target.describe()
            );
        }
        e
    }

    /// Deletes up to `MAX_BATCH` messages; the entries SQS could not delete, in words.
    async fn delete_batch(&self, receipts: &[String]) -> PortResult<Vec<(FailureKind, String)>> {
        let (sqs, queue) = self.sqs().await?;
        let mut request = sqs.delete_message_batch().queue_url(&queue.url);
        for (i, receipt) in receipts.iter().enumerate() {
            let entry = DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))?;
            request = request.entries(entry);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.error("DeleteMessageBatch", &e))?;
        Ok(out
            .failed()
            .iter()
            .map(|f| {
                let receipt = f
                    .id()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| receipts.get(i))
                    .map_or("an unknown receipt", String::as_str);
                let kind = failure_kind(kind_of_code(f.code()));
                let why = format!(
                    "the message of receipt {} was not deleted: {}: {}",
                    short(receipt),
                    f.code(),
                    f.message().unwrap_or("no message")
                );
                (kind, why)
            })
            .collect())
    }
}

/// The start of a receipt handle (they run to hundreds of characters), enough to tell two apart
/// in a log.
fn short(receipt: &str) -> String {
    const SHOWN: usize = 24;
    match receipt.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &receipt[..at]),
        None => receipt.to_owned(),
    }
}

impl Events for QueueEvents {
    async fn receive(&self, wait_secs: i32) -> PortResult<Vec<QueuedMessage>> {
        let (sqs, queue) = self.sqs().await?;
        let out = sqs
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(MAX_BATCH as i32)
            .wait_time_seconds(wait_secs.clamp(0, MAX_EVENTS_WAIT_SECS))
            .visibility_timeout(VISIBILITY_SECS)
            .send()
            .await
            .map_err(|e| self.error("ReceiveMessage", &e))?;
        // A message without a receipt handle could never be deleted; SQS always sends one.
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                Some(QueuedMessage {
                    receipt: m.receipt_handle()?.to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }

    async fn delete(&self, receipts: &[String]) -> PortResult<()> {
        let mut failed = Vec::new();
        for batch in receipts.chunks(MAX_BATCH) {
            failed.extend(self.delete_batch(batch).await?);
        }
        let Some((kind, _)) = failed.first() else {
            return Ok(());
        };
        let detail = format!(
            "DeleteMessageBatch: {} of {} messages not deleted (they come back and wake their \
             releases once more): {}",
            failed.len(),
            receipts.len(),
            failed
                .iter()
                .map(|(_, why)| why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        Err(PortError::new(*kind, detail)
            .at("DeleteMessageBatch", self.region())
            .about(&self.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_shortened_on_a_character_boundary() {
        assert_eq!(short("abc"), "abc");
        let long = "é".repeat(30);
        assert_eq!(short(&long), format!("{}…", "é".repeat(24)));
    }
}
