//! SQS over the JSON protocol (`AmazonSQS.*`): CreateQueue, GetQueueUrl, SendMessage,
//! ReceiveMessage (with visibility timeouts; long polling is done by the server, which waits for
//! a message before answering), DeleteMessage, GetQueueAttributes and PurgeQueue. Change-set
//! events are delivered here, as an EventBridge rule targeting a queue would.

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::sqs::{Message, Queue, Sqs};

/// Default visibility timeout, seconds (AWS default).
const DEFAULT_VISIBILITY_SECS: f64 = 30.0;

fn no_queue() -> AwsError {
    AwsError::bad("QueueDoesNotExist", "The specified queue does not exist.")
}

/// `(account, name)` from a queue URL `http(s)://host/ACCOUNT/NAME`.
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let mut parts = url.rsplit('/');
    let name = parts.next()?.to_owned();
    let account = parts.next()?.to_owned();
    (account.len() == 12 && !name.is_empty()).then_some((account, name))
}

fn queue_url(ctx: &Ctx, account: &str, name: &str) -> String {
    format!("http://{}/{account}/{name}", ctx.host)
}

fn queue_mut<'w>(world: &'w mut World, ctx: &Ctx, body: &Value) -> AwsResult<&'w mut Queue> {
    let url = body["QueueUrl"]
        .as_str()
        .ok_or_else(|| AwsError::missing("QueueUrl"))?;
    let (account, name) = parse_url(url).ok_or_else(no_queue)?;
    if account != ctx.account() {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            format!("Access to the queue {url} is not allowed for this account."),
        ));
    }
    world
        .sqs
        .queues
        .get_mut(&Sqs::key(&account, &ctx.region, &name))
        .ok_or_else(no_queue)
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the queue named in a ReceiveMessage body has a visible message (for long polling).
pub fn has_visible(world: &World, account: &str, region: &str, url: &str) -> bool {
    let now = world.clock.elapsed();
    parse_url(url)
        .and_then(|(acct, name)| {
            (acct == account)
                .then(|| world.sqs.queues.get(&Sqs::key(&acct, region, &name)))
                .flatten()
        })
        .is_none_or(|q| q.messages.iter().any(|m| m.visible_at <= now))
}

/// Puts a message on a queue if it exists (delivery is best effort, as with EventBridge).
pub fn deliver(world: &mut World, account: &str, region: &str, name: &str, body: &str) {
    let id = world.ids.uuid();
    let now = world.clock.elapsed();
    if let Some(q) = world.sqs.queues.get_mut(&Sqs::key(account, region, name)) {
        q.messages.push(Message {
            id,
            body: body.to_owned(),
            sent: now,
            visible_at: now,
            receives: 0,
            receipt: None,
        });
    }
}

/// Creates a queue if it does not exist.
pub fn ensure_queue(world: &mut World, account: &str, region: &str, name: &str) {
    world
        .sqs
        .queues
        .entry(Sqs::key(account, region, name))
        .or_insert_with(|| Queue {
            account: account.to_owned(),
            region: region.to_owned(),
            name: name.to_owned(),
            visibility_timeout: DEFAULT_VISIBILITY_SECS,
            messages: Vec::new(),
        });
}

