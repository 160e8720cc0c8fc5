//! The rule table of AmiProduct@1.0 changes, and the rules of the changes that have no file of
//! their own: the product title, Regions and future Region support, instance types, restricting
//! versions, pricing dimensions, buyer targeting, visibility and release. The change
//! types and their errors are those of the AWS Marketplace developer guide
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>
//! and <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>);
//! the rules of adding and updating versions live in `delivery`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::instance_type::is_instance_type;
use super::{Ctx, Errors, Rule, delivery, information, len, strings};

/// The AmiProduct@1.0 rules, by change type, in the order they run.
pub(super) const RULES: &[(&str, Rule)] = &[
    ("CreateProduct", product_title),
    ("UpdateInformation", information::check),
    ("AddRegions", regions),
    ("RestrictRegions", regions),
    ("UpdateFutureRegionSupport", future_region_support),
    ("AddInstanceTypes", instance_types),
    ("RestrictInstanceTypes", instance_types),
    ("AddDeliveryOptions", delivery::check),
    ("RestrictDeliveryOptions", restrict_delivery_options),
    ("UpdateDeliveryOptions", delivery::update),
    ("AddDimensions", dimension_count),
    ("AddDimensions", each_dimension),
    ("UpdateTargeting", buyer_accounts),
    ("UpdateVisibility", visibility),
    ("ReleaseProduct", release_state),
    ("ReleaseProduct", release_content),
    ("ReleaseProduct", release_with_offer),
];

/// The units a dimension may be priced in.
const UNITS: [&str; 15] = [
    "Hrs", "GB", "Gbps", "HostHrs", "Hosts", "MB", "Mbps", "Requests", "TaskHrs", "TB", "TierHrs",
    "UnitHrs", "Units", "UserHrs", "Users",
];

fn product_title(ctx: &Ctx, errs: &mut Errors) {
    if len(&ctx.details()["ProductTitle"]) > 72 {
        errs.push(
            "INVALID_INPUT",
            "ProductTitle must be at most 72 characters.",
        );
    }
}

fn regions(ctx: &Ctx, errs: &mut Errors) {
    let regions = strings(&ctx.details()["Regions"]);
    if regions.is_empty() || regions.len() > 100 {
        errs.push("INVALID_INPUT", "Provide between 1 and 100 Regions.");
    }
    let bad: Vec<String> = regions
        .into_iter()
        .filter(|r| amipub_domain::catalog_data::region(r).is_none())
        .collect();
    if !bad.is_empty() {
        let allowed: Vec<String> = amipub_domain::catalog_data::regions()
            .iter()
            .map(|r| r.code.clone())
            .collect();
        errs.push(
            "INVALID_REGIONS",
            format!(
                "Invalid Regions: {}. Allowed values: {}",
                bad.join(", "),
                allowed.join(", ")
            ),
        );
    }
}

fn future_region_support(ctx: &Ctx, errs: &mut Errors) {
    let s = strings(&ctx.details()["FutureRegionSupport"]["SupportedRegions"]);
    if s.len() != 1 || !matches!(s[0].as_str(), "All" | "US" | "None") {
        errs.push(
            "INVALID_INPUT",
            "SupportedRegions must hold exactly one of All, US, None.",
        );
    }
}

fn instance_types(ctx: &Ctx, errs: &mut Errors) {
    let types = strings(&ctx.details()["InstanceTypes"]);
    let bad: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| !is_instance_type(t))
        .collect();
    if types.is_empty() || !bad.is_empty() {
        errs.push(
            "INVALID_INSTANCE_TYPES",
            format!("Invalid instance types: {}", bad.join(", ")),
        );
    }
}

fn restrict_delivery_options(ctx: &Ctx, errs: &mut Errors) {
    let p = ctx.project();
    let ids = strings(&ctx.details()["DeliveryOptionIds"]);
    let unknown: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|i| !p.delivery_ids.contains_key(*i))
        .collect();
    if ids.is_empty() {
        errs.push(
            "MISSING_DELIVERY_OPTION_IDS",
            "Provide at least one delivery option id.",
        );
    } else if !unknown.is_empty() {
        errs.push(
            "INVALID_DELIVERY_OPTION_IDS",
            format!("Delivery options not found: {}", unknown.join(", ")),
        );
    } else {
        let remaining = p
            .delivery_ids
            .iter()
            .filter(|(id, public)| **public && !ids.contains(id))
            .count();
        if remaining == 0 && !p.adds_version {
            errs.push(
                "ALL_DELIVERY_OPTIONS_RESTRICTED",
                "At least one version must remain available.",
            );
        }
    }
}

