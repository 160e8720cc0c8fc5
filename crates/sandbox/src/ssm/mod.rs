//! SSM Parameter Store over the JSON protocol (`AmazonSSM.*`): this module dispatches each
//! operation and holds the error texts they share. `names` decides which parameter a request
//! names, `write` creates and deletes parameters, `read` answers GetParameter(s) and
//! GetParameterHistory, `path` answers GetParametersByPath, `labels` attaches labels.
//!
//! `DataType = aws:ec2:image` values are checked the way AWS does it: the write is accepted at
//! once, and a value that is not an available image of that account and Region is then silently
//! not stored. Callers must read back what they wrote. Public `/aws/service/…` parameters are
//! readable by everyone and writable by no one.

mod labels;
mod names;
mod path;
mod read;
mod tags;
mod write;

use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;

pub use write::put_public;

/// Owner of public parameters.
pub const PUBLIC: &str = "aws";

/// Handles one SSM operation.
pub fn handle(world: &mut World, ctx: &Ctx, op: &str, body: &Value) -> AwsResult<Value> {
    match op {
        "PutParameter" => write::put(world, ctx, body),
        "DeleteParameter" => write::delete(world, ctx, body),
        "DeleteParameters" => write::delete_many(world, ctx, body),
        "GetParameter" => read::get(world, ctx, body),
        "GetParameters" => read::get_many(world, ctx, body),
        "GetParameterHistory" => read::history(world, ctx, body),
        "GetParametersByPath" => path::by_path(world, ctx, body),
        "LabelParameterVersion" => labels::label(world, ctx, body),
        "AddTagsToResource" => tags::add(world, ctx, body),
        "ListTagsForResource" => tags::list(world, ctx, body),
        other => Err(AwsError::bad(
            "InvalidAction",
            format!("The sandbox does not implement AmazonSSM.{other}."),
        )),
    }
}

fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad("ValidationException", msg)
}

/// `ParameterNotFound` as the write, history and label operations answer it.
fn not_found(name: &str) -> AwsError {
    AwsError::bad("ParameterNotFound", format!("Parameter {name} not found."))
}

/// `ParameterVersionNotFound`, in AWS's words.
fn version_not_found(name: &str, version: i64) -> AwsError {
    AwsError::bad(
        "ParameterVersionNotFound",
        format!(
            "Systems Manager could not find version {version} of {name}. Verify the version and try again."
        ),
    )
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

/// `NextToken` → index of the first item of the page.
fn page_start(body: &Value) -> AwsResult<usize> {
    match body["NextToken"].as_str() {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("sbx-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| AwsError::bad("InvalidNextToken", "The specified token is not valid.")),
    }
}

/// The empty answer of operations that return nothing.
fn done() -> Value {
    json!({})
}