/// Handles one SQS operation.
pub fn handle(world: &mut World, ctx: &Ctx, op: &str, body: &Value) -> AwsResult<Value> {
    let now = ctx.now;
    match op {
        "CreateQueue" => {
            let name = body["QueueName"]
                .as_str()
                .ok_or_else(|| AwsError::missing("QueueName"))?
                .to_owned();
            if name.is_empty()
                || name.len() > 80
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    "Queue names are 1-80 letters, digits, '-' and '_'.",
                ));
            }
            ensure_queue(world, ctx.account(), &ctx.region, &name);
            if let Some(v) = body["Attributes"]["VisibilityTimeout"]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                && let Some(q) =
                    world
                        .sqs
                        .queues
                        .get_mut(&Sqs::key(ctx.account(), &ctx.region, &name))
            {
                q.visibility_timeout = v;
            }
            Ok(json!({ "QueueUrl": queue_url(ctx, ctx.account(), &name) }))
        }
        "GetQueueUrl" => {
            let name = body["QueueName"]
                .as_str()
                .ok_or_else(|| AwsError::missing("QueueName"))?;
            let owner = body["QueueOwnerAWSAccountId"]
                .as_str()
                .unwrap_or(ctx.account());
            if owner != ctx.account()
                || !world
                    .sqs
                    .queues
                    .contains_key(&Sqs::key(owner, &ctx.region, name))
            {
                return Err(no_queue());
            }
            Ok(json!({ "QueueUrl": queue_url(ctx, owner, name) }))
        }
        "SendMessage" => {
            let text = body["MessageBody"]
                .as_str()
                .ok_or_else(|| AwsError::missing("MessageBody"))?
                .to_owned();
            if text.is_empty() || text.len() > 262_144 {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    "Message bodies are 1 byte to 256 KiB.",
                ));
            }
            let id = world.ids.uuid();
            let q = queue_mut(world, ctx, body)?;
            q.messages.push(Message {
                id: id.clone(),
                body: text.clone(),
                sent: now,
                visible_at: now,
                receives: 0,
                receipt: None,
            });
            Ok(json!({ "MessageId": id, "MD5OfMessageBody": md5_hex(&text) }))
        }
        "ReceiveMessage" => {
            let max = body["MaxNumberOfMessages"].as_i64().unwrap_or(1);
            if !(1..=10).contains(&max) {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    "MaxNumberOfMessages must be between 1 and 10.",
                ));
            }
            if body["WaitTimeSeconds"]
                .as_i64()
                .is_some_and(|w| !(0..=20).contains(&w))
            {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    "WaitTimeSeconds must be between 0 and 20.",
                ));
            }
            let receipts: Vec<String> = (0..max).map(|_| world.ids.alnum(40)).collect();
            let q = queue_mut(world, ctx, body)?;
            let timeout = body["VisibilityTimeout"]
                .as_f64()
                .unwrap_or(q.visibility_timeout);
            let mut out = Vec::new();
            for (m, receipt) in q
                .messages
                .iter_mut()
                .filter(|m| m.visible_at <= now)
                .take(max as usize)
                .zip(receipts)
            {
                m.receives += 1;
                m.visible_at = now + timeout;
                m.receipt = Some(receipt.clone());
                out.push(json!({
                    "MessageId": m.id, "ReceiptHandle": receipt, "MD5OfBody": md5_hex(&m.body), "Body": m.body,
                    "Attributes": { "ApproximateReceiveCount": m.receives.to_string(), "SentTimestamp": ((m.sent * 1000.0) as i64).to_string() }
                }));
            }
            Ok(if out.is_empty() {
                json!({})
            } else {
                json!({ "Messages": out })
            })
        }
        "DeleteMessage" => {
            let receipt = body["ReceiptHandle"]
                .as_str()
                .ok_or_else(|| AwsError::missing("ReceiptHandle"))?
                .to_owned();
            let q = queue_mut(world, ctx, body)?;
            let before = q.messages.len();
            q.messages
                .retain(|m| m.receipt.as_deref() != Some(receipt.as_str()));
            if q.messages.len() == before {
                return Err(AwsError::bad(
                    "ReceiptHandleIsInvalid",
                    format!(
                        "The input receipt handle \"{receipt}\" is not a valid receipt handle."
                    ),
                ));
            }
            Ok(json!({}))
        }
        "GetQueueAttributes" => {
            let q = queue_mut(world, ctx, body)?;
            let visible = q.messages.iter().filter(|m| m.visible_at <= now).count();
            Ok(json!({ "Attributes": {
                "ApproximateNumberOfMessages": visible.to_string(),
                "ApproximateNumberOfMessagesNotVisible": (q.messages.len() - visible).to_string(),
                "VisibilityTimeout": (q.visibility_timeout as i64).to_string(),
            }}))
        }
        "PurgeQueue" => {
            queue_mut(world, ctx, body)?.messages.clear();
            Ok(json!({}))
        }
        other => Err(AwsError::bad(
            "InvalidAction",
            format!("The sandbox does not implement AmazonSQS.{other}."),
        )),
    }
}
