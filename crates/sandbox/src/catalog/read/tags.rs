//! Tags and resource policies of the Catalog's resources (entities and change sets):
//! TagResource, UntagResource, ListTagsForResource, PutResourcePolicy, GetResourcePolicy and
//! DeleteResourcePolicy
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Operations_AWS_Marketplace_Catalog_Service.html>).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::super::{empty, not_found, validation};
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::world::World;

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

/// A list of `{Key, Value}` (`member` names it in errors): 1–200 tags, keys of 1–128 and values
/// of at most 256 characters, as the `Tag` shape says
/// (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Tag.html>).
pub fn tag_list(list: &Value, member: &str) -> AwsResult<BTreeMap<String, String>> {
    let list = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() || list.len() > 200 {
        return Err(validation(format!("{member} must hold 1-200 tags")));
    }
    let mut out = BTreeMap::new();
    for t in list {
        let key = t["Key"].as_str().unwrap_or("");
        let value = t["Value"].as_str().unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(validation(format!(
                "{member}: tag key '{key}' must be 1-128 characters and its value at most 256"
            )));
        }
        out.insert(key.to_owned(), value.to_owned());
    }
    Ok(out)
}

/// TagResource and UntagResource.
pub fn tag(world: &mut World, ctx: &Ctx, body: &Value, add: bool) -> AwsResult<Value> {
    let arn = body["ResourceArn"].as_str().unwrap_or("").to_owned();
    known_arn(world, ctx, &arn)?;
    let tags = world.catalog.tags.entry(arn).or_default();
    if add {
        // Checked on a copy: a refused request changes nothing.
        let mut after = tags.clone();
        after.extend(tag_list(&body["Tags"], "Tags")?);
        if after.len() > 200 {
            return Err(validation("A resource holds at most 200 tags"));
        }
        *tags = after;
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
