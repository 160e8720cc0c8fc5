//! ReceiveMessage: which messages a receive returns (visible ones; for FIFO queues none of a
//! group while an earlier message of it is in flight), dead-letter moves after
//! `maxReceiveCount` receives, and the system and message attributes the caller asked for
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html>,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html>,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::attributes::{self, TRACE_HEADER};
use super::codec::{attributes_md5, md5_hex};
use super::errors::bad_value;
use super::{epoch_ms, expire, key_of_arn, locate, queue_arn, queue_mut, receipts};
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::protocol::json::strings;
use crate::world::World;
use crate::world::sqs::{Message, Queue};

/// Most messages one receive returns.
const MAX_MESSAGES: i64 = 10;
/// Longest long-poll wait, seconds.
const MAX_WAIT_SECS: i64 = 20;
/// Longest visibility timeout, seconds.
const MAX_VISIBILITY_SECS: i64 = 43_200;
/// Characters of the random part of a receipt handle.
const RECEIPT_NONCE_CHARS: usize = 24;
/// The system attributes `All` stands for, each reported where it applies.
const SYSTEM_NAMES: [&str; 9] = [
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    TRACE_HEADER,
    "DeadLetterQueueSourceArn",
];

/// What a receive asks for.
struct Ask {
    max: usize,
    timeout: Option<f64>,
    system: Vec<String>,
    attributes: Vec<String>,
}

fn ranged(body: &Value, name: &str, lo: i64, hi: i64) -> AwsResult<Option<i64>> {
    match &body[name] {
        Value::Null => Ok(None),
        v => v
            .as_i64()
            .filter(|n| (lo..=hi).contains(n))
            .map(Some)
            .ok_or_else(|| {
                bad_value(format!(
                    "Value {v} for parameter {name} is invalid. Reason: Must be between {lo} and {hi}, if provided."
                ))
            }),
    }
}

fn ask(body: &Value) -> AwsResult<Ask> {
    let max = ranged(body, "MaxNumberOfMessages", 1, MAX_MESSAGES)?.unwrap_or(1);
    ranged(body, "WaitTimeSeconds", 0, MAX_WAIT_SECS)?;
    let timeout = ranged(body, "VisibilityTimeout", 0, MAX_VISIBILITY_SECS)?;
    // `AttributeNames` is the older spelling of `MessageSystemAttributeNames`; both count.
    let mut system = strings(&body["AttributeNames"]);
    system.extend(strings(&body["MessageSystemAttributeNames"]));
    if system.iter().any(|n| n == "All") {
        system = SYSTEM_NAMES.iter().map(|n| (*n).to_owned()).collect();
    }
    Ok(Ask {
        max: max as usize,
        timeout: timeout.map(|t| t as f64),
        system,
        attributes: strings(&body["MessageAttributeNames"]),
    })
}

/// Moves visible messages that have used up their receives to the dead-letter queue, when the
/// queue has a redrive policy whose target exists.
fn dead_letter(world: &mut World, key: &str, now: f64) {
    let Some((redrive, source_arn)) = world
        .sqs
        .queues
        .get(key)
        .and_then(|q| Some((q.settings.redrive.clone()?, queue_arn(q))))
    else {
        return;
    };
    let Some(target) =
        key_of_arn(&redrive.target_arn).filter(|t| t != key && world.sqs.queues.contains_key(t))
    else {
        return;
    };
    let Some(q) = world.sqs.queues.get_mut(key) else {
        return;
    };
    let (spent, kept): (Vec<Message>, Vec<Message>) = std::mem::take(&mut q.messages)
        .into_iter()
        .partition(|m| m.visible_at <= now && m.receives >= redrive.max_receive_count);
    q.messages = kept;
    if let Some(dlq) = world.sqs.queues.get_mut(&target) {
        for mut m in spent {
            m.visible_at = now;
            m.receipt = None;
            m.dead_letter_source = Some(source_arn.clone());
            dlq.messages.push(m);
        }
    }
}

/// Indices of the messages to return, oldest first.
pub(super) fn pick(q: &Queue, now: f64, max: usize) -> Vec<usize> {
    let mut blocked = BTreeSet::new();
    let mut out = Vec::new();
    for (i, m) in q.messages.iter().enumerate() {
        if out.len() == max {
            break;
        }
        let group = m.group.as_deref().filter(|_| q.settings.fifo);
        if group.is_some_and(|g| blocked.contains(g)) {
            continue;
        }
        if m.visible_at > now {
            // A FIFO group waits behind its first hidden message.
            blocked.extend(group);
            continue;
        }
        out.push(i);
    }
    out
}

fn system_value(m: &Message, name: &str, epoch: &dyn Fn(f64) -> i64) -> Option<String> {
    match name {
        "SenderId" => Some(m.sender.clone()).filter(|s| !s.is_empty()),
        "SentTimestamp" => Some(epoch(m.sent).to_string()),
        "ApproximateReceiveCount" => Some(m.receives.to_string()),
        "ApproximateFirstReceiveTimestamp" => m.first_receive.map(|t| epoch(t).to_string()),
        "SequenceNumber" => m.sequence.clone(),
        "MessageDeduplicationId" => m.dedup.clone(),
        "MessageGroupId" => m.group.clone(),
        "DeadLetterQueueSourceArn" => m.dead_letter_source.clone(),
        TRACE_HEADER => m.system.get(TRACE_HEADER).and_then(|a| a.string.clone()),
        _ => None,
    }
}

fn render(m: &Message, receipt: &str, ask: &Ask, epoch: &dyn Fn(f64) -> i64) -> Value {
    let mut out = json!({
        "MessageId": m.id,
        "ReceiptHandle": receipt,
        "MD5OfBody": md5_hex(&m.body),
        "Body": m.body,
    });
    let system: Map<String, Value> = ask
        .system
        .iter()
        .filter_map(|n| system_value(m, n, epoch).map(|v| (n.clone(), Value::String(v))))
        .collect();
    if !system.is_empty() {
        out["Attributes"] = Value::Object(system);
    }
    let chosen = attributes::select(&m.attributes, &ask.attributes);
    if let Some(md5) = attributes_md5(chosen.iter().map(|(k, v)| (*k, *v))) {
        out["MD5OfMessageAttributes"] = Value::from(md5);
        out["MessageAttributes"] = attributes::render(chosen);
    }
    out
}

/// ReceiveMessage.
pub fn receive(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let ask = ask(body)?;
    let key = locate(world, ctx, body)?;
    let now = ctx.now;
    expire(queue_mut(world, &key)?, now);
    dead_letter(world, &key, now);
    let nonces: Vec<String> = (0..ask.max)
        .map(|_| world.ids.alnum(RECEIPT_NONCE_CHARS))
        .collect();
    let base_ms = epoch_ms(world, 0.0);
    let epoch = move |secs: f64| base_ms + (secs * 1000.0) as i64;
    let q = queue_mut(world, &key)?;
    let timeout = ask.timeout.unwrap_or(q.settings.visibility_timeout);
    let mut out = Vec::new();
    for (i, nonce) in pick(q, now, ask.max).into_iter().zip(&nonces) {
        let m = &mut q.messages[i];
        m.receives += 1;
        m.first_receive.get_or_insert(now);
        m.visible_at = now + timeout;
        let receipt = receipts::issue(&key, &m.id, m.receives, nonce);
        m.receipt = Some(receipt.clone());
        out.push(render(m, &receipt, &ask, &epoch));
    }
    Ok(if out.is_empty() {
        json!({})
    } else {
        json!({ "Messages": out })
    })
}
