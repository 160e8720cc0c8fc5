//! PutParameter (overwrite rules, versions, `aws:ec2:image` checks), DeleteParameter(s), and the
//! public parameters the Marketplace writes. Write operations take a parameter name, never an
//! ARN (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>).

use serde_json::{Value, json};

use super::names::check_new;
use super::{PUBLIC, done, not_found, str_field, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::ssm::{Parameter, Ssm, Version};

/// Most versions a parameter keeps
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-versions.html>).
const MAX_VERSIONS: usize = 100;
/// Longest value of a standard parameter, in characters.
const MAX_VALUE_CHARS: usize = 4096;

/// PutParameter.
pub fn put(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?.to_owned();
    let value = str_field(body, "Value")?.to_owned();
    check_new(&name)?;
    if value.len() > MAX_VALUE_CHARS {
        return Err(validation(
            "Standard parameters may be at most 4096 characters long.",
        ));
    }
    let overwrite = body["Overwrite"].as_bool().unwrap_or(false);
    let tags = tags_of(body)?;
    if overwrite && !tags.is_empty() {
        return Err(validation(
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
        ));
    }
    let data_type = body["DataType"].as_str().unwrap_or("text").to_owned();
    if !matches!(data_type.as_str(), "text" | "aws:ec2:image") {
        return Err(validation(format!(
            "The data type {data_type} is not supported. Use text or aws:ec2:image."
        )));
    }
    let key = Ssm::key(ctx.account(), &ctx.region, &name);
    let existing = world.ssm.parameters.get(&key);
    let kind = kind_of(body, existing)?;
    if let Some(p) = existing {
        may_overwrite(p, overwrite, &data_type)?;
    }
    let next = existing
        .and_then(|p| p.latest())
        .map_or(1, |v| v.version + 1);
    if data_type == "aws:ec2:image" && !image_ok(world, ctx, &value) {
        // Accepted, then dropped by the asynchronous check, as AWS does.
        return Ok(json!({ "Version": next, "Tier": "Standard" }));
    }
    let version = Version {
        version: next,
        value,
        kind,
        data_type,
        description: body["Description"].as_str().map(str::to_owned),
        modified: world.clock.now().timestamp_millis() as f64 / 1000.0,
        modified_by: ctx.principal.arn.clone(),
        labels: Default::default(),
    };
    let p = world
        .ssm
        .parameters
        .entry(key)
        .or_insert_with(|| Parameter {
            account: ctx.account().to_owned(),
            region: ctx.region.clone(),
            name,
            versions: Vec::new(),
            tags: tags.clone(),
        });
    p.versions.push(version);
    if p.versions.len() > MAX_VERSIONS {
        p.versions.remove(0);
    }
    Ok(json!({ "Version": next, "Tier": "Standard" }))
}

/// The parameter type: as given, else the existing parameter's; creating one needs it.
fn kind_of(body: &Value, existing: Option<&Parameter>) -> AwsResult<String> {
    let kind = match (body["Type"].as_str(), existing.and_then(|p| p.latest())) {
        (Some(t), _) => t.to_owned(),
        (None, Some(v)) => v.kind.clone(),
        (None, None) => {
            return Err(validation(
                "A parameter type is required when you create a parameter.",
            ));
        }
    };
    if !matches!(kind.as_str(), "String" | "StringList" | "SecureString") {
        return Err(validation(format!(
            "Type {kind} is not one of String, StringList, SecureString."
        )));
    }
    Ok(kind)
}

/// The rules for writing a new version of an existing parameter.
fn may_overwrite(p: &Parameter, overwrite: bool, data_type: &str) -> AwsResult<()> {
    if !overwrite {
        return Err(AwsError::bad(
            "ParameterAlreadyExists",
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
        ));
    }
    if p.latest()
        .is_some_and(|v| (v.data_type == "aws:ec2:image") != (data_type == "aws:ec2:image"))
    {
        return Err(validation(
            "The data type of a parameter cannot be changed to or from aws:ec2:image.",
        ));
    }
    // The oldest version gives way to the new one unless it has a label.
    if p.versions.len() >= MAX_VERSIONS && p.versions.first().is_some_and(|v| !v.labels.is_empty())
    {
        return Err(AwsError::bad(
            "ParameterMaxVersionLimitExceeded",
            "The oldest version has labels and 100 versions exist; remove its labels first.",
        ));
    }
    Ok(())
}

fn image_ok(world: &World, ctx: &Ctx, value: &str) -> bool {
    world.ec2.images.get(value).is_some_and(|i| {
        i.region == ctx.region && i.visible_to(ctx.account()) && i.state(ctx.now) == "available"
    })
}

/// DeleteParameter, by name (a root parameter in either spelling).
pub fn delete(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?;
    let key = Ssm::key(ctx.account(), &ctx.region, name);
    match world.ssm.parameters.remove(&key) {
        Some(_) => Ok(done()),
        None => Err(not_found(name)),
    }
}

/// DeleteParameters: the names deleted, and those that named no parameter.
pub fn delete_many(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let names = crate::protocol::json::strings(&body["Names"]);
    let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
    for n in names {
        let key = Ssm::key(ctx.account(), &ctx.region, &n);
        match world.ssm.parameters.remove(&key) {
            Some(_) => deleted.push(n),
            None => invalid.push(n),
        }
    }
    Ok(json!({ "DeletedParameters": deleted, "InvalidParameters": invalid }))
}

/// Writes a public parameter (for Marketplace AMI aliases), as a new version.
pub fn put_public(world: &mut World, region: &str, name: &str, value: &str) {
    let modified = world.clock.now().timestamp_millis() as f64 / 1000.0;
    let p = world
        .ssm
        .parameters
        .entry(Ssm::key(PUBLIC, region, name))
        .or_insert_with(|| Parameter {
            account: PUBLIC.to_owned(),
            region: region.to_owned(),
            name: name.to_owned(),
            versions: Vec::new(),
            tags: Default::default(),
        });
    let next = p.latest().map_or(1, |v| v.version + 1);
    p.versions.push(Version {
        version: next,
        value: value.to_owned(),
        kind: "String".into(),
        data_type: "aws:ec2:image".into(),
        description: None,
        modified,
        modified_by: "AWS Marketplace".into(),
        labels: Default::default(),
    });
}

/// The `Tags` of a request (`[{"Key", "Value"}]`), at most 50.
pub(super) fn tags_of(body: &Value) -> AwsResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for t in body["Tags"].as_array().into_iter().flatten() {
        let (Some(k), Some(v)) = (t["Key"].as_str(), t["Value"].as_str()) else {
            return Err(validation("Each tag needs a Key and a Value."));
        };
        out.insert(k.to_owned(), v.to_owned());
    }
    if out.len() > 50 {
        return Err(validation("A resource may have at most 50 tags."));
    }
    Ok(out)
}
