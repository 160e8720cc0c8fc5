//! How each AmiProduct@1.0 change edits the product's DescribeEntity document: a new draft,
//! information, Regions, instance types, versions (through `version`), dimensions, buyer
//! allowlist, release and visibility. Change types and their effects are those of "Work with AMI
//! products" (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>).

use serde_json::{Value, json};

use super::{list, push_unique, remove_all, version};
use crate::world::World;
use crate::world::catalog::{Change, Entity};

/// The document of a new Draft product: only its title (if given) and product code are set.
pub(super) fn created(world: &mut World, c: &Change, account: &str) -> Value {
    let code = world.ids.alnum(25);
    json!({
        "Description": {
            "ProductTitle": c.details["ProductTitle"], "ProductCode": code, "ShortDescription": null,
            "LongDescription": null, "Manufacturer": format!("Seller {account}"), "Sku": null,
            "Highlights": [], "SearchKeywords": [], "Categories": [], "AssociatedProducts": null,
            "Visibility": "Draft", "ProductState": "Draft", "ReplacementProductId": null
        },
        "PromotionalResources": { "LogoUrl": null, "Videos": [], "AdditionalResources": [] },
        "SupportInformation": { "Description": null, "Resources": [] },
        "RegionAvailability": { "Regions": [], "Restrict": [], "FutureRegionSupport": null },
        "Targeting": { "PositiveTargeting": { "BuyerAccounts": [] } },
        "Compatibility": { "AvailableInstanceTypes": [], "RestrictedInstanceTypes": [] },
        "Dimensions": [],
        "Versions": []
    })
}

/// Edits a product; returns a newly added version to publish.
pub(super) fn edit(world: &mut World, e: &mut Entity, c: &Change, when: &str) -> Option<Value> {
    let d = &c.details;
    let doc = &mut e.doc;
    match c.change_type.as_str() {
        "UpdateInformation" => information(doc, d),
        "AddRegions" => move_items(
            doc,
            "RegionAvailability",
            "Restrict",
            "Regions",
            d,
            "Regions",
        ),
        "RestrictRegions" => move_items(
            doc,
            "RegionAvailability",
            "Regions",
            "Restrict",
            d,
            "Regions",
        ),
        "UpdateFutureRegionSupport" => {
            doc["RegionAvailability"]["FutureRegionSupport"] =
                d["FutureRegionSupport"]["SupportedRegions"][0].clone();
        }
        "AddInstanceTypes" => move_items(
            doc,
            "Compatibility",
            "RestrictedInstanceTypes",
            "AvailableInstanceTypes",
            d,
            "InstanceTypes",
        ),
        "RestrictInstanceTypes" => move_items(
            doc,
            "Compatibility",
            "AvailableInstanceTypes",
            "RestrictedInstanceTypes",
            d,
            "InstanceTypes",
        ),
        "AddDeliveryOptions" => {
            let version = version::new_version(world, doc, d, &e.id, when);
            push_unique(&mut doc["Versions"], std::slice::from_ref(&version));
            return Some(version);
        }
        "UpdateDeliveryOptions" => version::update(doc, d),
        "RestrictDeliveryOptions" => version::restrict(doc, d),
        "AddDimensions" | "UpdateDimensions" | "RestrictDimensions" => dimensions(doc, c),
        "UpdateTargeting" => {
            doc["Targeting"]["PositiveTargeting"]["BuyerAccounts"] =
                d["PositiveTargeting"]["BuyerAccounts"].clone()
        }
        "ReleaseProduct" => {
            doc["Description"]["Visibility"] = json!("Limited");
            doc["Description"]["ProductState"] = json!("Active");
        }
        "UpdateVisibility" => visibility(doc, &d["TargetVisibility"]),
        _ => {}
    }
    None
}

/// Moves the items `d[key]` from `doc[group][from]` to `doc[group][to]`.
fn move_items(doc: &mut Value, group: &str, from: &str, to: &str, d: &Value, key: &str) {
    let items = list(&d[key]);
    push_unique(&mut doc[group][to], &items);
    remove_all(&mut doc[group][from], &items);
}

fn information(doc: &mut Value, d: &Value) {
    for f in [
        "ProductTitle",
        "ShortDescription",
        "LongDescription",
        "Sku",
        "Highlights",
        "Categories",
        "SearchKeywords",
    ] {
        if !d[f].is_null() {
            doc["Description"][f] = d[f].clone();
        }
    }
    if !d["LogoUrl"].is_null() {
        doc["PromotionalResources"]["LogoUrl"] = d["LogoUrl"].clone();
    }
    if let Some(v) = d["VideoUrls"].as_array() {
        doc["PromotionalResources"]["Videos"] = Value::Array(
            v.iter()
                .map(|u| json!({ "Type": "Link", "Title": "Product video", "Url": u }))
                .collect(),
        );
    }
    if let Some(r) = d["AdditionalResources"].as_array() {
        doc["PromotionalResources"]["AdditionalResources"] = Value::Array(
            r.iter()
                .map(|x| json!({ "Type": "Link", "Text": x["Text"], "Url": x["Url"] }))
                .collect(),
        );
    }
    if !d["SupportDescription"].is_null() {
        doc["SupportInformation"]["Description"] = d["SupportDescription"].clone();
    }
}

fn dimensions(doc: &mut Value, c: &Change) {
    let d = list(&c.details);
    match c.change_type.as_str() {
        "AddDimensions" => {
            let dims: Vec<Value> = d.into_iter().map(|x| json!({ "Name": x["Name"], "Description": x["Description"], "Key": x["Key"], "Unit": x["Unit"], "Types": x["Types"] })).collect();
            push_unique(&mut doc["Dimensions"], &dims);
        }
        "UpdateDimensions" => {
            for u in d {
                for x in doc["Dimensions"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                    .filter(|x| x["Key"] == u["Key"])
                {
                    for f in ["Name", "Description"] {
                        if !u[f].is_null() {
                            x[f] = u[f].clone();
                        }
                    }
                }
            }
        }
        _ => {
            let keys: Vec<Value> = d.iter().map(|x| x["Key"].clone()).collect();
            if let Some(a) = doc["Dimensions"].as_array_mut() {
                a.retain(|x| !keys.contains(&x["Key"]));
            }
        }
    }
}

/// The product's visibility, and that of every version not restricted.
fn visibility(doc: &mut Value, target: &Value) {
    doc["Description"]["Visibility"] = target.clone();
    for v in doc["Versions"].as_array_mut().into_iter().flatten() {
        for x in v["DeliveryOptions"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .filter(|x| x["Visibility"] != "Restricted")
        {
            x["Visibility"] = target.clone();
        }
    }
}
