//! SQS state: queues per account and Region with their messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Body.
    pub body: String,
    /// Virtual second it was sent.
    pub sent: f64,
    /// Virtual second it becomes visible again.
    pub visible_at: f64,
    /// Times received.
    pub receives: u32,
    /// The receipt handle of the latest receive.
    pub receipt: Option<String>,
}

/// A queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// Owner.
    pub account: String,
    /// Region.
    pub region: String,
    /// Name.
    pub name: String,
    /// Default visibility timeout, seconds.
    pub visibility_timeout: f64,
    /// Messages, oldest first.
    pub messages: Vec<Message>,
}

/// All SQS state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sqs {
    /// Queues keyed by `account/region/name`.
    pub queues: BTreeMap<String, Queue>,
}

impl Sqs {
    /// The key of a queue.
    pub fn key(account: &str, region: &str, name: &str) -> String {
        format!("{account}/{region}/{name}")
    }
}
