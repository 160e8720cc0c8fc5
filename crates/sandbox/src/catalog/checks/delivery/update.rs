//! The rules of UpdateDeliveryOptions (update a version's information): the change names
//! delivery options of the product, all of one version; `Version` holds the new release notes;
//! each option's usage instructions, recommended instance type, security groups and access
//! endpoint obey the same rules as when the version was added, so every member given can be
//! applied. Sources: "Update version information" in "Work with AMI products"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>)
//! and the AWS-published UpdateDeliveryOptions shape
//! (<https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>).

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::{Ctx, Errors};
use super::option::{
    access_endpoint, recommended_instance_type, security_groups, usage_instructions,
};
use super::{Version, ami_details, release_notes_ok};

/// A rule of one delivery option.
type OptionRule = fn(&Version, &mut Errors);

/// The member each option rule reads, and the rule.
const MEMBER_RULES: &[(&str, OptionRule)] = &[
    ("UsageInstructions", usage_instructions),
    ("RecommendedInstanceType", recommended_instance_type),
    ("SecurityGroups", security_groups),
    ("AccessEndpointUrl", access_endpoint),
];

/// Runs the UpdateDeliveryOptions rules.
pub(in super::super) fn update(ctx: &Ctx, errs: &mut Errors) {
    let d = ctx.details();
    let options = d["DeliveryOptions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if options.is_empty() {
        errs.push(
            "MISSING_DELIVERY_OPTION_IDS",
            "Name the delivery options to update in DeliveryOptions[].Id.",
        );
        return;
    }
    if !d["Version"].is_null() {
        release_notes_ok(&d["Version"]["ReleaseNotes"], errs);
    }
    if !known_options(ctx, options, errs) {
        return;
    }
    let p = ctx.project();
    for o in options {
        let v = Version {
            ctx,
            p: &p,
            details: ami_details(o),
        };
        for (member, rule) in MEMBER_RULES {
            if !v.details[*member].is_null() {
                rule(&v, errs);
            }
        }
    }
}

/// The option ids exist in the product and all belong to one version.
fn known_options(ctx: &Ctx, options: &[Value], errs: &mut Errors) -> bool {
    let doc = ctx
        .world
        .catalog
        .entities
        .get(&ctx.entity)
        .map_or(&Value::Null, |e| &e.doc);
    let mut versions = BTreeSet::new();
    let mut unknown = Vec::new();
    for o in options {
        let id = o["Id"].as_str().unwrap_or("");
        match version_of(doc, id) {
            Some(v) => {
                versions.insert(v);
            }
            None => unknown.push(id),
        }
    }
    if !unknown.is_empty() {
        errs.push(
            "INVALID_DELIVERY_OPTION_IDS",
            format!("Delivery options not found: {}", unknown.join(", ")),
        );
        return false;
    }
    if versions.len() > 1 {
        errs.push(
            "INVALID_DELIVERY_OPTIONS",
            "The delivery options to update must belong to one version.",
        );
        return false;
    }
    true
}

/// The id of the version holding delivery option `id`.
fn version_of<'a>(doc: &'a Value, id: &str) -> Option<&'a str> {
    doc["Versions"].as_array()?.iter().find_map(|v| {
        v["DeliveryOptions"]
            .as_array()?
            .iter()
            .any(|o| o["Id"] == id)
            .then(|| v["Id"].as_str().unwrap_or(""))
    })
}
