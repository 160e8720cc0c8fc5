//! Receipt handles and what they unlock: DeleteMessage, ChangeMessageVisibility and their
//! batches. A handle names its queue, its message and which receive issued it, so the sandbox
//! can tell a handle it never issued (refused) from an older one of a message received since
//! or already deleted (accepted without effect, as the DeleteMessage page documents:
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html>).

use serde_json::{Value, json};

use super::batch::{self, Outcomes};
use super::codec::{base64, unbase64};
use super::errors::{bad_receipt, bad_value};
use super::{locate, queue_mut};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;

/// Longest visibility timeout, seconds (ChangeMessageVisibility page).
const MAX_VISIBILITY_SECS: i64 = 43_200;

/// A decoded receipt handle.
struct Receipt {
    queue: String,
    message: String,
    receive: u32,
}

/// A new handle for the `receive`-th receive of a message; `nonce` keeps handles unguessable.
pub fn issue(queue_key: &str, message_id: &str, receive: u32, nonce: &str) -> String {
    base64(format!("{queue_key}|{message_id}|{receive}|{nonce}").as_bytes())
}

fn decode(handle: &str) -> Option<Receipt> {
    let text = String::from_utf8(unbase64(handle)?).ok()?;
    let mut parts = text.split('|');
    let (queue, message, receive) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    Some(Receipt {
        queue: queue.to_owned(),
        message: message.to_owned(),
        receive: receive.parse().ok()?,
    })
}

/// The handle of a request, decoded, if this queue issued it.
fn receipt_for(key: &str, handle: &str) -> AwsResult<Receipt> {
    decode(handle)
        .filter(|r| r.queue == key)
        .ok_or_else(|| bad_receipt(handle))
}

fn delete_one(world: &mut World, key: &str, handle: &str) -> AwsResult<Value> {
    let r = receipt_for(key, handle)?;
    queue_mut(world, key)?
        .messages
        .retain(|m| !(m.id == r.message && m.receives == r.receive));
    Ok(json!({}))
}

/// DeleteMessage: only the latest handle of a message deletes it; older handles, and handles
/// of messages already gone, succeed without effect.
pub fn delete(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let handle = body["ReceiptHandle"]
        .as_str()
        .ok_or_else(|| AwsError::missing("ReceiptHandle"))?;
    delete_one(world, &key, handle)
}

/// DeleteMessageBatch.
pub fn delete_batch(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let mut out = Outcomes::default();
    for e in batch::entries(body, "DeleteMessageBatchRequestEntry")? {
        let outcome = match e["ReceiptHandle"].as_str() {
            Some(h) => delete_one(world, &key, h),
            None => Err(AwsError::missing("ReceiptHandle")),
        };
        out.push(e["Id"].as_str().unwrap_or(""), outcome);
    }
    Ok(out.finish())
}

/// Hides a message in flight for `timeout` seconds from now; the handle must be its latest
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html>).
fn change_one(
    world: &mut World,
    key: &str,
    handle: &str,
    timeout: &Value,
    now: f64,
) -> AwsResult<Value> {
    let secs = timeout
        .as_i64()
        .filter(|t| (0..=MAX_VISIBILITY_SECS).contains(t))
        .ok_or_else(|| {
            bad_value(format!(
                "Value {timeout} for parameter VisibilityTimeout is invalid."
            ))
        })?;
    let r = receipt_for(key, handle)?;
    let message = queue_mut(world, key)?
        .messages
        .iter_mut()
        .find(|m| m.id == r.message && m.receives == r.receive)
        .ok_or_else(|| {
            bad_value(format!(
                "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
            ))
        })?;
    if message.visible_at <= now {
        return Err(AwsError::bad(
            "MessageNotInflight",
            "The message is not in flight.",
        ));
    }
    message.visible_at = now + secs as f64;
    Ok(json!({}))
}

/// ChangeMessageVisibility.
pub fn change_visibility(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let handle = body["ReceiptHandle"]
        .as_str()
        .ok_or_else(|| AwsError::missing("ReceiptHandle"))?;
    change_one(world, &key, handle, &body["VisibilityTimeout"], ctx.now)
}

/// ChangeMessageVisibilityBatch.
pub fn change_visibility_batch(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let mut out = Outcomes::default();
    for e in batch::entries(body, "ChangeMessageVisibilityBatchRequestEntry")? {
        let outcome = match e["ReceiptHandle"].as_str() {
            Some(h) => change_one(world, &key, h, &e["VisibilityTimeout"], ctx.now),
            None => Err(AwsError::missing("ReceiptHandle")),
        };
        out.push(e["Id"].as_str().unwrap_or(""), outcome);
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_name_queue_message_and_receive() {
        let h = issue("111122223333/us-east-1/q", "m-1", 3, "abc");
        let r = receipt_for("111122223333/us-east-1/q", &h).ok();
        assert_eq!(
            r.map(|r| (r.message, r.receive)),
            Some(("m-1".to_owned(), 3))
        );
        assert!(receipt_for("111122223333/us-east-1/other", &h).is_err());
        assert!(receipt_for("111122223333/us-east-1/q", "garbage").is_err());
    }
}
