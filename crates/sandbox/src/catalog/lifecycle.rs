//! Change sets over virtual time. Every request first calls `tick`, which moves each due change
//! set one status on — PREPARING ends with the asynchronous checks (FAILED with an
//! `ErrorDetailList`, or APPLYING); APPLYING ends with the security scan's verdict for new
//! versions, then the changes are applied (SUCCEEDED) — emits the EventBridge-style event into the
//! configured SQS queue (through `crate::events`, where event fault rules apply), publishes
//! accepted second-party load forms whose delay has passed, and lets scheduled Marketplace AMIs
//! appear.

use serde_json::{Value, json};

use super::{apply, checks, not_found, publish, stamp};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::catalog::ChangeSet;

/// Advances every change set and scheduled image that is due at the current virtual time.
pub fn tick(world: &mut World) {
    let now = world.clock.elapsed();
    loop {
        let due = world
            .catalog
            .change_sets
            .values()
            .filter(|c| c.open() && c.next_at <= now)
            .min_by(|a, b| a.next_at.total_cmp(&b.next_at))
            .map(|c| c.id.clone());
        let Some(id) = due else { break };
        let Some(mut cs) = world.catalog.change_sets.remove(&id) else {
            break;
        };
        step(world, &mut cs);
        super::assessments::record(world, &cs);
        world.catalog.change_sets.insert(id, cs);
    }
    super::second_party::tick(world, now);
    publish::tick(world, now);
}

fn step(world: &mut World, cs: &mut ChangeSet) {
    let at = cs.next_at;
    match cs.status.as_str() {
        "PREPARING" => {
            checks::assign_new_ids(world, cs);
            checks::validate(world, cs);
            if cs.changes.iter().any(|c| !c.errors.is_empty()) {
                fail(
                    world,
                    cs,
                    at,
                    "CLIENT_ERROR",
                    "Change set preparation has failed. For details see 'ErrorDetailList'.",
                );
            } else {
                cs.status = "APPLYING".to_owned();
                cs.next_at = at + apply_seconds(world, cs);
            }
        }
        "APPLYING" => {
            if let Some(report) = checks::scan(world, cs) {
                for c in cs
                    .changes
                    .iter_mut()
                    .filter(|c| c.change_type == "AddDeliveryOptions")
                {
                    c.errors.push(("SCAN_ERROR".to_owned(), report.clone()));
                }
                fail(
                    world,
                    cs,
                    at,
                    "CLIENT_ERROR",
                    "Change set application has failed. For details see 'ErrorDetailList'.",
                );
                return;
            }
            if cs.intent == "APPLY" {
                apply::apply(world, cs, at);
            }
            cs.status = "SUCCEEDED".to_owned();
            cs.ended = Some(at);
            emit(world, cs, "Change Set Succeeded");
        }
        _ => {}
    }
}

/// How long a change set that adds a version takes from start to success: preparation, then
/// the scan, which is its application (`apply_seconds`).
pub fn add_version_seconds(world: &World) -> f64 {
    world.config.catalog_prepare_seconds + world.config.scan_seconds
}

fn apply_seconds(world: &World, cs: &ChangeSet) -> f64 {
    let c = &world.config;
    if cs
        .changes
        .iter()
        .any(|x| x.change_type == "UpdateVisibility")
    {
        c.visibility_review_seconds
    } else if cs
        .changes
        .iter()
        .any(|x| x.change_type == "AddDeliveryOptions")
    {
        c.scan_seconds
    } else {
        c.catalog_apply_seconds
    }
}

fn fail(world: &mut World, cs: &mut ChangeSet, at: f64, code: &str, description: &str) {
    cs.status = "FAILED".to_owned();
    cs.ended = Some(at);
    cs.failure_code = Some(code.to_owned());
    cs.failure_description = Some(description.to_owned());
    emit(world, cs, "Change Set Failed");
}

/// CancelChangeSet: only while PREPARING.
pub fn cancel(world: &mut World, ctx: &Ctx, id: &str) -> AwsResult<Value> {
    let now = ctx.now;
    let mut cs = world
        .catalog
        .change_sets
        .get(id)
        .filter(|c| c.account == ctx.account())
        .cloned()
        .ok_or_else(|| not_found(format!("Change set {id} was not found")))?;
    if cs.status != "PREPARING" {
        return Err(AwsError::new(
            423,
            "ResourceInUseException",
            format!(
                "Change set {id} is {} and can no longer be cancelled; only PREPARING change sets can be.",
                cs.status
            ),
        ));
    }
    cs.status = "CANCELLED".to_owned();
    cs.ended = Some(now);
    emit(world, &cs, "Change Set Cancelled");
    let arn = cs.arn();
    world.catalog.change_sets.insert(id.to_owned(), cs);
    Ok(json!({ "ChangeSetId": id, "ChangeSetArn": arn }))
}

fn emit(world: &mut World, cs: &ChangeSet, detail_type: &str) {
    let Some(queue) = world.config.events_queue.clone() else {
        return;
    };
    let mut detail = json!({
        "requestId": world.ids.uuid(),
        "Catalog": super::CATALOG,
        "ChangeSetId": cs.id,
        "ChangeSetName": cs.name,
        "StartTime": stamp(world, cs.started),
        "EndTime": cs.ended.map(|e| stamp(world, e)),
    });
    if let Some(code) = &cs.failure_code {
        detail["FailureCode"] = Value::String(code.clone());
    }
    let event = json!({
        "version": "0",
        "id": world.ids.uuid(),
        "detail-type": detail_type,
        "source": "aws.marketplacecatalog",
        "account": cs.account,
        "time": stamp(world, cs.ended.unwrap_or(cs.started)),
        "region": "us-east-1",
        "resources": [cs.arn()],
        "detail": detail,
    });
    crate::events::deliver(world, &queue, &event);
}
