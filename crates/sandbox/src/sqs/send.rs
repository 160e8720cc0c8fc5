//! SendMessage and SendMessageBatch: body and attribute checks, the queue's size limit and
//! delay, and for FIFO queues the message group, deduplication within five minutes and
//! sequence numbers
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html>).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::attributes::{self, valid_text};
use super::batch::{self, Outcomes};
use super::codec::{attributes_md5, md5_hex, sha256_hex};
use super::errors::bad_value;
use super::{expire, locate, queue_mut, sender_id};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::sqs::{Attribute, Message, Sent, Settings};

/// A FIFO deduplication id suppresses repeats for this long, seconds.
pub const DEDUP_WINDOW_SECS: f64 = 300.0;
/// Longest per-message delay, seconds.
const MAX_DELAY_SECS: i64 = 900;
/// Longest group or deduplication id, characters.
const MAX_TOKEN_CHARS: usize = 128;
/// Largest sum of a batch's message sizes, bytes (SendMessageBatch page).
const MAX_BATCH_BYTES: usize = 1_048_576;
/// Sequence numbers are large and not consecutive (SendMessage page): the sandbox counts up
/// from this base in steps of [`SEQUENCE_STEP`].
const SEQUENCE_BASE: u128 = 18_000_000_000_000_000_000;
const SEQUENCE_STEP: u128 = 65_536;

/// One message as a request describes it.
struct Outgoing {
    body: String,
    attributes: BTreeMap<String, Attribute>,
    system: BTreeMap<String, Attribute>,
    delay: Option<i64>,
    group: Option<String>,
    dedup: Option<String>,
}

impl Outgoing {
    /// The message's size as the limit counts it: body plus attributes.
    fn size(&self) -> usize {
        self.body.len() + attributes::size(&self.attributes)
    }
}

fn token(v: &Value, name: &str) -> AwsResult<Option<String>> {
    let Some(t) = v[name].as_str() else {
        return Ok(None);
    };
    let ok = !t.is_empty()
        && t.chars().count() <= MAX_TOKEN_CHARS
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if ok {
        Ok(Some(t.to_owned()))
    } else {
        Err(bad_value(format!(
            "Value {t} for parameter {name} is invalid."
        )))
    }
}

fn read(v: &Value) -> AwsResult<Outgoing> {
    let body = v["MessageBody"]
        .as_str()
        .ok_or_else(|| AwsError::missing("MessageBody"))?;
    if body.is_empty() {
        return Err(bad_value(
            "The message body must be at least one character.",
        ));
    }
    if !valid_text(body) {
        return Err(AwsError::bad(
            "InvalidMessageContents",
            "Invalid characters found.",
        ));
    }
    let delay = match &v["DelaySeconds"] {
        Value::Null => None,
        d => match d.as_i64() {
            Some(n) if (0..=MAX_DELAY_SECS).contains(&n) => Some(n),
            _ => {
                return Err(bad_value(format!(
                    "Value {d} for parameter DelaySeconds is invalid."
                )));
            }
        },
    };
    Ok(Outgoing {
        body: body.to_owned(),
        attributes: attributes::read(&v["MessageAttributes"])?,
        system: attributes::read_system(&v["MessageSystemAttributes"])?,
        delay,
        group: token(v, "MessageGroupId")?,
        dedup: token(v, "MessageDeduplicationId")?,
    })
}

/// The queue's own rules; for a FIFO queue, the message's deduplication id.
fn admit(o: &Outgoing, s: &Settings) -> AwsResult<Option<String>> {
    if o.size() > s.maximum_message_size as usize {
        return Err(bad_value(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
            s.maximum_message_size
        )));
    }
    let wrong_type = |name: &str| {
        bad_value(format!(
            "The request include parameter {name} that is not valid for this queue type."
        ))
    };
    if !s.fifo {
        return match o.dedup {
            Some(_) => Err(wrong_type("MessageDeduplicationId")),
            None => Ok(None),
        };
    }
    if o.delay.is_some() {
        return Err(wrong_type("DelaySeconds"));
    }
    if o.group.is_none() {
        return Err(AwsError::missing("MessageGroupId"));
    }
    match (&o.dedup, s.content_based_dedup) {
        (Some(d), _) => Ok(Some(d.clone())),
        (None, true) => Ok(Some(sha256_hex(&o.body))),
        (None, false) => Err(bad_value(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        )),
    }
}

fn enqueue(world: &mut World, key: &str, sender: &str, now: f64, o: Outgoing) -> AwsResult<Value> {
    let id = world.ids.uuid();
    let q = queue_mut(world, key)?;
    expire(q, now);
    let dedup = admit(&o, &q.settings)?;
    let mut reply = json!({ "MessageId": id, "MD5OfMessageBody": md5_hex(&o.body) });
    if let Some(md5) = attributes_md5(&o.attributes) {
        reply["MD5OfMessageAttributes"] = Value::from(md5);
    }
    if let Some(md5) = attributes_md5(&o.system) {
        reply["MD5OfMessageSystemAttributes"] = Value::from(md5);
    }
    let mut sequence = None;
    if let Some(d) = &dedup {
        let scope = match (q.settings.dedup_scope.as_str(), &o.group) {
            ("messageGroup", Some(g)) => format!("{g}\n{d}"),
            _ => d.clone(),
        };
        if let Some(first) = q.dedup.get(&scope) {
            // A duplicate is accepted and answered as the first send, but not delivered again.
            reply["MessageId"] = Value::from(first.message_id.clone());
            reply["SequenceNumber"] = Value::from(first.sequence.clone());
            return Ok(reply);
        }
        q.sequence += 1;
        let seq = (SEQUENCE_BASE + u128::from(q.sequence) * SEQUENCE_STEP).to_string();
        q.dedup.insert(
            scope,
            Sent {
                at: now,
                message_id: id.clone(),
                sequence: seq.clone(),
            },
        );
        reply["SequenceNumber"] = Value::from(seq.clone());
        sequence = Some(seq);
    }
    let delay = o
        .delay
        .map_or(f64::from(q.settings.delay_seconds), |d| d as f64);
    q.messages.push(Message {
        id,
        body: o.body,
        sent: now,
        visible_at: now + delay,
        attributes: o.attributes,
        system: o.system,
        sender: sender.to_owned(),
        group: o.group,
        dedup,
        sequence,
        ..Message::default()
    });
    Ok(reply)
}

/// SendMessage.
pub fn one(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let o = read(body)?;
    enqueue(world, &key, &sender_id(&ctx.principal), ctx.now, o)
}

/// SendMessageBatch: the envelope fails as a whole, each entry on its own.
pub fn batch(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let entries = batch::entries(body, "SendMessageBatchRequestEntry")?;
    let total: usize = entries
        .iter()
        .map(|e| {
            e["MessageBody"].as_str().map_or(0, str::len)
                + attributes::read(&e["MessageAttributes"]).map_or(0, |a| attributes::size(&a))
        })
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(AwsError::bad(
            "BatchRequestTooLong",
            format!(
                "Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let sender = sender_id(&ctx.principal);
    let mut out = Outcomes::default();
    for e in entries {
        let outcome = read(e).and_then(|o| enqueue(world, &key, &sender, ctx.now, o));
        out.push(e["Id"].as_str().unwrap_or(""), outcome);
    }
    Ok(out.finish())
}