fn dimension_count(ctx: &Ctx, errs: &mut Errors) {
    let count = ctx.details().as_array().map_or(0, Vec::len);
    if count == 0 {
        errs.push("MISSING_DATA", "Provide at least one dimension.");
    }
    if count > 200 {
        errs.push("INVALID_DIMENSION", "Provide no more than 200 dimensions.");
    }
}

fn each_dimension(ctx: &Ctx, errs: &mut Errors) {
    let mut seen = BTreeSet::new();
    for x in ctx.details().as_array().into_iter().flatten() {
        let key = x["Key"].as_str().unwrap_or("");
        if !key_ok(key) || !seen.insert(key.to_owned()) {
            errs.push(
                "INVALID_DIMENSION",
                format!("Dimension key '{key}' is empty, invalid or duplicated."),
            );
        }
        dimension_types(key, x, errs);
        dimension_unit(key, x, errs);
    }
}

/// A dimension key: 1-100 letters, digits, `_`, `.` or `-`.
fn key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
}

fn dimension_types(key: &str, x: &Value, errs: &mut Errors) {
    let types = strings(&x["Types"]);
    if types.is_empty()
        || !types
            .iter()
            .all(|t| matches!(t.as_str(), "Metered" | "ExternallyMetered" | "Entitled"))
    {
        // The doubled I is how the developer guide spells this code.
        errs.push(
            "IINVALID_TYPE",
            format!("Dimension '{key}' has invalid Types."),
        );
    }
}

fn dimension_unit(key: &str, x: &Value, errs: &mut Errors) {
    let unit = x["Unit"].as_str().unwrap_or("");
    if !UNITS.contains(&unit) {
        errs.push(
            "INVALID_UNIT",
            format!(
                "Dimension '{key}' has unit '{unit}', which is not one of {}.",
                UNITS.join(", ")
            ),
        );
    }
}

fn buyer_accounts(ctx: &Ctx, errs: &mut Errors) {
    let accounts = strings(&ctx.details()["PositiveTargeting"]["BuyerAccounts"]);
    if accounts
        .iter()
        .any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(
            "INVALID_AWS_ACCOUNT_IDS",
            "Buyer accounts must be 12-digit AWS account ids.",
        );
    }
}

fn visibility(ctx: &Ctx, errs: &mut Errors) {
    let target = ctx.details()["TargetVisibility"].as_str().unwrap_or("");
    let from: &[&str] = match target {
        "Public" => &["Limited", "Restricted"],
        "Limited" => &["Public", "Restricted"],
        "Restricted" => &["Public", "Limited"],
        _ => {
            errs.push(
                "INVALID_TARGET_VISIBILITY",
                format!("'{target}' is not a visibility."),
            );
            return;
        }
    };
    let p = ctx.project();
    if !from.contains(&p.visibility.as_str()) {
        errs.push(
            "INVALID_PRODUCT_STATE",
            format!("A {} product cannot become {target}.", p.visibility),
        );
    }
}

fn release_state(ctx: &Ctx, errs: &mut Errors) {
    let p = ctx.project();
    if p.visibility != "Draft" {
        errs.push(
            "INVALID_PRODUCT_STATE",
            format!(
                "Only Draft products can be released; this one is {}.",
                p.visibility
            ),
        );
    }
}

fn release_content(ctx: &Ctx, errs: &mut Errors) {
    let p = ctx.project();
    if !p.has_description {
        errs.push("VALIDATION_FAILED", "Provide Description information.");
    }
    if p.titles.is_empty() && !p.adds_version {
        errs.push("VALIDATION_FAILED", "Provide Versions information.");
    }
    if p.dimensions.is_empty() {
        errs.push("VALIDATION_FAILED", "Provide Dimensions information.");
    }
}

fn release_with_offer(ctx: &Ctx, errs: &mut Errors) {
    if !ctx
        .cs
        .changes
        .iter()
        .any(|x| x.change_type == "ReleaseOffer")
    {
        errs.push(
            "VALIDATION_FAILED",
            "ReleaseProduct must be accompanied by ReleaseOffer on the product's draft public offer.",
        );
    }
}
