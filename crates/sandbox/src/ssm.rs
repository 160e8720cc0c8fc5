//! SSM Parameter Store over the JSON protocol (`AmazonSSM.*`): PutParameter with overwrite rules
//! and versions, GetParameter(s) with `:version` / `:label` selectors, GetParametersByPath with
//! recursion and pagination, LabelParameterVersion, GetParameterHistory, DeleteParameter(s).
//!
//! `DataType = aws:ec2:image` values are checked the way AWS does it: the write is accepted at
//! once, and a value that is not an available image of that account and Region is then silently
//! not stored. Callers must read back what they wrote. Public `/aws/service/…` parameters are
//! readable by everyone and writable by no one.

use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::ssm::{Parameter, Ssm, Version};

/// Owner of public parameters.
pub const PUBLIC: &str = "aws";
/// Most versions a parameter keeps (AWS: 100).
const MAX_VERSIONS: usize = 100;
/// Most labels per version (AWS: 10).
const MAX_LABELS: usize = 10;

fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad("ValidationException", msg)
}

fn not_found(name: &str) -> AwsError {
    AwsError::bad("ParameterNotFound", format!("Parameter {name} not found."))
}

fn str_field<'a>(body: &'a Value, name: &str) -> AwsResult<&'a str> {
    match &body[name] {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::Null => Err(validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        ))),
        _ => Err(AwsError::bad(
            "SerializationException",
            format!("{name} must be a non-empty string"),
        )),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Handles one SSM operation.
pub fn handle(world: &mut World, ctx: &Ctx, op: &str, body: &Value) -> AwsResult<Value> {
    match op {
        "PutParameter" => put(world, ctx, body),
        "GetParameter" => {
            let name = str_field(body, "Name")?;
            let (param, version) = select(world, ctx, name)?;
            Ok(json!({ "Parameter": render(&param, &version, ctx, selector(name)) }))
        }
        "GetParameters" => {
            let names: Vec<String> = crate::protocol::json::strings(&body["Names"]);
            if names.is_empty() || names.len() > 10 {
                return Err(validation("Names must hold 1 to 10 parameter names."));
            }
            let (mut found, mut invalid) = (Vec::new(), Vec::new());
            for n in &names {
                match select(world, ctx, n) {
                    Ok((p, v)) => found.push(render(&p, &v, ctx, selector(n))),
                    Err(_) => invalid.push(Value::String(n.clone())),
                }
            }
            Ok(json!({ "Parameters": found, "InvalidParameters": invalid }))
        }
        "GetParametersByPath" => by_path(world, ctx, body),
        "GetParameterHistory" => history(world, ctx, body),
        "LabelParameterVersion" => label(world, ctx, body),
        "DeleteParameter" => {
            let name = str_field(body, "Name")?.to_owned();
            let key = Ssm::key(ctx.account(), &ctx.region, &name);
            world
                .ssm
                .parameters
                .remove(&key)
                .ok_or_else(|| not_found(&name))?;
            Ok(json!({}))
        }
        "DeleteParameters" => {
            let names: Vec<String> = crate::protocol::json::strings(&body["Names"]);
            let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
            for n in names {
                match world
                    .ssm
                    .parameters
                    .remove(&Ssm::key(ctx.account(), &ctx.region, &n))
                {
                    Some(_) => deleted.push(n),
                    None => invalid.push(n),
                }
            }
            Ok(json!({ "DeletedParameters": deleted, "InvalidParameters": invalid }))
        }
        other => Err(AwsError::bad(
            "InvalidAction",
            format!("The sandbox does not implement AmazonSSM.{other}."),
        )),
    }
}

fn check_name(name: &str) -> AwsResult<()> {
    let bare = name.trim_start_matches('/');
    let lower = bare.to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return Err(AwsError::bad(
            "AccessDeniedException",
            format!("No access to reserved parameter name: {name}."),
        ));
    }
    if name.len() > 1011
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        || name.contains("//")
    {
        return Err(validation(format!(
            "Parameter name: {name} is not valid. Names may contain letters, digits, '_', '.', '-' and '/' levels, at most 1011 characters."
        )));
    }
    if name.matches('/').count() > 15 {
        return Err(AwsError::bad(
            "HierarchyLevelLimitExceededException",
            "A hierarchy can have a maximum of 15 levels.",
        ));
    }
    Ok(())
}

