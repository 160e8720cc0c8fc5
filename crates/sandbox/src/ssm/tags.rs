//! Tags of parameters: AddTagsToResource and ListTagsForResource with `ResourceType`
//! `Parameter` and the parameter's name as `ResourceId`
//! (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AddTagsToResource.html>).

use serde_json::{Value, json};

use super::write::tags_of;
use super::{str_field, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::ssm::Ssm;

/// A tag request about a parameter that does not exist, in AWS's words.
fn unknown(name: &str) -> AwsError {
    AwsError::bad(
        "InvalidResourceId",
        format!("The resource ID \"{name}\" is not valid. Verify the ID and try again."),
    )
}

/// The parameter's key, for a request about a `Parameter` resource.
fn key_of(ctx: &Ctx, body: &Value) -> AwsResult<(String, String)> {
    let kind = str_field(body, "ResourceType")?;
    if kind != "Parameter" {
        return Err(validation(format!(
            "The sandbox tags only Parameter resources, not {kind}."
        )));
    }
    let name = str_field(body, "ResourceId")?.to_owned();
    Ok((Ssm::key(ctx.account(), &ctx.region, &name), name))
}

pub(super) fn add(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let (key, name) = key_of(ctx, body)?;
    let tags = tags_of(body)?;
    let p = world
        .ssm
        .parameters
        .get_mut(&key)
        .ok_or_else(|| unknown(&name))?;
    let new = tags.keys().filter(|k| !p.tags.contains_key(*k)).count();
    if p.tags.len() + new > 50 {
        return Err(AwsError::bad(
            "TooManyTagsError",
            "The Targets parameter includes too many tags. Remove one or more tags and try the request again.",
        ));
    }
    p.tags.extend(tags);
    Ok(json!({}))
}

pub(super) fn list(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let (key, name) = key_of(ctx, body)?;
    let p = world
        .ssm
        .parameters
        .get(&key)
        .ok_or_else(|| unknown(&name))?;
    let list: Vec<Value> = p
        .tags
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    Ok(json!({ "TagList": list }))
}
