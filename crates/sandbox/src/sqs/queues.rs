//! Queue operations: CreateQueue (idempotent for the same attributes), GetQueueUrl,
//! GetQueueAttributes, SetQueueAttributes, ListQueues, PurgeQueue and DeleteQueue.

use serde_json::{Map, Value, json};

use super::errors::{bad_value, no_queue, unknown_attribute};
use super::settings::{self, View};
use super::{expire, key_of_arn, locate, queue_arn, queue_mut, queue_url};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::protocol::json::strings;
use crate::world::World;
use crate::world::sqs::{Queue, Settings, Sqs};

/// Longest queue name, characters, `.fifo` included
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html>).
const MAX_NAME_CHARS: usize = 80;
/// Seconds a deleted queue's name waits before it can be created again, and seconds between
/// two purges of a queue (CreateQueue, DeleteQueue and PurgeQueue pages).
const REUSE_WAIT_SECS: f64 = 60.0;
/// Most queue URLs one ListQueues page returns
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html>).
const MAX_LIST: usize = 1_000;

fn check_name(name: &str, fifo: bool) -> AwsResult<()> {
    let base = if fifo {
        name.strip_suffix(".fifo")
    } else {
        Some(name)
    };
    let ok = name.chars().count() <= MAX_NAME_CHARS
        && base.is_some_and(|b| {
            !b.is_empty()
                && b.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    match (ok, fifo) {
        (true, _) => Ok(()),
        (false, true) => Err(bad_value(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        )),
        (false, false) => Err(bad_value(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )),
    }
}

/// The `Attributes` map of a request as name/value pairs.
fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            (k.clone(), value)
        })
        .collect()
}

/// Applies requested attributes to `s`, with dead-letter targets looked up in `world`.
fn configure(
    world: &World,
    s: &mut Settings,
    pairs: &[(String, String)],
    creating: bool,
) -> AwsResult<()> {
    let lookup = |arn: &str| {
        key_of_arn(arn)
            .and_then(|k| world.sqs.queues.get(&k))
            .map(|q| q.settings.fifo)
    };
    for (name, value) in pairs {
        settings::apply(s, name, value, creating, &lookup)?;
    }
    settings::check(s)
}

/// CreateQueue for an existing name succeeds only when every attribute given already has that
/// value (CreateQueue page).
fn same_attributes(world: &World, q: &Queue, pairs: &[(String, String)]) -> AwsResult<()> {
    for pair in pairs {
        let mut s = q.settings.clone();
        configure(world, &mut s, std::slice::from_ref(pair), true)?;
        if s != q.settings {
            return Err(AwsError::bad(
                "QueueNameExists",
                format!(
                    "A queue already exists with the same name and a different value for attribute {}",
                    pair.0
                ),
            ));
        }
    }
    Ok(())
}