fn put(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?.to_owned();
    let value = str_field(body, "Value")?.to_owned();
    check_name(&name)?;
    if value.len() > 4096 {
        return Err(validation(
            "Standard parameters may be at most 4096 characters long.",
        ));
    }
    let overwrite = body["Overwrite"].as_bool().unwrap_or(false);
    let data_type = body["DataType"].as_str().unwrap_or("text").to_owned();
    if !matches!(data_type.as_str(), "text" | "aws:ec2:image") {
        return Err(validation(format!(
            "The data type {data_type} is not supported. Use text or aws:ec2:image."
        )));
    }
    let key = Ssm::key(ctx.account(), &ctx.region, &name);
    let existing = world.ssm.parameters.get(&key).cloned();
    let kind = match (body["Type"].as_str(), &existing) {
        (Some(t), _) => t.to_owned(),
        (None, Some(p)) => p
            .latest()
            .map(|v| v.kind.clone())
            .unwrap_or_else(|| "String".into()),
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
    if let Some(p) = &existing {
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
        if p.versions.len() >= MAX_VERSIONS
            && p.versions.first().is_some_and(|v| !v.labels.is_empty())
        {
            return Err(AwsError::bad(
                "ParameterMaxVersionLimitExceeded",
                "The oldest version has labels and 100 versions exist; remove its labels first.",
            ));
        }
    }
    let next = existing
        .as_ref()
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
            name: name.clone(),
            versions: Vec::new(),
        });
    p.versions.push(version);
    if p.versions.len() > MAX_VERSIONS {
        p.versions.remove(0);
    }
    Ok(json!({ "Version": next, "Tier": "Standard" }))
}

fn image_ok(world: &World, ctx: &Ctx, value: &str) -> bool {
    world.ec2.images.get(value).is_some_and(|i| {
        i.region == ctx.region && i.visible_to(ctx.account()) && i.state(ctx.now) == "available"
    })
}

fn selector(name: &str) -> Option<&str> {
    name.rsplit_once(':')
        .map(|(_, s)| s)
        .filter(|_| !name.starts_with("arn:"))
}

/// The parameter and version a name (with optional `:version` or `:label`) refers to.
fn select(world: &World, ctx: &Ctx, full: &str) -> AwsResult<(Parameter, Version)> {
    let (name, sel) = match full.rsplit_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (full, None),
    };
    let p = lookup(world, ctx, name).ok_or_else(|| not_found(full))?;
    let v = match sel {
        None => p.latest().cloned(),
        Some(s) if s.chars().all(|c| c.is_ascii_digit()) => {
            let n: i64 = s.parse().unwrap_or(0);
            Some(p.versions.iter().find(|v| v.version == n).cloned().ok_or_else(|| AwsError::bad("ParameterVersionNotFound", format!("Systems Manager could not find version {n} of {name}. Verify the version and try again.")))?)
        }
        Some(label) => Some(
            p.versions
                .iter()
                .find(|v| v.labels.contains(label))
                .cloned()
                .ok_or_else(|| not_found(full))?,
        ),
    };
    v.map(|v| (p.clone(), v)).ok_or_else(|| not_found(full))
}

fn lookup<'w>(world: &'w World, ctx: &Ctx, name: &str) -> Option<&'w Parameter> {
    world
        .ssm
        .parameters
        .get(&Ssm::key(ctx.account(), &ctx.region, name))
        .or_else(|| {
            world
                .ssm
                .parameters
                .get(&Ssm::key(PUBLIC, &ctx.region, name))
        })
}

fn render(p: &Parameter, v: &Version, ctx: &Ctx, selector: Option<&str>) -> Value {
    let mut out = json!({
        "Name": p.name,
        "Type": v.kind,
        "Value": v.value,
        "Version": v.version,
        "LastModifiedDate": v.modified,
        "ARN": format!("arn:aws:ssm:{}:{}:parameter/{}", ctx.region, if p.account == PUBLIC { "" } else { &p.account }, p.name.trim_start_matches('/')),
        "DataType": v.data_type,
    });
    if let Some(s) = selector {
        out["Selector"] = Value::String(format!(":{s}"));
    }
    out
}

