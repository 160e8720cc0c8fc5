//! The read side of the Catalog: DescribeChangeSet, ListChangeSets, DescribeEntity,
//! BatchDescribeEntities, ListEntities (legacy filters, type filters, sorting, pagination), and
//! tags and resource policies on entities and change sets.

use serde_json::{Value, json};

use super::{empty, not_found, stamp, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::catalog::{ChangeSet, Entity};

fn errors(c: &crate::world::catalog::Change) -> Value {
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
            let identifier = match &c.entity_id {
                Some(eid) => match world.catalog.entities.get(eid) {
                    Some(e) => format!("{eid}@{}", e.revision.max(1)),
                    None => eid.clone(),
                },
                None => c.identifier.clone().unwrap_or_default(),
            };
            json!({
                "ChangeType": c.change_type,
                "ChangeName": c.change_name,
                "Entity": { "Type": c.entity_type, "Identifier": identifier },
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

fn page(body: &Value, max_default: i64, max_limit: i64, len: usize) -> AwsResult<(usize, usize)> {
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

/// ListEntities.
pub fn list_entities(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let kind = body["EntityType"].as_str().unwrap_or("");
    let mut items: Vec<&Entity> = world
        .catalog
        .entities
        .values()
        .filter(|e| e.owner == ctx.account() && e.kind == kind)
        .collect();
    let title = |e: &Entity| -> String {
        if e.kind == "Offer" {
            e.doc["Name"].as_str().unwrap_or("").to_owned()
        } else {
            e.doc["Description"]["ProductTitle"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        }
    };
    let visibility = |e: &Entity| -> String {
        e.doc["Description"]["Visibility"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    for f in body["FilterList"].as_array().into_iter().flatten() {
        let values: Vec<String> = crate::protocol::json::strings(&f["ValueList"]);
        match f["Name"].as_str().unwrap_or("") {
            "EntityId" => items.retain(|e| values.contains(&e.id)),
            "Name" | "ProductTitle" => items.retain(|e| values.contains(&title(e))),
            "Visibility" => items.retain(|e| values.contains(&visibility(e))),
            other => return Err(validation(format!("Filter name '{other}' is not valid"))),
        }
    }
    let typed = &body["EntityTypeFilters"];
    if let Some(obj) = typed.as_object() {
        if obj.len() != 1 {
            return Err(validation(
                "EntityTypeFilters is a union: set exactly one member",
            ));
        }
        let f = obj.values().next().cloned().unwrap_or_default();
        let vals = |v: &Value| crate::protocol::json::strings(&v["ValueList"]);
        if f["EntityId"].is_object() {
            let v = vals(&f["EntityId"]);
            items.retain(|e| v.contains(&e.id));
        }
        if let Some(w) = f["ProductTitle"]["WildCardValue"].as_str() {
            items.retain(|e| title(e).contains(w));
        } else if f["ProductTitle"].is_object() {
            let v = vals(&f["ProductTitle"]);
            items.retain(|e| v.contains(&title(e)));
        }
        if f["Visibility"].is_object() {
            let v = vals(&f["Visibility"]);
            items.retain(|e| v.contains(&visibility(e)));
        }
        if f["ProductId"].is_object() {
            let v = vals(&f["ProductId"]);
            items.retain(|e| {
                e.doc["ProductId"]
                    .as_str()
                    .is_some_and(|p| v.iter().any(|x| x == p))
            });
        }
        if f["State"].is_object() {
            let v = vals(&f["State"]);
            items.retain(|e| {
                e.doc["State"]
                    .as_str()
                    .is_some_and(|s| v.iter().any(|x| x == s))
            });
        }
        if let Some(after) = f["LastModifiedDate"]["DateRange"]["AfterValue"].as_str() {
            items.retain(|e| e.last_modified.as_str() >= after);
        }
        if let Some(before) = f["LastModifiedDate"]["DateRange"]["BeforeValue"].as_str() {
            items.retain(|e| e.last_modified.as_str() <= before);
        }
    }
    let sort = body["EntityTypeSort"]
        .as_object()
        .and_then(|o| o.values().next().cloned())
        .unwrap_or_else(|| body["Sort"].clone());
    let by = sort["SortBy"]
        .as_str()
        .unwrap_or("LastModifiedDate")
        .to_owned();
    items.sort_by(|a, b| match by.as_str() {
        "EntityId" => a.id.cmp(&b.id),
        "ProductTitle" | "Name" => title(a).cmp(&title(b)),
        "Visibility" => visibility(a).cmp(&visibility(b)),
        _ => a.last_modified.cmp(&b.last_modified).then(a.id.cmp(&b.id)),
    });
    if sort["SortOrder"].as_str().unwrap_or("DESCENDING") == "DESCENDING" {
        items.reverse();
    }
    let (start, end) = page(body, 20, 50, items.len())?;
    let list: Vec<Value> = items[start..end]
        .iter()
        .map(|e| {
            let mut s = json!({
                "Name": title(e), "EntityType": e.kind, "EntityId": e.id, "EntityArn": e.arn(),
                "LastModifiedDate": e.last_modified,
            });
            if e.kind == "Offer" {
                s["OfferSummary"] = json!({ "Name": e.doc["Name"], "ProductId": e.doc["ProductId"], "State": e.doc["State"], "ReleaseDate": e.doc["ReleaseDate"] });
            } else {
                s["Visibility"] = json!(visibility(e));
                s["AmiProductSummary"] = json!({ "ProductTitle": title(e), "Visibility": visibility(e) });
            }
            s
        })
        .collect();
    let mut out = json!({ "EntitySummaryList": list });
    if end < items.len() {
        out["NextToken"] = json!(format!("sbx-{end}"));
    }
    Ok(out)
}

fn known_arn(world: &World, ctx: &Ctx, arn: &str) -> AwsResult<()> {
    let ok = world
        .catalog
        .entities
        .values()
        .any(|e| e.arn() == arn && e.owner == ctx.account())
        || world
            .catalog
            .change_sets
            .values()
            .any(|c| c.arn() == arn && c.account == ctx.account());
    if ok {
        Ok(())
    } else {
        Err(not_found(format!("Resource {arn} was not found")))
    }
}

/// TagResource and UntagResource.
pub fn tag(world: &mut World, ctx: &Ctx, body: &Value, add: bool) -> AwsResult<Value> {
    let arn = body["ResourceArn"].as_str().unwrap_or("").to_owned();
    known_arn(world, ctx, &arn)?;
    let tags = world.catalog.tags.entry(arn).or_default();
    if add {
        let list = body["Tags"].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(validation("Tags must hold at least one tag"));
        }
        for t in list {
            let key = t["Key"].as_str().unwrap_or("");
            if key.is_empty() || key.len() > 128 {
                return Err(validation(format!(
                    "Tag key '{key}' must be 1-128 characters"
                )));
            }
            tags.insert(key.to_owned(), t["Value"].as_str().unwrap_or("").to_owned());
        }
        if tags.len() > 200 {
            return Err(validation("A resource holds at most 200 tags"));
        }
    } else {
        for k in body["TagKeys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            tags.remove(k);
        }
    }
    Ok(empty())
}

/// ListTagsForResource.
pub fn list_tags(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let arn = body["ResourceArn"].as_str().unwrap_or("").to_owned();
    known_arn(world, ctx, &arn)?;
    let tags: Vec<Value> = world
        .catalog
        .tags
        .get(&arn)
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    Ok(json!({ "ResourceArn": arn, "Tags": tags }))
}

/// PutResourcePolicy.
pub fn put_policy(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let arn = body["ResourceArn"].as_str().unwrap_or("").to_owned();
    let policy = body["Policy"].as_str().unwrap_or("").to_owned();
    known_arn(world, ctx, &arn)?;
    if policy.is_empty()
        || policy.len() > 10240
        || !serde_json::from_str::<Value>(&policy)
            .map(|v| v.is_object())
            .unwrap_or(false)
    {
        return Err(validation(
            "Policy must be a JSON policy document of at most 10240 characters",
        ));
    }
    world.catalog.policies.insert(arn, policy);
    Ok(empty())
}

/// GetResourcePolicy.
pub fn get_policy(world: &World, ctx: &Ctx, arn: &str) -> AwsResult<Value> {
    known_arn(world, ctx, arn)?;
    let p = world
        .catalog
        .policies
        .get(arn)
        .ok_or_else(|| not_found(format!("No resource policy on {arn}")))?;
    Ok(json!({ "Policy": p }))
}

/// DeleteResourcePolicy.
pub fn delete_policy(world: &mut World, ctx: &Ctx, arn: &str) -> AwsResult<Value> {
    known_arn(world, ctx, arn)?;
    world
        .catalog
        .policies
        .remove(arn)
        .ok_or_else(|| not_found(format!("No resource policy on {arn}")))?;
    Ok(empty())
}
