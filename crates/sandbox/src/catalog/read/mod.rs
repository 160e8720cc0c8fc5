//! The read side of the Catalog: DescribeChangeSet, ListChangeSets, DescribeEntity and
//! BatchDescribeEntities here; ListEntities (legacy filters, type filters, sorting, pagination)
//! in `entities`, with the offer summaries and offer filters in `offers`; tags and resource
//! policies on entities and change sets in `tags`.

mod entities;
mod offers;
mod tags;

use serde_json::{Value, json};

pub use entities::list_entities;
pub use tags::{delete_policy, get_policy, list_tags, put_policy, tag, tag_list};

use super::{not_found, stamp, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet, Entity};

fn errors(c: &Change) -> Value {
    Value::Array(
        c.errors
            .iter()
            .map(|(code, msg)| json!({ "ErrorCode": code, "ErrorMessage": msg }))
            .collect(),
    )
}

/// DescribeChangeSet.
pub fn describe_change_set(world: &World, ctx: &Ctx, id: &str) -> AwsResult<Value> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(validation(format!("Change set id '{id}' is not valid")));
    }
    let cs = world
        .catalog
        .change_sets
        .get(id)
        .filter(|c| c.account == ctx.account())
        .ok_or_else(|| not_found(format!("Change set {id} was not found")))?;
    let changes: Vec<Value> = cs
        .changes
        .iter()
        .map(|c| {
            json!({
                "ChangeType": c.change_type,
                "ChangeName": c.change_name,
                "Entity": { "Type": c.entity_type, "Identifier": identifier(world, c) },
                "Details": c.details.to_string(),
                "DetailsDocument": c.details,
                "ErrorDetailList": errors(c),
            })
        })
        .collect();
    Ok(json!({
        "ChangeSetId": cs.id,
        "ChangeSetArn": cs.arn(),
        "ChangeSetName": cs.name,
        "Intent": cs.intent,
        "StartTime": stamp(world, cs.started),
        "EndTime": cs.ended.map(|e| stamp(world, e)),
        "Status": cs.status,
        "FailureCode": cs.failure_code,
        "FailureDescription": cs.failure_description,
        "ChangeSet": changes,
    }))
}

/// The `Entity.Identifier` DescribeChangeSet shows: the resolved entity id (references to Create
/// changes of the set included) with the revision the change names, as in the responses of
/// the DescribeChangeSet reference
/// (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeChangeSet.html>).
fn identifier(world: &World, c: &Change) -> String {
    match (&c.entity_id, c.revision) {
        (Some(eid), Some(rev)) => format!("{eid}@{rev}"),
        (Some(eid), None) => match world.catalog.entities.get(eid) {
            Some(e) => format!("{eid}@{}", e.revision.max(1)),
            None => eid.clone(),
        },
        (None, _) => c.identifier.clone().unwrap_or_default(),
    }
}

