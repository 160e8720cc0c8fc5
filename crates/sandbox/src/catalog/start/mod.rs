//! StartChangeSet: the synchronous part. `parse` reads each change (shape and enum checks,
//! `Details`/`DetailsDocument` exclusivity), `shapes` holds the members of each change type,
//! `targets` resolves entities (existence, revisions, `$Name.Entity.Identifier` references) and
//! refuses locked entities (423 naming the holding change set) and accounts over quota; this
//! file reads the request's name, intent and `ClientRequestToken` (idempotency) and stores the
//! accepted change set, PREPARING, with the ids of the entities it will create already given,
//! so DescribeChangeSet names them from the start
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>).

mod parse;
mod shapes;
mod targets;

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub use parse::references;
pub use shapes::change_set_name_ok;
pub use targets::MAX_OPEN_CHANGE_SETS;

use super::{checks, validation};
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

/// Most characters of a `ClientRequestToken`.
const TOKEN_MAX_CHARS: usize = 64;

/// The request's change-set level members.
struct Header {
    name: String,
    intent: String,
    token: Option<String>,
}

/// StartChangeSet.
pub fn start_change_set(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let account = ctx.account().to_owned();
    let raw = change_list(body)?;
    let header = header(body, &account)?;
    let tags = tags(body)?;
    let fingerprint =
        json!({ "c": body["ChangeSet"], "i": header.intent, "n": header.name }).to_string();
    if let Some(earlier) = replay(world, &account, &header, &fingerprint)? {
        return Ok(earlier);
    }
    let (mut changes, names) = parse_all(raw)?;
    let locked = targets::resolve(world, &account, &mut changes, &names)?;
    targets::documents(world, &account, &changes, &names)?;
    if header.intent == "VALIDATE"
        && changes
            .iter()
            .any(|c| c.change_type != "AddDeliveryOptions")
    {
        return Err(validation(
            "Intent VALIDATE is supported only for AddDeliveryOptions changes",
        ));
    }
    targets::available(world, &account, &locked)?;
    let mut cs = ChangeSet {
        id: world.ids.alnum(25),
        account: account.clone(),
        name: header.name,
        intent: header.intent,
        status: "PREPARING".to_owned(),
        started: ctx.now,
        next_at: ctx.now + world.config.catalog_prepare_seconds,
        ended: None,
        failure_code: None,
        failure_description: None,
        changes,
        locked: locked.into_iter().collect(),
        tags,
    };
    checks::assign_new_ids(world, &mut cs);
    Ok(store(world, cs, header.token, fingerprint))
}

fn change_list(body: &Value) -> AwsResult<&Vec<Value>> {
    let raw = body["ChangeSet"].as_array().ok_or_else(|| validation("1 validation error detected: Value null at 'changeSet' failed to satisfy constraint: Member must not be null"))?;
    if raw.is_empty() || raw.len() > 20 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'changeSet' failed to satisfy constraint: Member must have length between 1 and 20 (it has {})",
            raw.len()
        )));
    }
    Ok(raw)
}

/// Name (default `Submitted by <account>`), intent (default `APPLY`) and token.
fn header(body: &Value, account: &str) -> AwsResult<Header> {
    let name = match body["ChangeSetName"].as_str() {
        Some(n) if change_set_name_ok(n) => n.to_owned(),
        Some(n) => {
            return Err(validation(format!(
                "ChangeSetName '{n}' must be 1-100 characters of letters, digits, spaces and _+=.:@-"
            )));
        }
        None => format!("Submitted by {account}"),
    };
    let intent = body["Intent"].as_str().unwrap_or("APPLY").to_owned();
    if !matches!(intent.as_str(), "APPLY" | "VALIDATE") {
        return Err(validation(format!(
            "Intent '{intent}' must be APPLY or VALIDATE"
        )));
    }
    let token = body["ClientRequestToken"].as_str().map(str::to_owned);
    if let Some(t) = &token
        && (t.is_empty()
            || t.len() > TOKEN_MAX_CHARS
            || !t.bytes().all(|b| (b'!'..=b'~').contains(&b)))
    {
        return Err(validation(
            "ClientRequestToken must be 1-64 printable ASCII characters without spaces",
        ));
    }
    Ok(Header {
        name,
        intent,
        token,
    })
}

/// The earlier answer to a request repeated with its token; a different request reusing the
/// token is refused.
fn replay(
    world: &World,
    account: &str,
    header: &Header,
    fingerprint: &str,
) -> AwsResult<Option<Value>> {
    let Some(t) = &header.token else {
        return Ok(None);
    };
    let Some((id, fp)) = world.catalog.tokens.get(&format!("{account}/{t}")) else {
        return Ok(None);
    };
    if fp != fingerprint {
        return Err(validation(format!(
            "ClientRequestToken '{t}' was already used for a different request (change set {id}); use a new token for a new request"
        )));
    }
    let arn = world
        .catalog
        .change_sets
        .get(id)
        .map(ChangeSet::arn)
        .unwrap_or_default();
    Ok(Some(json!({ "ChangeSetId": id, "ChangeSetArn": arn })))
}

/// Every change, and the change names (unique within the set) with their change types.
fn parse_all(raw: &[Value]) -> AwsResult<(Vec<Change>, targets::Names)> {
    let mut changes = Vec::new();
    let mut names = targets::Names::new();
    for (i, c) in raw.iter().enumerate() {
        let change = parse::change(i, c)?;
        if let Some(n) = &change.change_name
            && names
                .insert(n.clone(), change.change_type.clone())
                .is_some()
        {
            return Err(validation(format!(
                "ChangeName '{n}' is used by more than one change"
            )));
        }
        changes.push(change);
    }
    Ok((changes, names))
}

/// `ChangeSetTags`, when given.
fn tags(body: &Value) -> AwsResult<BTreeMap<String, String>> {
    match &body["ChangeSetTags"] {
        Value::Null => Ok(BTreeMap::new()),
        list => super::read::tag_list(list, "ChangeSetTags"),
    }
}

/// Stores an accepted change set (its tags, its token) and answers its id and ARN.
fn store(world: &mut World, cs: ChangeSet, token: Option<String>, fingerprint: String) -> Value {
    let (id, arn) = (cs.id.clone(), cs.arn());
    if !cs.tags.is_empty() {
        world.catalog.tags.insert(arn.clone(), cs.tags.clone());
    }
    if let Some(t) = token {
        world
            .catalog
            .tokens
            .insert(format!("{}/{t}", cs.account), (id.clone(), fingerprint));
    }
    world.catalog.change_sets.insert(id.clone(), cs);
    json!({ "ChangeSetId": id, "ChangeSetArn": arn })
}
