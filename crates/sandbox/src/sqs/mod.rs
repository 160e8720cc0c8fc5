//! Amazon SQS over AWS JSON 1.0 (`AmazonSQS.*`), answering as the SQS API Reference documents:
//! queues and their attributes (`queues`, `settings`), sends with message attributes and FIFO
//! deduplication (`send`), receives with visibility timeouts, FIFO group order and dead-letter
//! moves (`receive`), receipt handles (`receipts`), batches (`batch`), and the query-compatible
//! error codes (`errors`). Long polling is done by the server, which waits for a message before
//! answering. Marketplace Catalog change-set events arrive through [`deliver`] (or
//! [`deliver_after`] when a `delay_event` fault holds one back), called by `crate::events` as an
//! EventBridge rule targeting a queue would deliver them. State lives in `crate::world::sqs`.

mod attributes;
mod batch;
mod codec;
mod errors;
mod queues;
mod receipts;
mod receive;
mod send;
mod settings;

use serde_json::Value;

pub use errors::{mark_query_error, query_code, query_error};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::sqs::{Message, Queue, Settings, Sqs};
use crate::world::{Principal, World, partition_of};

/// The `SenderId` of messages the sandbox delivers on EventBridge's behalf. AWS reports an
/// internal principal id of the delivering service there; the sandbox uses a fixed one of the
/// same shape.
const EVENTS_SENDER_ID: &str = "AIDAEVENTBRIDGESANDBOX";

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

/// `arn:PARTITION:sqs:REGION:ACCOUNT:NAME`.
fn queue_arn(q: &Queue) -> String {
    format!(
        "arn:{}:sqs:{}:{}:{}",
        partition_of(&q.region),
        q.region,
        q.account,
        q.name
    )
}

/// The key of the queue an ARN names.
fn key_of_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", region, account, name] => Some(Sqs::key(account, region, name)),
        _ => None,
    }
}

/// The key of the queue a request's `QueueUrl` names, once it is known to exist and belong to
/// the caller.
fn locate(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<String> {
    let url = body["QueueUrl"]
        .as_str()
        .ok_or_else(|| AwsError::missing("QueueUrl"))?;
    let (account, name) = parse_url(url).ok_or_else(errors::no_queue)?;
    if account != ctx.account() {
        return Err(AwsError::new(
            403,
            "AccessDenied",
            format!("Access to the queue {url} is not allowed for this account."),
        ));
    }
    let key = Sqs::key(&account, &ctx.region, &name);
    if world.sqs.queues.contains_key(&key) {
        Ok(key)
    } else {
        Err(errors::no_queue())
    }
}

fn queue_mut<'w>(world: &'w mut World, key: &str) -> AwsResult<&'w mut Queue> {
    world.sqs.queues.get_mut(key).ok_or_else(errors::no_queue)
}

/// Drops messages older than the retention period and FIFO deduplication entries past their
/// window (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html>:
/// messages left longer than the retention period are deleted).
fn expire(q: &mut Queue, now: f64) {
    let keep = f64::from(q.settings.message_retention_period);
    q.messages.retain(|m| m.sent + keep > now);
    q.dedup.retain(|_, s| s.at + send::DEDUP_WINDOW_SECS > now);
}

/// Epoch milliseconds of a virtual second.
fn epoch_ms(world: &World, secs: f64) -> i64 {
    world.clock.at(secs).timestamp_millis()
}

/// The caller's `SenderId`: the account for root credentials, `ROLEID:session` for a role
/// session (`SenderId` on
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html>),
/// with the role ids the sandbox's STS reports.
fn sender_id(p: &Principal) -> String {
    match &p.role {
        Some(_) => format!(
            "AROA{}:{}",
            p.account,
            p.arn.rsplit('/').next().unwrap_or("")
        ),
        None => p.account.clone(),
    }
}

/// Whether the queue named in a ReceiveMessage body has a message a receive would return (for
/// long polling); a queue that does not exist ends the wait too, so the error comes back at once.
pub fn has_visible(world: &World, account: &str, region: &str, url: &str) -> bool {
    let now = world.clock.elapsed();
    parse_url(url)
        .and_then(|(acct, name)| {
            (acct == account)
                .then(|| world.sqs.queues.get(&Sqs::key(&acct, region, &name)))
                .flatten()
        })
        .is_none_or(|q| !receive::pick(q, now, 1).is_empty())
}

/// Puts a message on a queue if it exists (delivery is best effort, as with EventBridge).
pub fn deliver(world: &mut World, account: &str, region: &str, name: &str, body: &str) {
    deliver_after(world, account, region, name, body, 0.0);
}

/// [`deliver`], with the message hidden for `extra_secs` virtual seconds on top of the queue's
/// own delivery delay, as a per-message `DelaySeconds` hides one
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html>):
/// receives and long polls skip it until then, so a message delivered after it can be received
/// first.
pub fn deliver_after(
    world: &mut World,
    account: &str,
    region: &str,
    name: &str,
    body: &str,
    extra_secs: f64,
) {
    let id = world.ids.uuid();
    let now = world.clock.elapsed();
    if let Some(q) = world.sqs.queues.get_mut(&Sqs::key(account, region, name)) {
        let visible_at = now + f64::from(q.settings.delay_seconds) + extra_secs.max(0.0);
        q.messages.push(Message {
            id,
            body: body.to_owned(),
            sent: now,
            visible_at,
            sender: EVENTS_SENDER_ID.to_owned(),
            ..Message::default()
        });
    }
}

/// Creates a standard queue with default attributes if it does not exist.
pub fn ensure_queue(world: &mut World, account: &str, region: &str, name: &str) {
    let now = world.clock.elapsed();
    world
        .sqs
        .queues
        .entry(Sqs::key(account, region, name))
        .or_insert_with(|| Queue {
            account: account.to_owned(),
            region: region.to_owned(),
            name: name.to_owned(),
            settings: Settings::default(),
            created: now,
            modified: now,
            ..Queue::default()
        });
}

/// Handles one SQS operation.
pub fn handle(world: &mut World, ctx: &Ctx, op: &str, body: &Value) -> AwsResult<Value> {
    match op {
        "CreateQueue" => queues::create(world, ctx, body),
        "TagQueue" => queues::tag(world, ctx, body),
        "ListQueueTags" => queues::list_tags(world, ctx, body),
        "GetQueueUrl" => queues::url(world, ctx, body),
        "GetQueueAttributes" => queues::get_attributes(world, ctx, body),
        "SetQueueAttributes" => queues::set_attributes(world, ctx, body),
        "ListQueues" => queues::list(world, ctx, body),
        "PurgeQueue" => queues::purge(world, ctx, body),
        "DeleteQueue" => queues::delete(world, ctx, body),
        "SendMessage" => send::one(world, ctx, body),
        "SendMessageBatch" => send::batch(world, ctx, body),
        "ReceiveMessage" => receive::receive(world, ctx, body),
        "DeleteMessage" => receipts::delete(world, ctx, body),
        "DeleteMessageBatch" => receipts::delete_batch(world, ctx, body),
        "ChangeMessageVisibility" => receipts::change_visibility(world, ctx, body),
        "ChangeMessageVisibilityBatch" => receipts::change_visibility_batch(world, ctx, body),
        other => Err(AwsError::bad(
            "InvalidAction",
            format!("The sandbox does not implement AmazonSQS.{other}."),
        )),
    }
}