fn by_path(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let path = str_field(body, "Path")?.to_owned();
    if !path.starts_with('/') {
        return Err(validation("The path must begin with a forward slash."));
    }
    let recursive = body["Recursive"].as_bool().unwrap_or(false);
    let max = body["MaxResults"].as_i64().unwrap_or(10);
    if !(1..=10).contains(&max) {
        return Err(validation("MaxResults must be between 1 and 10."));
    }
    let prefix = if path.ends_with('/') {
        path.clone()
    } else {
        format!("{path}/")
    };
    let mut matches: Vec<(&Parameter, &Version)> = world
        .ssm
        .parameters
        .values()
        .filter(|p| (p.account == ctx.account() || p.account == PUBLIC) && p.region == ctx.region)
        .filter(|p| {
            p.name.starts_with(&prefix) && (recursive || !p.name[prefix.len()..].contains('/'))
        })
        .filter_map(|p| p.latest().map(|v| (p, v)))
        .collect();
    matches.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let start = page_start(body)?;
    let end = (start + max as usize).min(matches.len());
    let page: Vec<Value> = matches[start.min(end)..end]
        .iter()
        .map(|(p, v)| render(p, v, ctx, None))
        .collect();
    let mut out = json!({ "Parameters": page });
    if end < matches.len() {
        out["NextToken"] = Value::String(format!("sbx-{end}"));
    }
    Ok(out)
}

fn page_start(body: &Value) -> AwsResult<usize> {
    match body["NextToken"].as_str() {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("sbx-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| AwsError::bad("InvalidNextToken", "The specified token is not valid.")),
    }
}

fn history(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?.to_owned();
    let p = lookup(world, ctx, &name).ok_or_else(|| not_found(&name))?;
    let max = body["MaxResults"].as_i64().unwrap_or(50);
    if !(1..=50).contains(&max) {
        return Err(validation("MaxResults must be between 1 and 50."));
    }
    let start = page_start(body)?;
    let end = (start + max as usize).min(p.versions.len());
    let items: Vec<Value> = p.versions[start.min(end)..end]
        .iter()
        .map(|v| {
            json!({
                "Name": p.name, "Type": v.kind, "Value": v.value, "Version": v.version,
                "LastModifiedDate": v.modified, "LastModifiedUser": v.modified_by,
                "Labels": v.labels.iter().collect::<Vec<_>>(), "Tier": "Standard", "Policies": [],
                "DataType": v.data_type, "Description": v.description,
            })
        })
        .collect();
    let mut out = json!({ "Parameters": items });
    if end < p.versions.len() {
        out["NextToken"] = Value::String(format!("sbx-{end}"));
    }
    Ok(out)
}

fn label(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?.to_owned();
    let labels: Vec<String> = crate::protocol::json::strings(&body["Labels"]);
    if labels.is_empty() || labels.len() > MAX_LABELS {
        return Err(validation("Labels must hold 1 to 10 labels."));
    }
    let key = Ssm::key(ctx.account(), &ctx.region, &name);
    let p = world
        .ssm
        .parameters
        .get_mut(&key)
        .ok_or_else(|| not_found(&name))?;
    let version = match body["ParameterVersion"].as_i64() {
        Some(v) => v,
        None => p.latest().map_or(0, |v| v.version),
    };
    if !p.versions.iter().any(|v| v.version == version) {
        return Err(AwsError::bad(
            "ParameterVersionNotFound",
            format!("Systems Manager could not find version {version} of {name}."),
        ));
    }
    let invalid: Vec<String> = labels
        .iter()
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            l.is_empty()
                || l.len() > 100
                || l.chars().all(|c| c.is_ascii_digit())
                || lower.starts_with("aws")
                || lower.starts_with("ssm")
                || !l
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        })
        .cloned()
        .collect();
    let valid: Vec<&String> = labels.iter().filter(|l| !invalid.contains(l)).collect();
    // A label names one version at a time: moving it takes it off the old one.
    for v in p.versions.iter_mut() {
        for l in &valid {
            v.labels.remove(*l);
        }
    }
    if let Some(v) = p.versions.iter_mut().find(|v| v.version == version) {
        v.labels.extend(valid.into_iter().cloned());
        if v.labels.len() > MAX_LABELS {
            return Err(AwsError::bad(
                "ParameterVersionLabelLimitExceeded",
                "A parameter version can have at most 10 labels.",
            ));
        }
    }
    Ok(json!({ "InvalidLabels": invalid, "ParameterVersion": version }))
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
