//! Queue attributes: the checks CreateQueue and SetQueueAttributes apply to each one, and the
//! values GetQueueAttributes reports, in AWS's formats (numbers and epoch seconds as decimal
//! strings, booleans as `true`/`false`, policies as JSON text)
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html>).

use serde_json::{Value, json};

use super::errors::{bad_attribute, bad_value, unknown_attribute};
use crate::error::AwsResult;
use crate::world::sqs::{Queue, Redrive, Settings};

/// Every attribute GetQueueAttributes knows, in the order `All` lists them.
pub const NAMES: [&str; 21] = [
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Integer attributes and their documented ranges (CreateQueue and SetQueueAttributes pages).
const LIMITS: [(&str, u32, u32); 6] = [
    ("DelaySeconds", 0, 900),
    ("MaximumMessageSize", 1_024, 1_048_576),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("VisibilityTimeout", 0, 43_200),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
];

/// Largest `maxReceiveCount` of a redrive policy
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html>).
const MAX_RECEIVE_COUNT: u32 = 1_000;

/// Finds a dead-letter queue by ARN: `Some(is_fifo)` when it exists.
pub type DeadLetterLookup<'a> = &'a dyn Fn(&str) -> Option<bool>;

fn flag(name: &str, value: &str) -> AwsResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_attribute(name)),
    }
}

fn json_object(name: &str, value: &str) -> AwsResult<Value> {
    serde_json::from_str::<Value>(value)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| bad_attribute(name))
}

fn redrive(s: &Settings, value: &str, dlq: DeadLetterLookup<'_>) -> AwsResult<Option<Redrive>> {
    if value.is_empty() {
        return Ok(None);
    }
    let why = |reason: &str| {
        bad_value(format!(
            "Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
        ))
    };
    let v = json_object("RedrivePolicy", value)?;
    let target = v["deadLetterTargetArn"]
        .as_str()
        .ok_or_else(|| why("Redrive policy does not contain a deadLetterTargetArn."))?;
    let count = match &v["maxReceiveCount"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .and_then(|n| u32::try_from(n).ok())
    .filter(|n| (1..=MAX_RECEIVE_COUNT).contains(n))
    .ok_or_else(|| why("Invalid value for maxReceiveCount."))?;
    match dlq(target) {
        None => Err(why("Dead letter target does not exist.")),
        Some(fifo) if fifo != s.fifo => Err(why(
            "Dead-letter queue must be same type of queue as the source.",
        )),
        Some(_) => Ok(Some(Redrive {
            target_arn: target.to_owned(),
            max_receive_count: count,
        })),
    }
}

fn fifo_only(s: &Settings, name: &str) -> AwsResult<()> {
    if s.fifo {
        Ok(())
    } else {
        Err(unknown_attribute(name))
    }
}

/// Applies one attribute. `creating` admits `FifoQueue`, which only CreateQueue takes (the
/// caller has already set `s.fifo` from it).
pub fn apply(
    s: &mut Settings,
    name: &str,
    value: &str,
    creating: bool,
    dlq: DeadLetterLookup<'_>,
) -> AwsResult<()> {
    if let Some((_, lo, hi)) = LIMITS.iter().find(|(n, _, _)| *n == name) {
        let n = value
            .parse::<u32>()
            .ok()
            .filter(|n| (*lo..=*hi).contains(n))
            .ok_or_else(|| bad_attribute(name))?;
        match name {
            "DelaySeconds" => s.delay_seconds = n,
            "MaximumMessageSize" => s.maximum_message_size = n,
            "MessageRetentionPeriod" => s.message_retention_period = n,
            "ReceiveMessageWaitTimeSeconds" => s.receive_wait_seconds = n,
            "VisibilityTimeout" => s.visibility_timeout = f64::from(n),
            _ => s.kms_reuse_seconds = n,
        }
        return Ok(());
    }
    let optional = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    match name {
        "Policy" | "RedriveAllowPolicy" => {
            if !value.is_empty() {
                json_object(name, value)?;
            }
            let slot = if name == "Policy" {
                &mut s.policy
            } else {
                &mut s.redrive_allow
            };
            *slot = optional(value);
        }
        "RedrivePolicy" => s.redrive = redrive(s, value, dlq)?,
        "FifoQueue" if creating => {
            if flag(name, value)? != s.fifo {
                return Err(bad_attribute(name));
            }
        }
        "ContentBasedDeduplication" => {
            fifo_only(s, name)?;
            s.content_based_dedup = flag(name, value)?;
        }
        "DeduplicationScope" | "FifoThroughputLimit" => {
            fifo_only(s, name)?;
            let allowed: [&str; 2] = if name == "DeduplicationScope" {
                ["queue", "messageGroup"]
            } else {
                ["perQueue", "perMessageGroupId"]
            };
            if !allowed.contains(&value) {
                return Err(bad_attribute(name));
            }
            let slot = if name == "DeduplicationScope" {
                &mut s.dedup_scope
            } else {
                &mut s.throughput_limit
            };
            *slot = value.to_owned();
        }
        "SqsManagedSseEnabled" => {
            s.sse_sqs = flag(name, value)?;
            if s.sse_sqs {
                s.kms_key = None;
            }
        }
        "KmsMasterKeyId" => {
            s.kms_key = optional(value);
            s.sse_sqs &= s.kms_key.is_none();
        }
        _ => return Err(unknown_attribute(name)),
    }
    Ok(())
}

/// The checks across attributes: `perMessageGroupId` throughput needs message-group
/// deduplication (the high-throughput FIFO rules on the SetQueueAttributes page).
pub fn check(s: &Settings) -> AwsResult<()> {
    if s.throughput_limit == "perMessageGroupId" && s.dedup_scope != "messageGroup" {
        return Err(bad_attribute("FifoThroughputLimit"));
    }
    Ok(())
}

/// What GetQueueAttributes needs beyond the queue itself.
pub struct View<'a> {
    /// The queue's ARN.
    pub arn: &'a str,
    /// Virtual seconds now.
    pub now: f64,
    /// Virtual seconds → epoch seconds.
    pub epoch_secs: &'a dyn Fn(f64) -> i64,
}