/// CreateQueue.
pub fn create(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = body["QueueName"]
        .as_str()
        .ok_or_else(|| AwsError::missing("QueueName"))?
        .to_owned();
    let requested = pairs(&body["Attributes"]);
    let fifo = requested
        .iter()
        .any(|(n, v)| n == "FifoQueue" && v.eq_ignore_ascii_case("true"));
    check_name(&name, fifo)?;
    let key = Sqs::key(ctx.account(), &ctx.region, &name);
    let url = json!({ "QueueUrl": queue_url(ctx, ctx.account(), &name) });
    if let Some(q) = world.sqs.queues.get(&key) {
        same_attributes(world, q, &requested)?;
        return Ok(url);
    }
    if world
        .sqs
        .deleted
        .get(&key)
        .is_some_and(|at| ctx.now < at + REUSE_WAIT_SECS)
    {
        return Err(AwsError::bad(
            "QueueDeletedRecently",
            "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        ));
    }
    let mut settings = Settings {
        fifo,
        ..Settings::default()
    };
    configure(world, &mut settings, &requested, true)?;
    world.sqs.queues.insert(
        key,
        Queue {
            account: ctx.account().to_owned(),
            region: ctx.region.clone(),
            name,
            settings,
            created: ctx.now,
            modified: ctx.now,
            tags: pairs(&body["tags"]).into_iter().collect(),
            ..Queue::default()
        },
    );
    Ok(url)
}

/// TagQueue: adds or replaces tags
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_TagQueue.html>).
pub fn tag(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let tags = pairs(&body["Tags"]);
    let q = world
        .sqs
        .queues
        .get_mut(&key)
        .ok_or_else(super::errors::no_queue)?;
    q.tags.extend(tags);
    Ok(json!({}))
}

/// ListQueueTags.
pub fn list_tags(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let q = world
        .sqs
        .queues
        .get(&key)
        .ok_or_else(super::errors::no_queue)?;
    Ok(json!({ "Tags": q.tags }))
}

/// GetQueueUrl.
pub fn url(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
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

/// GetQueueAttributes: the attributes named, every one for `All`, nothing when none are named.
pub fn get_attributes(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let names = strings(&body["AttributeNames"]);
    if let Some(bad) = names
        .iter()
        .find(|n| *n != "All" && !settings::NAMES.contains(&n.as_str()))
    {
        return Err(unknown_attribute(bad));
    }
    let wanted: Vec<&str> = if names.iter().any(|n| n == "All") {
        settings::NAMES.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    expire(queue_mut(world, &key)?, ctx.now);
    let base_ms = super::epoch_ms(world, 0.0);
    let epoch_secs = move |secs: f64| (base_ms + (secs * 1000.0) as i64).div_euclid(1000);
    let q = world.sqs.queues.get(&key).ok_or_else(no_queue)?;
    let arn = queue_arn(q);
    let view = View {
        arn: &arn,
        now: ctx.now,
        epoch_secs: &epoch_secs,
    };
    let found: Map<String, Value> = wanted
        .into_iter()
        .filter_map(|n| settings::value(q, n, &view).map(|v| (n.to_owned(), Value::String(v))))
        .collect();
    Ok(if found.is_empty() {
        json!({})
    } else {
        json!({ "Attributes": found })
    })
}

/// SetQueueAttributes: all or nothing.
pub fn set_attributes(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let mut s = queue_mut(world, &key)?.settings.clone();
    configure(world, &mut s, &pairs(&body["Attributes"]), false)?;
    let q = queue_mut(world, &key)?;
    q.settings = s;
    q.modified = ctx.now;
    Ok(json!({}))
}

/// ListQueues: the caller's queues in the Region, by name prefix, paginated when `MaxResults`
/// is given.
pub fn list(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let prefix = body["QueueNamePrefix"].as_str().unwrap_or("");
    let max = match body["MaxResults"].as_i64() {
        Some(n) if (1..=MAX_LIST as i64).contains(&n) => n as usize,
        Some(_) => return Err(bad_value("MaxResults must be between 1 and 1000.")),
        None => MAX_LIST,
    };
    let after = body["NextToken"].as_str().unwrap_or("");
    let names: Vec<&str> = world
        .sqs
        .queues
        .values()
        .filter(|q| q.account == ctx.account() && q.region == ctx.region)
        .map(|q| q.name.as_str())
        .filter(|n| n.starts_with(prefix) && *n > after)
        .collect();
    let mut out = json!({});
    if !names.is_empty() {
        let page = &names[..names.len().min(max)];
        out["QueueUrls"] = page
            .iter()
            .map(|n| queue_url(ctx, ctx.account(), n))
            .collect();
        if names.len() > max && body["MaxResults"].is_i64() {
            out["NextToken"] = Value::from(page[page.len() - 1]);
        }
    }
    Ok(out)
}

/// PurgeQueue: at most once a minute per queue.
pub fn purge(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    let q = queue_mut(world, &key)?;
    if q.purged.is_some_and(|at| ctx.now < at + REUSE_WAIT_SECS) {
        return Err(AwsError::new(
            403,
            "PurgeQueueInProgress",
            format!(
                "Only one PurgeQueue operation on {} is allowed every 60 seconds.",
                q.name
            ),
        ));
    }
    q.messages.clear();
    q.purged = Some(ctx.now);
    Ok(json!({}))
}

/// DeleteQueue.
pub fn delete(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let key = locate(world, ctx, body)?;
    world.sqs.queues.remove(&key);
    world.sqs.deleted.insert(key, ctx.now);
    Ok(json!({}))
}