fn entity_ids(cs: &ChangeSet) -> Vec<String> {
    let mut ids: Vec<String> = cs
        .changes
        .iter()
        .filter_map(|c| c.entity_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub(super) fn page(
    body: &Value,
    max_default: i64,
    max_limit: i64,
    len: usize,
) -> AwsResult<(usize, usize)> {
    let max = body["MaxResults"].as_i64().unwrap_or(max_default);
    if !(1..=max_limit).contains(&max) {
        return Err(validation(format!(
            "MaxResults must be between 1 and {max_limit}"
        )));
    }
    let start = match body["NextToken"].as_str() {
        None => 0,
        Some(t) => t
            .strip_prefix("sbx-")
            .and_then(|n| n.parse().ok())
            .filter(|n| *n <= len)
            .ok_or_else(|| validation("The NextToken is not valid"))?,
    };
    Ok((start, (start + max as usize).min(len)))
}

/// ListChangeSets.
pub fn list_change_sets(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let filters = body["FilterList"].as_array().cloned().unwrap_or_default();
    if filters.len() > 8 {
        return Err(validation("FilterList holds at most 8 filters"));
    }
    let mut sets: Vec<&ChangeSet> = world
        .catalog
        .change_sets
        .values()
        .filter(|c| c.account == ctx.account())
        .collect();
    for f in &filters {
        let name = f["Name"].as_str().unwrap_or("");
        let values: Vec<String> = crate::protocol::json::strings(&f["ValueList"]);
        let first = values.first().cloned().unwrap_or_default();
        sets.retain(|c| match name {
            "ChangeSetName" => values.contains(&c.name),
            "Status" => values.contains(&c.status),
            "EntityId" => entity_ids(c).iter().any(|e| values.contains(e)),
            "BeforeStartTime" => stamp(world, c.started) < first,
            "AfterStartTime" => stamp(world, c.started) > first,
            "BeforeEndTime" => c.ended.is_some_and(|e| stamp(world, e) < first),
            "AfterEndTime" => c.ended.is_some_and(|e| stamp(world, e) > first),
            _ => false,
        });
        if !matches!(
            name,
            "ChangeSetName"
                | "Status"
                | "EntityId"
                | "BeforeStartTime"
                | "AfterStartTime"
                | "BeforeEndTime"
                | "AfterEndTime"
        ) {
            return Err(validation(format!("Filter name '{name}' is not valid")));
        }
    }
    let by = body["Sort"]["SortBy"].as_str().unwrap_or("StartTime");
    sets.sort_by(|a, b| match by {
        "EndTime" => a
            .ended
            .unwrap_or(f64::MAX)
            .total_cmp(&b.ended.unwrap_or(f64::MAX)),
        "Name" | "ChangeSetName" => a.name.cmp(&b.name),
        "Status" => a.status.cmp(&b.status),
        "ChangeSetId" => a.id.cmp(&b.id),
        _ => a.started.total_cmp(&b.started).then(a.id.cmp(&b.id)),
    });
    if body["Sort"]["SortOrder"].as_str().unwrap_or("DESCENDING") == "DESCENDING" {
        sets.reverse();
    }
    let (start, end) = page(body, 20, 20, sets.len())?;
    let items: Vec<Value> = sets[start..end]
        .iter()
        .map(|c| {
            json!({
                "ChangeSetId": c.id, "ChangeSetArn": c.arn(), "ChangeSetName": c.name,
                "StartTime": stamp(world, c.started), "EndTime": c.ended.map(|e| stamp(world, e)),
                "Status": c.status, "EntityIdList": entity_ids(c), "FailureCode": c.failure_code,
            })
        })
        .collect();
    let mut out = json!({ "ChangeSetSummaryList": items });
    if end < sets.len() {
        out["NextToken"] = json!(format!("sbx-{end}"));
    }
    Ok(out)
}

fn owned<'w>(world: &'w World, ctx: &Ctx, id: &str) -> AwsResult<&'w Entity> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{id}' at 'entityId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w\\-]+$"
        )));
    }
    let e = world
        .catalog
        .entities
        .get(id)
        .ok_or_else(|| not_found(format!("Entity {id} was not found")))?;
    if e.owner != ctx.account() {
        return Err(AwsError::new(
            403,
            "AccessDeniedException",
            format!("User is not authorized to describe entity {id}"),
        ));
    }
    Ok(e)
}

/// DescribeEntity.
pub fn describe_entity(world: &World, ctx: &Ctx, id: &str) -> AwsResult<Value> {
    let e = owned(world, ctx, id)?;
    Ok(json!({
        "EntityType": e.entity_type(),
        "EntityIdentifier": format!("{}@{}", e.id, e.revision),
        "EntityArn": e.arn(),
        "LastModifiedDate": e.last_modified,
        "Details": e.doc.to_string(),
        "DetailsDocument": e.doc,
    }))
}

/// BatchDescribeEntities.
pub fn batch_describe(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let list = body["EntityRequestList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list.is_empty() || list.len() > 20 {
        return Err(validation("EntityRequestList holds 1 to 20 requests"));
    }
    let (mut found, mut errs) = (serde_json::Map::new(), serde_json::Map::new());
    for r in list {
        let id = r["EntityId"].as_str().unwrap_or("").to_owned();
        match owned(world, ctx, &id) {
            Ok(e) => {
                found.insert(id, json!({ "EntityType": e.entity_type(), "EntityArn": e.arn(), "EntityIdentifier": format!("{}@{}", e.id, e.revision), "LastModifiedDate": e.last_modified, "DetailsDocument": e.doc }));
            }
            Err(err) => {
                errs.insert(
                    id,
                    json!({ "ErrorCode": err.code, "ErrorMessage": err.message }),
                );
            }
        }
    }
    Ok(json!({ "EntityDetails": found, "Errors": errs }))
}