/// The value of one attribute, `None` where it does not apply (a FIFO attribute of a standard
/// queue, a policy never set).
pub fn value(q: &Queue, name: &str, view: &View<'_>) -> Option<String> {
    let s = &q.settings;
    let count = |f: &dyn Fn(&crate::world::sqs::Message) -> bool| {
        Some(q.messages.iter().filter(|m| f(m)).count().to_string())
    };
    let now = view.now;
    let fifo = |v: String| s.fifo.then_some(v);
    match name {
        "QueueArn" => Some(view.arn.to_owned()),
        "ApproximateNumberOfMessages" => count(&|m| m.visible_at <= now),
        "ApproximateNumberOfMessagesNotVisible" => count(&|m| m.visible_at > now && m.receives > 0),
        "ApproximateNumberOfMessagesDelayed" => count(&|m| m.visible_at > now && m.receives == 0),
        "CreatedTimestamp" => Some((view.epoch_secs)(q.created).to_string()),
        "LastModifiedTimestamp" => Some((view.epoch_secs)(q.modified).to_string()),
        "VisibilityTimeout" => Some((s.visibility_timeout as i64).to_string()),
        "MaximumMessageSize" => Some(s.maximum_message_size.to_string()),
        "MessageRetentionPeriod" => Some(s.message_retention_period.to_string()),
        "DelaySeconds" => Some(s.delay_seconds.to_string()),
        "ReceiveMessageWaitTimeSeconds" => Some(s.receive_wait_seconds.to_string()),
        "Policy" => s.policy.clone(),
        "RedrivePolicy" => s.redrive.as_ref().map(|r| {
            json!({ "deadLetterTargetArn": r.target_arn, "maxReceiveCount": r.max_receive_count })
                .to_string()
        }),
        "RedriveAllowPolicy" => s.redrive_allow.clone(),
        "SqsManagedSseEnabled" => Some(s.sse_sqs.to_string()),
        "KmsMasterKeyId" => s.kms_key.clone(),
        "KmsDataKeyReusePeriodSeconds" => {
            s.kms_key.as_ref().map(|_| s.kms_reuse_seconds.to_string())
        }
        "FifoQueue" => fifo("true".to_owned()),
        "ContentBasedDeduplication" => fifo(s.content_based_dedup.to_string()),
        "DeduplicationScope" => fifo(s.dedup_scope.clone()),
        "FifoThroughputLimit" => fifo(s.throughput_limit.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<bool> {
        None
    }

    #[test]
    fn ranges_and_types_are_enforced() {
        let mut s = Settings::default();
        assert!(apply(&mut s, "MaximumMessageSize", "1023", false, &none).is_err());
        assert!(apply(&mut s, "MaximumMessageSize", "1024", false, &none).is_ok());
        assert!(apply(&mut s, "VisibilityTimeout", "43201", false, &none).is_err());
        assert!(apply(&mut s, "ContentBasedDeduplication", "true", false, &none).is_err());
        assert!(apply(&mut s, "FifoQueue", "true", false, &none).is_err());
        assert!(apply(&mut s, "Policy", "not json", false, &none).is_err());
        assert!(
            apply(
                &mut s,
                "RedrivePolicy",
                r#"{"deadLetterTargetArn":"arn","maxReceiveCount":2}"#,
                false,
                &none
            )
            .is_err()
        );
        let exists = |_: &str| Some(false);
        assert!(
            apply(
                &mut s,
                "RedrivePolicy",
                r#"{"deadLetterTargetArn":"arn","maxReceiveCount":"2"}"#,
                false,
                &exists
            )
            .is_ok()
        );
        assert_eq!(s.redrive.map(|r| r.max_receive_count), Some(2));
    }
}
