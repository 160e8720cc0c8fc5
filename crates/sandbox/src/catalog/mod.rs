//! The Marketplace Catalog API over REST-JSON (SigV4 service `aws-marketplace`, us-east-1 only):
//! the 13 operations of change sets, entities, tags and policies, and the two of security
//! assessments. `start` validates and stores change sets (tokens, locks, references),
//! `lifecycle` moves them through PREPARING → APPLYING → SUCCEEDED | FAILED | CANCELLED as virtual
//! time passes, `checks` holds the asynchronous validators and the AMI ingestion, `apply` turns
//! changes into entity documents, `publish` makes Marketplace AMIs appear Region by Region,
//! `read` answers the describe and list operations, `assessments` records each scan's AMI
//! security assessments and answers ListAssessments and DescribeAssessment, and `second_party`
//! plays the catalog team that processes second-party load forms (admin routes, not part of the
//! Catalog API).

pub mod apply;
pub mod assessments;
pub mod checks;
pub mod lifecycle;
pub mod publish;
pub mod read;
pub mod second_party;
pub mod start;

use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;

/// The only catalog.
pub const CATALOG: &str = "AWSMarketplace";

/// 422 ValidationException.
pub fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::new(422, "ValidationException", msg)
}

/// 404 ResourceNotFoundException.
pub fn not_found(msg: impl Into<String>) -> AwsError {
    AwsError::new(404, "ResourceNotFoundException", msg)
}

/// Handles one Catalog request; returns the operation name and the JSON answer.
pub fn handle(
    world: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> (String, AwsResult<Value>) {
    let op = path.trim_start_matches('/').to_owned();
    let params: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let q = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let json_body = || -> AwsResult<Value> {
        match serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { body }) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(AwsError::bad(
                "SerializationException",
                "The request body is not a JSON object.",
            )),
        }
    };
    if ctx.region != "us-east-1" {
        return (
            op,
            Err(AwsError::new(
                403,
                "AccessDeniedException",
                format!(
                    "The AWS Marketplace Catalog API is only available in us-east-1, not {}.",
                    ctx.region
                ),
            )),
        );
    }
    let result = match (method, op.as_str()) {
        ("POST", "StartChangeSet") => {
            json_body().and_then(|b| start::start_change_set(world, ctx, &b))
        }
        ("GET", "DescribeChangeSet") => catalog_param(q("catalog")).and_then(|_| {
            read::describe_change_set(world, ctx, &q("changeSetId").unwrap_or_default())
        }),
        ("POST", "ListChangeSets") => json_body()
            .and_then(|b| catalog_field(&b).and_then(|_| read::list_change_sets(world, ctx, &b))),
        ("PATCH", "CancelChangeSet") => catalog_param(q("catalog"))
            .and_then(|_| lifecycle::cancel(world, ctx, &q("changeSetId").unwrap_or_default())),
        ("GET", "DescribeEntity") => catalog_param(q("catalog"))
            .and_then(|_| read::describe_entity(world, ctx, &q("entityId").unwrap_or_default())),
        ("POST", "BatchDescribeEntities") => {
            json_body().and_then(|b| read::batch_describe(world, ctx, &b))
        }
        ("POST", "ListEntities") => json_body()
            .and_then(|b| catalog_field(&b).and_then(|_| read::list_entities(world, ctx, &b))),
        ("POST", "ListAssessments") => json_body()
            .and_then(|b| catalog_field(&b).and_then(|_| assessments::list(world, ctx, &b))),
        ("POST", "DescribeAssessment") => json_body()
            .and_then(|b| catalog_field(&b).and_then(|_| assessments::describe(world, ctx, &b))),
        ("POST", "TagResource") => json_body().and_then(|b| read::tag(world, ctx, &b, true)),
        ("POST", "UntagResource") => json_body().and_then(|b| read::tag(world, ctx, &b, false)),
        ("POST", "ListTagsForResource") => {
            json_body().and_then(|b| read::list_tags(world, ctx, &b))
        }
        ("POST", "PutResourcePolicy") => json_body().and_then(|b| read::put_policy(world, ctx, &b)),
        ("GET", "GetResourcePolicy") => {
            read::get_policy(world, ctx, &q("resourceArn").unwrap_or_default())
        }
        ("DELETE", "DeleteResourcePolicy") => {
            read::delete_policy(world, ctx, &q("resourceArn").unwrap_or_default())
        }
        _ => Err(AwsError::new(
            404,
            "UnknownOperationException",
            format!("No Catalog operation {method} /{op}."),
        )),
    };
    (op, result)
}

fn catalog_param(c: Option<String>) -> AwsResult<()> {
    match c.as_deref() {
        Some(CATALOG) => Ok(()),
        Some(other) => Err(validation(format!(
            "Catalog {other} is not valid; the only catalog is {CATALOG}."
        ))),
        None => Err(validation(
            "1 validation error detected: Value null at 'catalog' failed to satisfy constraint: Member must not be null",
        )),
    }
}

fn catalog_field(body: &Value) -> AwsResult<()> {
    catalog_param(body["Catalog"].as_str().map(str::to_owned))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a virtual second.
pub fn stamp(world: &World, secs: f64) -> String {
    world
        .clock
        .at(secs)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// An empty JSON object.
pub fn empty() -> Value {
    json!({})
}
