//! GetParameter, GetParameters and GetParameterHistory: the version a reference selects, and how
//! a parameter version is answered.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::names::{Reference, Scope, arn};
use super::{PUBLIC, page_start, str_field, validation, version_not_found};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::ssm::{Parameter, Ssm, Version};

/// Most names one GetParameters request may hold
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html>).
const MAX_NAMES: usize = 10;
/// Most history entries per page (GetParameterHistory's `MaxResults` limit).
const MAX_HISTORY_PAGE: i64 = 50;

/// GetParameter's `ParameterNotFound`. AWS sends this one without message text.
fn get_not_found() -> AwsError {
    AwsError::bad("ParameterNotFound", "")
}

/// GetParameter.
pub fn get(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let given = str_field(body, "Name")?;
    let r = Reference::parse(given, ctx)?.ok_or_else(get_not_found)?;
    let (p, v) = select(world, ctx, &r)?;
    Ok(json!({ "Parameter": render(p, v, ctx, r.shown(&p.name), r.selector.as_deref()) }))
}

/// GetParameters: each distinct name is answered once, the parameters found in alphabetical
/// order of their names, the others in `InvalidParameters`
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html>).
pub fn get_many(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let names = crate::protocol::json::strings(&body["Names"]);
    if names.is_empty() || names.len() > MAX_NAMES {
        return Err(validation(format!(
            "1 validation error detected: Value '[{}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to {MAX_NAMES} and greater than or equal to 1",
            names.join(", ")
        )));
    }
    let mut seen = BTreeSet::new();
    let (mut found, mut invalid) = (Vec::new(), Vec::new());
    for given in names.iter().filter(|n| seen.insert(n.as_str())) {
        let picked = Reference::parse(given, ctx)
            .ok()
            .flatten()
            .and_then(|r| select(world, ctx, &r).ok().map(|(p, v)| (r, p, v)));
        match picked {
            Some((r, p, v)) => {
                found.push(render(p, v, ctx, r.shown(&p.name), r.selector.as_deref()))
            }
            None => invalid.push(Value::String(given.clone())),
        }
    }
    found.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
    Ok(json!({ "Parameters": found, "InvalidParameters": invalid }))
}

/// GetParameterHistory, by name or ARN
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameterHistory.html>).
pub fn history(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let given = str_field(body, "Name")?;
    let not_found = || super::not_found(given);
    let r = Reference::parse(given, ctx)?.ok_or_else(not_found)?;
    let p = lookup(world, ctx, &r).ok_or_else(not_found)?;
    let max = body["MaxResults"].as_i64().unwrap_or(MAX_HISTORY_PAGE);
    if !(1..=MAX_HISTORY_PAGE).contains(&max) {
        return Err(validation(format!(
            "MaxResults must be between 1 and {MAX_HISTORY_PAGE}."
        )));
    }
    let start = page_start(body)?;
    let end = (start + max as usize).min(p.versions.len());
    let name = r.shown(&p.name);
    let items: Vec<Value> = p.versions[start.min(end)..end]
        .iter()
        .map(|v| {
            json!({
                "Name": name, "Type": v.kind, "Value": v.value, "Version": v.version,
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

/// The parameter and version a reference selects: the newest without a selector, else the
/// version with that number or that label.
fn select<'w>(
    world: &'w World,
    ctx: &Ctx,
    r: &Reference,
) -> AwsResult<(&'w Parameter, &'w Version)> {
    let p = lookup(world, ctx, r).ok_or_else(get_not_found)?;
    let v = match r.selector.as_deref() {
        None => p.latest(),
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            let n: i64 = s.parse().unwrap_or(0);
            let v = p.versions.iter().find(|v| v.version == n);
            Some(v.ok_or_else(|| version_not_found(r.shown(&p.name), n))?)
        }
        Some(label) => p.versions.iter().find(|v| v.labels.contains(label)),
    };
    v.map(|v| (p, v)).ok_or_else(get_not_found)
}

/// The parameter a reference names: the caller's own first, then the public one.
fn lookup<'w>(world: &'w World, ctx: &Ctx, r: &Reference) -> Option<&'w Parameter> {
    let find = |account: &str| {
        world
            .ssm
            .parameters
            .get(&Ssm::key(account, &ctx.region, &r.name))
    };
    match &r.scope {
        Scope::Caller => find(ctx.account()).or_else(|| find(PUBLIC)),
        Scope::Account(a) => find(a),
    }
}

/// A parameter version as GetParameter, GetParameters and GetParametersByPath answer it.
pub fn render(p: &Parameter, v: &Version, ctx: &Ctx, name: &str, selector: Option<&str>) -> Value {
    let mut out = json!({
        "Name": name,
        "Type": v.kind,
        "Value": v.value,
        "Version": v.version,
        "LastModifiedDate": v.modified,
        "ARN": arn(&ctx.region, &p.account, &p.name),
        "DataType": v.data_type,
    });
    if let Some(s) = selector {
        out["Selector"] = Value::String(format!(":{s}"));
    }
    out
}
