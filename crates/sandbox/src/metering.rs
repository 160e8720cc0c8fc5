//! The Marketplace Metering Service over the JSON protocol (`AWSMPMeteringService.MeterUsage`):
//! the caller must be an instance's role, in the instance's Region, metering the product code of
//! the instance's AMI, entitled, with a dimension of the product, at most 6 hours late; one record
//! per (instance, dimension, hour) — an identical repeat returns the same record id, a different
//! quantity is a `DuplicateRequestException`. `DryRun` answers `DryRunOperation` when all checks
//! pass.

use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::metering::Record;

/// How late a record may be, seconds (6 hours).
pub const MAX_LATENESS_SECS: f64 = 6.0 * 3600.0;
/// How far in the future a timestamp may be (clock skew), seconds.
const MAX_SKEW_SECS: f64 = 300.0;

fn bad(code: &str, msg: impl Into<String>) -> AwsError {
    AwsError::bad(code, msg)
}

/// Handles one Metering operation.
pub fn handle(world: &mut World, ctx: &Ctx, op: &str, body: &Value) -> AwsResult<Value> {
    if op != "MeterUsage" {
        return Err(bad(
            "InvalidAction",
            format!("The sandbox implements only MeterUsage of AWSMPMeteringService, not {op}."),
        ));
    }
    let code = body["ProductCode"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("ValidationException", "ProductCode is required."))?
        .to_owned();
    let dimension = body["UsageDimension"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("ValidationException", "UsageDimension is required."))?
        .to_owned();
    let ts = body["Timestamp"].as_f64().ok_or_else(|| {
        bad(
            "ValidationException",
            "Timestamp is required (epoch seconds).",
        )
    })?;
    let quantity = match &body["UsageQuantity"] {
        Value::Null => 0,
        v => v
            .as_i64()
            .filter(|q| (0..=2_147_483_647).contains(q))
            .ok_or_else(|| {
                bad(
                    "ValidationException",
                    "UsageQuantity must be an integer from 0 to 2147483647.",
                )
            })?,
    };
    let dry_run = body["DryRun"].as_bool().unwrap_or(false);

    let instance = world
        .metering
        .instances
        .values()
        .find(|i| ctx.principal.role.is_some() && i.access_key_matches(&ctx.principal.arn))
        .cloned()
        .ok_or_else(|| AwsError::new(403, "AccessDeniedException", format!("{} is not an EC2 instance role; MeterUsage must be called with the instance's own credentials.", ctx.principal.arn)))?;
    if !instance.may_meter {
        return Err(AwsError::new(
            403,
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: aws-marketplace:MeterUsage",
                ctx.principal.arn
            ),
        ));
    }
    let metering_region =
        amipub_domain::catalog_data::region(&ctx.region).is_some_and(|r| r.metering);
    if ctx.region != instance.region || !metering_region {
        return Err(bad(
            "InvalidEndpointRegionException",
            format!(
                "The endpoint Region {} does not match the instance's Region {} (or has no Metering Service).",
                ctx.region, instance.region
            ),
        ));
    }
    if !instance.product_codes.contains(&code) {
        return Err(bad(
            "InvalidProductCodeException",
            format!(
                "Product code {code} is not the product code of instance {}.",
                instance.id
            ),
        ));
    }
    if !world
        .metering
        .entitlements
        .contains(&format!("{}/{code}", instance.account))
    {
        return Err(bad(
            "CustomerNotEntitledException",
            format!(
                "Account {} is not subscribed to the product {code}.",
                instance.account
            ),
        ));
    }
    let product =
        world.catalog.entities.values().find(|e| {
            e.kind == "AmiProduct" && e.doc["Description"]["ProductCode"] == code.as_str()
        });
    let known = product.is_some_and(|p| {
        p.doc["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| {
                d["Key"] == dimension.as_str()
                    && d["Types"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|x| x == "ExternallyMetered"))
            })
    });
    if !known {
        return Err(bad(
            "InvalidUsageDimensionException",
            format!("{dimension} is not a usage dimension of product {code}."),
        ));
    }
    let now_epoch = world.clock.now().timestamp_millis() as f64 / 1000.0;
    if ts > now_epoch + MAX_SKEW_SECS
        || ts < now_epoch - MAX_LATENESS_SECS
        || ts < world.clock.at(instance.launched).timestamp() as f64 - 3600.0
    {
        return Err(bad(
            "TimestampOutOfBoundsException",
            "The timestamp must be within the last 6 hours and not before the instance started.",
        ));
    }
    let allocations = allocations(body, quantity)?;
    if dry_run {
        return Err(bad(
            "DryRunOperation",
            "The request would have succeeded, but the DryRun flag is set.",
        ));
    }
    let hour = (ts as i64).div_euclid(3600) * 3600;
    let key = format!("{}/{dimension}/{hour}", instance.id);
    if let Some(r) = world.metering.records.get(&key) {
        if r.quantity == quantity && r.allocations == allocations {
            return Ok(json!({ "MeteringRecordId": r.id }));
        }
        return Err(bad(
            "DuplicateRequestException",
            format!(
                "A record for {dimension} in this hour was already accepted with quantity {}.",
                r.quantity
            ),
        ));
    }
    let id = world.ids.uuid();
    world.metering.records.insert(
        key,
        Record {
            id: id.clone(),
            instance: instance.id,
            product_code: code,
            dimension,
            hour,
            quantity,
            allocations,
            received: now_epoch,
        },
    );
    Ok(json!({ "MeteringRecordId": id }))
}

fn allocations(body: &Value, quantity: i64) -> AwsResult<String> {
    let Some(list) = body["UsageAllocations"].as_array() else {
        return Ok(String::new());
    };
    if list.is_empty() || list.len() > 2500 {
        return Err(bad(
            "InvalidUsageAllocationsException",
            "UsageAllocations holds 1 to 2500 allocations.",
        ));
    }
    let mut sum = 0i64;
    let mut seen = std::collections::BTreeSet::new();
    for a in list {
        sum += a["AllocatedUsageQuantity"].as_i64().unwrap_or(-1);
        let tags = a["Tags"].as_array().cloned().unwrap_or_default();
        if tags.len() > 5
            || tags.iter().any(|t| {
                t["Key"]
                    .as_str()
                    .is_none_or(|k| k.is_empty() || k.len() > 100)
                    || t["Value"]
                        .as_str()
                        .is_none_or(|v| v.is_empty() || v.len() > 256)
            })
        {
            return Err(bad(
                "InvalidTagException",
                "Each allocation has up to 5 tags with keys of 1-100 and values of 1-256 characters.",
            ));
        }
        if !seen.insert(serde_json::to_string(&tags).unwrap_or_default()) {
            return Err(bad(
                "InvalidUsageAllocationsException",
                "Each allocation needs a distinct tag set.",
            ));
        }
    }
    if sum != quantity {
        return Err(bad(
            "InvalidUsageAllocationsException",
            format!("Allocated quantities sum to {sum}, not the UsageQuantity {quantity}."),
        ));
    }
    Ok(serde_json::to_string(list).unwrap_or_default())
}

impl crate::world::metering::Instance {
    /// Whether an assumed-role ARN is this instance's role session.
    pub fn access_key_matches(&self, arn: &str) -> bool {
        arn.ends_with(&format!("/{}", self.id))
    }
}
