//! Publishing an accepted load form once `second_party_publish_delay_seconds` have passed: each
//! row's version joins its product entity (delivery settings carried over from the product's
//! latest version, as the catalog team does; the source is the us-east-1 clone), and the
//! Marketplace's own copy of each Region's clone is scheduled through `catalog::publish`, so it
//! appears exactly like the copies a self-service change set leads to.

use serde_json::{Value, json};

use super::workbook::HOME_REGION;
use crate::catalog::{apply, publish, stamp};
use crate::world::World;
use crate::world::forms::{FormRow, TicketStatus};

/// Publishes every accepted ticket whose time has come, in the order they come due.
pub fn tick(world: &mut World, now: f64) {
    let mut due: Vec<(f64, String)> = world
        .catalog
        .forms
        .values()
        .filter(|t| t.status == TicketStatus::Accepted)
        .filter_map(|t| {
            t.publish_at
                .filter(|at| *at <= now)
                .map(|at| (at, t.id.clone()))
        })
        .collect();
    due.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    for (at, id) in due {
        let rows = world
            .catalog
            .forms
            .get(&id)
            .and_then(|t| t.form.as_ref())
            .map(|f| f.rows.clone())
            .unwrap_or_default();
        for row in &rows {
            publish_row(world, row, at);
        }
        if let Some(t) = world.catalog.forms.get_mut(&id) {
            t.status = TicketStatus::Published;
        }
    }
}

/// Adds the row's version to its product and schedules one Marketplace copy per filled Region,
/// made from that Region's clone, visible at `at`.
fn publish_row(world: &mut World, row: &FormRow, at: f64) {
    let Some(mut entity) = super::checks::product(world, row).cloned() else {
        return;
    };
    let when = stamp(world, at);
    let home = row.clone_in(HOME_REGION).unwrap_or("");
    let details = carried_details(&entity.doc, row, home);
    let version = apply::new_version(world, &entity.doc, &details, &entity.id, &when);
    match entity.doc["Versions"].as_array_mut() {
        Some(versions) => versions.push(version),
        None => entity.doc["Versions"] = json!([version]),
    }
    entity.revision += 1;
    entity.last_modified = when;
    world
        .catalog
        .entities
        .insert(entity.id.clone(), entity.clone());
    for (region, ami) in &row.clones {
        let source = world.ec2.images.get(ami).cloned();
        publish::schedule_copy(
            world,
            &entity,
            &row.version_title,
            region,
            source.as_ref(),
            at,
        );
    }
}

/// `AddDeliveryOptions`-shaped details of the row's version: title and notes from the form, the
/// us-east-1 clone as source, everything else from the product's latest version.
fn carried_details(doc: &Value, row: &FormRow, ami: &str) -> Value {
    let latest = doc["Versions"]
        .as_array()
        .and_then(|v| v.last())
        .cloned()
        .unwrap_or(Value::Null);
    let os = &latest["Sources"][0]["OperatingSystem"];
    let option = &latest["DeliveryOptions"][0];
    let groups: Vec<Value> = option["Recommendations"]["SecurityGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| json!({ "IpProtocol": g["Protocol"], "FromPort": g["FromPort"], "ToPort": g["ToPort"], "IpRanges": g["CidrIps"] }))
        .collect();
    json!({
        "Version": { "VersionTitle": row.version_title, "ReleaseNotes": row.release_notes },
        "DeliveryOptions": [{ "Details": { "AmiDeliveryOptionDetails": {
            "AmiSource": {
                "AmiId": ami,
                "UserName": os["Username"],
                "OperatingSystemName": os["Name"],
                "OperatingSystemVersion": os["Version"],
                "ScanningPort": os["ScanningPort"],
            },
            "UsageInstructions": option["Instructions"]["Usage"],
            "RecommendedInstanceType": option["Recommendations"]["InstanceType"],
            "SecurityGroups": groups,
        }}}]
    })
}
