//! Tags and resource policies of the Catalog's resources (entities and change sets):
//! TagResource, UntagResource, ListTagsForResource, PutResourcePolicy, GetResourcePolicy and
//! DeleteResourcePolicy
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Operations_AWS_Marketplace_Catalog_Service.html>).

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
