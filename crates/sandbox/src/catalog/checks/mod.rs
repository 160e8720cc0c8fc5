//! The asynchronous part of a change set: new entity ids, the per-change validators that fill
//! `ErrorDetailList` (documented error codes, catalog-api.md §3) and the security scan's verdict.
//! The validators of product information (`information`), of new versions and their AMI ingestion
//! (`delivery`) and of offers (`offer`) have files of their own.

mod delivery;
mod information;
mod offer;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::world::World;
use crate::world::catalog::ChangeSet;

/// Gives each Create change its new entity id and resolves `$Name.Entity.Identifier` targets.
pub fn assign_new_ids(world: &mut World, cs: &mut ChangeSet) {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for c in cs
        .changes
        .iter_mut()
        .filter(|c| c.change_type.starts_with("Create"))
    {
        let id = if c.entity_type == "Offer@1.0" {
            format!("offer-{}", world.ids.alnum(13))
        } else {
            format!("prod-{}", world.ids.alnum(13))
        };
        c.entity_id = Some(id.clone());
        if let Some(n) = &c.change_name {
            names.insert(n.clone(), id);
        }
    }
    for c in cs.changes.iter_mut() {
        if let Some(r) = c
            .identifier
            .as_deref()
            .and_then(|i| i.strip_prefix('$'))
            .and_then(|i| i.strip_suffix(".Entity.Identifier"))
        {
            c.entity_id = names.get(r).cloned();
        }
        resolve(&mut c.details, &names);
    }
}

fn resolve(v: &mut Value, names: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s
                .strip_prefix('$')
                .and_then(|x| x.strip_suffix(".Entity.Identifier"))
                .and_then(|n| names.get(n))
            {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| resolve(x, names)),
        _ => {}
    }
}

/// What a product will look like if this change set applies: its current document plus the
/// relevant changes of the set.
#[derive(Debug, Default)]
pub(super) struct Projected {
    pub(super) visibility: String,
    pub(super) instance_types: BTreeSet<String>,
    pub(super) titles: BTreeSet<String>,
    pub(super) delivery_ids: BTreeMap<String, bool>,
    pub(super) dimensions: BTreeSet<String>,
    pub(super) has_description: bool,
    pub(super) adds_version: bool,
}

pub(super) fn project(world: &World, cs: &ChangeSet, product: &str) -> Projected {
    let mut p = Projected {
        visibility: "Draft".into(),
        ..Default::default()
    };
    if let Some(e) = world.catalog.entities.get(product) {
        let d = &e.doc;
        p.visibility = d["Description"]["Visibility"]
            .as_str()
            .unwrap_or("Draft")
            .to_owned();
        p.instance_types = strings(&d["Compatibility"]["AvailableInstanceTypes"])
            .into_iter()
            .collect();
        for v in d["Versions"].as_array().into_iter().flatten() {
            p.titles
                .insert(v["VersionTitle"].as_str().unwrap_or("").to_owned());
            for o in v["DeliveryOptions"].as_array().into_iter().flatten() {
                p.delivery_ids.insert(
                    o["Id"].as_str().unwrap_or("").to_owned(),
                    o["Visibility"] != "Restricted",
                );
            }
        }
        p.dimensions = d["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["Key"].as_str().map(str::to_owned))
            .collect();
        p.has_description = d["Description"]["ShortDescription"].is_string();
    }
    for c in cs
        .changes
        .iter()
        .filter(|c| c.entity_id.as_deref() == Some(product))
    {
        match c.change_type.as_str() {
            "AddInstanceTypes" => p
                .instance_types
                .extend(strings(&c.details["InstanceTypes"])),
            "AddDimensions" => p.dimensions.extend(
                c.details
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x["Key"].as_str().map(str::to_owned)),
            ),
            "UpdateInformation" => p.has_description |= c.details["ShortDescription"].is_string(),
            "AddDeliveryOptions" => p.adds_version = true,
            _ => {}
        }
    }
    p
}

pub(super) use crate::protocol::json::strings;

