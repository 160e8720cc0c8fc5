//! SQS state: queues per account and Region, their settings (the attributes CreateQueue and
//! SetQueueAttributes take), their messages and, for FIFO queues, the deduplication window.
//! The rules that read and change this state live in `crate::sqs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A message attribute or message system attribute: a data type and a string or binary value
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// `String`, `Number` or `Binary`, optionally with a custom suffix (`Number.float`).
    pub data_type: String,
    /// The value of `String` and `Number` types.
    pub string: Option<String>,
    /// The value of `Binary` types.
    pub binary: Option<Vec<u8>>,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Body.
    pub body: String,
    /// Virtual second it was sent.
    pub sent: f64,
    /// Virtual second it becomes visible (again).
    pub visible_at: f64,
    /// Times received.
    pub receives: u32,
    /// Virtual second of the first receive.
    pub first_receive: Option<f64>,
    /// The receipt handle of the latest receive.
    pub receipt: Option<String>,
    /// Message attributes by name.
    pub attributes: BTreeMap<String, Attribute>,
    /// Message system attributes sent with the message (`AWSTraceHeader`).
    pub system: BTreeMap<String, Attribute>,
    /// The sender's user or role id (`SenderId`).
    pub sender: String,
    /// `MessageGroupId`, if sent.
    pub group: Option<String>,
    /// `MessageDeduplicationId` of a FIFO message (given or derived from the body).
    pub dedup: Option<String>,
    /// `SequenceNumber` of a FIFO message.
    pub sequence: Option<String>,
    /// The ARN of the queue a dead-lettered message came from.
    pub dead_letter_source: Option<String>,
}

/// A queue's redrive policy: where and after how many receives messages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redrive {
    /// ARN of the dead-letter queue.
    pub target_arn: String,
    /// Receives after which a message moves.
    pub max_receive_count: u32,
}

/// The settable attributes of a queue, with AWS's defaults
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seconds a received message stays hidden.
    pub visibility_timeout: f64,
    /// Seconds every message is delayed.
    pub delay_seconds: u32,
    /// Largest message, bytes.
    pub maximum_message_size: u32,
    /// Seconds a message is kept.
    pub message_retention_period: u32,
    /// Default long-poll wait, seconds.
    pub receive_wait_seconds: u32,
    /// The access policy, as given.
    pub policy: Option<String>,
    /// The redrive policy.
    pub redrive: Option<Redrive>,
    /// The redrive allow policy, as given.
    pub redrive_allow: Option<String>,
    /// Whether this is a FIFO queue (fixed at creation).
    pub fifo: bool,
    /// FIFO: derive deduplication ids from the body.
    pub content_based_dedup: bool,
    /// FIFO: `queue` or `messageGroup`.
    pub dedup_scope: String,
    /// FIFO: `perQueue` or `perMessageGroupId`.
    pub throughput_limit: String,
    /// SSE with SQS-owned keys.
    pub sse_sqs: bool,
    /// SSE-KMS key, when set.
    pub kms_key: Option<String>,
    /// SSE-KMS data key reuse period, seconds.
    pub kms_reuse_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            visibility_timeout: 30.0,
            delay_seconds: 0,
            maximum_message_size: 1_048_576,
            message_retention_period: 345_600,
            receive_wait_seconds: 0,
            policy: None,
            redrive: None,
            redrive_allow: None,
            fifo: false,
            content_based_dedup: false,
            dedup_scope: "queue".to_owned(),
            throughput_limit: "perQueue".to_owned(),
            // New queues get SSE-SQS unless told otherwise (see SqsManagedSseEnabled on the
            // CreateQueue page above).
            sse_sqs: true,
            kms_key: None,
            kms_reuse_seconds: 300,
        }
    }
}

/// A FIFO send remembered for the deduplication interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    /// Virtual second of the first send.
    pub at: f64,
    /// The message id it was given.
    pub message_id: String,
    /// Its sequence number.
    pub sequence: String,
}

/// A queue.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Owner.
    pub account: String,
    /// Region.
    pub region: String,
    /// Name.
    pub name: String,
    /// Attributes.
    pub settings: Settings,
    /// Virtual second of creation.
    pub created: f64,
    /// Virtual second of the last attribute change.
    pub modified: f64,
    /// Virtual second of the last PurgeQueue.
    pub purged: Option<f64>,
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// FIFO deduplication window: scope key → first send.
    pub dedup: BTreeMap<String, Sent>,
    /// FIFO sequence numbers handed out so far.
    pub sequence: u64,
}

/// All SQS state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sqs {
    /// Queues keyed by `account/region/name`.
    pub queues: BTreeMap<String, Queue>,
    /// Deleted queues' keys → virtual second of deletion (a name waits 60 seconds for reuse).
    #[serde(default)]
    pub deleted: BTreeMap<String, f64>,
}

impl Sqs {
    /// The key of a queue.
    pub fn key(account: &str, region: &str, name: &str) -> String {
        format!("{account}/{region}/{name}")
    }
}