pub(super) fn len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// Runs the validators, filling each change's errors.
pub fn validate(world: &World, cs: &mut ChangeSet) {
    let snapshot = cs.clone();
    for c in cs.changes.iter_mut() {
        let mut errs: Vec<(String, String)> = Vec::new();
        let mut err = |code: &str, msg: String| errs.push((code.to_owned(), msg));
        let d = &c.details;
        let product = c.entity_id.clone().unwrap_or_default();
        match (c.entity_type.as_str(), c.change_type.as_str()) {
            ("AmiProduct@1.0", "CreateProduct") if len(&d["ProductTitle"]) > 72 => {
                err(
                    "INVALID_INPUT",
                    "ProductTitle must be at most 72 characters.".into(),
                );
            }
            ("AmiProduct@1.0", "UpdateInformation") => {
                information::check(world, &snapshot, &product, d, &mut err)
            }
            ("AmiProduct@1.0", "AddRegions" | "RestrictRegions") => {
                let regions = strings(&d["Regions"]);
                if regions.is_empty() || regions.len() > 100 {
                    err("INVALID_INPUT", "Provide between 1 and 100 Regions.".into());
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
                    err(
                        "INVALID_REGIONS",
                        format!(
                            "Invalid Regions: {}. Allowed values: {}",
                            bad.join(", "),
                            allowed.join(", ")
                        ),
                    );
                }
            }
            ("AmiProduct@1.0", "UpdateFutureRegionSupport") => {
                let s = strings(&d["FutureRegionSupport"]["SupportedRegions"]);
                if s.len() != 1 || !matches!(s[0].as_str(), "All" | "US" | "None") {
                    err(
                        "INVALID_INPUT",
                        "SupportedRegions must hold exactly one of All, US, None.".into(),
                    );
                }
            }
            ("AmiProduct@1.0", "AddInstanceTypes" | "RestrictInstanceTypes") => {
                let types = strings(&d["InstanceTypes"]);
                let bad: Vec<&String> = types
                    .iter()
                    .filter(|t| t.parse::<amipub_domain::ids::InstanceType>().is_err())
                    .collect();
                if types.is_empty() || !bad.is_empty() {
                    err(
                        "INVALID_INSTANCE_TYPES",
                        format!(
                            "Invalid instance types: {}",
                            bad.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            ("AmiProduct@1.0", "AddDeliveryOptions") => {
                delivery::check(world, &snapshot, &product, d, &mut err)
            }
            ("AmiProduct@1.0", "RestrictDeliveryOptions") => {
                let p = project(world, &snapshot, &product);
                let ids = strings(&d["DeliveryOptionIds"]);
                let unknown: Vec<&String> = ids
                    .iter()
                    .filter(|i| !p.delivery_ids.contains_key(*i))
                    .collect();
                if ids.is_empty() {
                    err(
                        "MISSING_DELIVERY_OPTION_IDS",
                        "Provide at least one delivery option id.".into(),
                    );
                } else if !unknown.is_empty() {
                    err(
                        "INVALID_DELIVERY_OPTION_IDS",
                        format!(
                            "Delivery options not found: {}",
                            unknown
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                } else {
                    let remaining = p
                        .delivery_ids
                        .iter()
                        .filter(|(id, public)| **public && !ids.contains(id))
                        .count();
                    if remaining == 0 && !p.adds_version {
                        err(
                            "ALL_DELIVERY_OPTIONS_RESTRICTED",
                            "At least one version must remain available.".into(),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "UpdateDeliveryOptions") => {
                let p = project(world, &snapshot, &product);
                for o in d["DeliveryOptions"].as_array().into_iter().flatten() {
                    if !p.delivery_ids.contains_key(o["Id"].as_str().unwrap_or("")) {
                        err(
                            "INVALID_DELIVERY_OPTION_IDS",
                            format!("Delivery option {} was not found.", o["Id"]),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "AddDimensions") => {
                let dims = d.as_array().cloned().unwrap_or_default();
                let mut seen = BTreeSet::new();
                if dims.is_empty() {
                    err("MISSING_DATA", "Provide at least one dimension.".into());
                }
                if dims.len() > 200 {
                    err(
                        "INVALID_DIMENSION",
                        "Provide no more than 200 dimensions.".into(),
                    );
                }
                for x in &dims {
                    let key = x["Key"].as_str().unwrap_or("");
                    let types = strings(&x["Types"]);
                    if key.is_empty()
                        || key.len() > 100
                        || !key
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
                        || !seen.insert(key.to_owned())
                    {
                        err(
                            "INVALID_DIMENSION",
                            format!("Dimension key '{key}' is empty, invalid or duplicated."),
                        );
                    }
                    if types.is_empty()
                        || !types.iter().all(|t| {
                            matches!(t.as_str(), "Metered" | "ExternallyMetered" | "Entitled")
                        })
                    {
                        err(
                            "IINVALID_TYPE",
                            format!("Dimension '{key}' has invalid Types."),
                        );
                    }
                    let unit = x["Unit"].as_str().unwrap_or("");
                    let units = [
                        "Hrs", "GB", "Gbps", "HostHrs", "Hosts", "MB", "Mbps", "Requests",
                        "TaskHrs", "TB", "TierHrs", "UnitHrs", "Units", "UserHrs", "Users",
                    ];
                    if !units.contains(&unit) {
                        err(
                            "INVALID_UNIT",
                            format!(
                                "Dimension '{key}' has unit '{unit}', which is not one of {}.",
                                units.join(", ")
                            ),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "UpdateTargeting") => {
                let accounts = strings(&d["PositiveTargeting"]["BuyerAccounts"]);
                if accounts
                    .iter()
                    .any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
                {
                    err(
                        "INVALID_AWS_ACCOUNT_IDS",
                        "Buyer accounts must be 12-digit AWS account ids.".into(),
                    );
                }
            }
            ("AmiProduct@1.0", "UpdateVisibility") => {
                let p = project(world, &snapshot, &product);
                let target = d["TargetVisibility"].as_str().unwrap_or("");
                let ok = match target {
                    "Public" => matches!(p.visibility.as_str(), "Limited" | "Restricted"),
                    "Limited" => matches!(p.visibility.as_str(), "Public" | "Restricted"),
                    "Restricted" => matches!(p.visibility.as_str(), "Public" | "Limited"),
                    _ => {
                        err(
                            "INVALID_TARGET_VISIBILITY",
                            format!("'{target}' is not a visibility."),
                        );
                        true
                    }
                };
                if !ok {
                    err(
                        "INVALID_PRODUCT_STATE",
                        format!("A {} product cannot become {target}.", p.visibility),
                    );
                }
            }
            ("AmiProduct@1.0", "ReleaseProduct") => {
                let p = project(world, &snapshot, &product);
                if p.visibility != "Draft" {
                    err(
                        "INVALID_PRODUCT_STATE",
                        format!(
                            "Only Draft products can be released; this one is {}.",
                            p.visibility
                        ),
                    );
                }
                if !p.has_description {
                    err(
                        "VALIDATION_FAILED",
                        "Provide Description information.".into(),
                    );
                }
                if p.titles.is_empty() && !p.adds_version {
                    err("VALIDATION_FAILED", "Provide Versions information.".into());
                }
                if p.dimensions.is_empty() {
                    err(
                        "VALIDATION_FAILED",
                        "Provide Dimensions information.".into(),
                    );
                }
                if !snapshot
                    .changes
                    .iter()
                    .any(|x| x.change_type == "ReleaseOffer")
                {
                    err("VALIDATION_FAILED", "ReleaseProduct must be accompanied by ReleaseOffer on the product's draft public offer.".into());
                }
            }
            ("Offer@1.0", _) => offer::check(world, &snapshot, c, &mut err),
            _ => {}
        }
        c.errors.extend(errs);
    }
}

/// The security scan: `Some(report URL)` when a submitted AMI fails.
pub fn scan(world: &World, cs: &ChangeSet) -> Option<String> {
    cs.changes
        .iter()
        .filter(|c| c.change_type == "AddDeliveryOptions")
        .find_map(|c| {
            let o = &c.details["DeliveryOptions"][0];
            let inner = if o["Details"].is_object() {
                &o["Details"]
            } else {
                &o["DetailsDocument"]
            };
            let ami = inner["AmiDeliveryOptionDetails"]["AmiSource"]["AmiId"]
                .as_str()
                .unwrap_or("");
            let verdict = world
                .catalog
                .scan_overrides
                .get(ami)
                .unwrap_or(&world.config.scan_verdict);
            (verdict == "fail").then(|| {
                format!(
                    "https://scan-reports.sandbox.amipub.invalid/{}/{ami}.json",
                    cs.id
                )
            })
        })
}
