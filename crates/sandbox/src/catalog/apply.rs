//! Applying a succeeded change set: each change edits the DescribeEntity document of its entity
//! (input names mapped to the entity's names, as in the AWS-published `AmiProduct@1.0` entity
//! shapes, <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>), every
//! touched entity gets a new revision, and new versions are handed to `publish`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{publish, stamp};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet, Entity};

/// Applies every change of `cs` at virtual second `at`.
pub fn apply(world: &mut World, cs: &mut ChangeSet, at: f64) {
    let when = stamp(world, at);
    let mut touched = BTreeSet::new();
    for c in cs.changes.clone() {
        let Some(id) = c.entity_id.clone() else {
            continue;
        };
        touched.insert(id.clone());
        match c.change_type.as_str() {
            "CreateProduct" => {
                let code = world.ids.alnum(25);
                let doc = json!({
                    "Description": {
                        "ProductTitle": c.details["ProductTitle"], "ProductCode": code, "ShortDescription": null,
                        "LongDescription": null, "Manufacturer": format!("Seller {}", cs.account), "Sku": null,
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
                });
                world.catalog.entities.insert(
                    id.clone(),
                    Entity {
                        id,
                        kind: "AmiProduct".into(),
                        owner: cs.account.clone(),
                        revision: 0,
                        last_modified: when.clone(),
                        doc,
                    },
                );
            }
            "CreateOffer" => {
                let doc = json!({
                    "Id": id, "State": "Draft", "Name": c.details["Name"], "Description": null, "PreExistingAgreement": null,
                    "ProductId": c.details["ProductId"], "OfferSetId": c.details["OfferSetId"], "Terms": [], "Rules": []
                });
                world.catalog.entities.insert(
                    id.clone(),
                    Entity {
                        id,
                        kind: "Offer".into(),
                        owner: cs.account.clone(),
                        revision: 0,
                        last_modified: when.clone(),
                        doc,
                    },
                );
            }
            _ => {
                let Some(mut entity) = world.catalog.entities.remove(&id) else {
                    continue;
                };
                let published = edit(world, &mut entity, &c, &when);
                let product = entity.clone();
                world.catalog.entities.insert(id.clone(), entity);
                if let Some(version) = published {
                    publish::schedule(world, &product, &version, at);
                }
            }
        }
    }
    for id in touched {
        if let Some(e) = world.catalog.entities.get_mut(&id) {
            e.revision += 1;
            e.last_modified = when.clone();
        }
    }
}

fn push_unique(list: &mut Value, items: &[Value]) {
    if !list.is_array() {
        *list = json!([]);
    }
    if let Some(a) = list.as_array_mut() {
        for i in items {
            if !a.contains(i) {
                a.push(i.clone());
            }
        }
    }
}

fn remove_all(list: &mut Value, items: &[Value]) {
    if let Some(a) = list.as_array_mut() {
        a.retain(|x| !items.contains(x));
    }
}

/// Edits one entity; returns a newly added version to publish.
fn edit(world: &mut World, e: &mut Entity, c: &Change, when: &str) -> Option<Value> {
    let d = &c.details;
    let doc = &mut e.doc;
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match (e.kind.as_str(), c.change_type.as_str()) {
        ("AmiProduct", "UpdateInformation") => {
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
        ("AmiProduct", "AddRegions") => {
            let r = list(&d["Regions"]);
            push_unique(&mut doc["RegionAvailability"]["Regions"], &r);
            remove_all(&mut doc["RegionAvailability"]["Restrict"], &r);
        }
        ("AmiProduct", "RestrictRegions") => {
            let r = list(&d["Regions"]);
            remove_all(&mut doc["RegionAvailability"]["Regions"], &r);
            push_unique(&mut doc["RegionAvailability"]["Restrict"], &r);
        }
        ("AmiProduct", "UpdateFutureRegionSupport") => {
            doc["RegionAvailability"]["FutureRegionSupport"] =
                d["FutureRegionSupport"]["SupportedRegions"][0].clone();
        }
        ("AmiProduct", "AddInstanceTypes") => {
            let t = list(&d["InstanceTypes"]);
            push_unique(&mut doc["Compatibility"]["AvailableInstanceTypes"], &t);
            remove_all(&mut doc["Compatibility"]["RestrictedInstanceTypes"], &t);
        }
        ("AmiProduct", "RestrictInstanceTypes") => {
            let t = list(&d["InstanceTypes"]);
            remove_all(&mut doc["Compatibility"]["AvailableInstanceTypes"], &t);
            push_unique(&mut doc["Compatibility"]["RestrictedInstanceTypes"], &t);
        }
        ("AmiProduct", "AddDeliveryOptions") => {
            let version = new_version(world, doc, d, &e.id, when);
            push_unique(&mut doc["Versions"], std::slice::from_ref(&version));
            return Some(version);
        }
        ("AmiProduct", "UpdateDeliveryOptions") => {
            for o in list(&d["DeliveryOptions"]) {
                let id = o["Id"].clone();
                let det = if o["Details"].is_object() {
                    &o["Details"]
                } else {
                    &o["DetailsDocument"]
                };
                let det = &det["AmiDeliveryOptionDetails"];
                for v in doc["Versions"].as_array_mut().into_iter().flatten() {
                    let owns = v["DeliveryOptions"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x["Id"] == id));
                    if owns && !d["Version"]["ReleaseNotes"].is_null() {
                        v["ReleaseNotes"] = d["Version"]["ReleaseNotes"].clone();
                    }
                    for x in v["DeliveryOptions"]
                        .as_array_mut()
                        .into_iter()
                        .flatten()
                        .filter(|x| x["Id"] == id)
                    {
                        if !det["UsageInstructions"].is_null() {
                            x["Instructions"]["Usage"] = det["UsageInstructions"].clone();
                        }
                        if !det["RecommendedInstanceType"].is_null() {
                            x["Recommendations"]["InstanceType"] =
                                det["RecommendedInstanceType"].clone();
                        }
                    }
                }
            }
        }
        ("AmiProduct", "RestrictDeliveryOptions") => {
            let ids = list(&d["DeliveryOptionIds"]);
            for v in doc["Versions"].as_array_mut().into_iter().flatten() {
                for x in v["DeliveryOptions"].as_array_mut().into_iter().flatten() {
                    if ids.contains(&x["Id"]) {
                        x["Visibility"] = json!("Restricted");
                    }
                }
            }
        }
        ("AmiProduct", "AddDimensions") => {
            let dims: Vec<Value> = list(d).into_iter().map(|x| json!({ "Name": x["Name"], "Description": x["Description"], "Key": x["Key"], "Unit": x["Unit"], "Types": x["Types"] })).collect();
            push_unique(&mut doc["Dimensions"], &dims);
        }
        ("AmiProduct", "UpdateDimensions") => {
            for u in list(d) {
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
        ("AmiProduct", "RestrictDimensions") => {
            let keys: Vec<Value> = list(d).iter().map(|x| x["Key"].clone()).collect();
            if let Some(a) = doc["Dimensions"].as_array_mut() {
                a.retain(|x| !keys.contains(&x["Key"]));
            }
        }
        ("AmiProduct", "UpdateTargeting") => {
            doc["Targeting"]["PositiveTargeting"]["BuyerAccounts"] =
                d["PositiveTargeting"]["BuyerAccounts"].clone()
        }
        ("AmiProduct", "ReleaseProduct") => {
            doc["Description"]["Visibility"] = json!("Limited");
            doc["Description"]["ProductState"] = json!("Active");
        }
        ("AmiProduct", "UpdateVisibility") => {
            let target = d["TargetVisibility"].clone();
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
        ("Offer", "UpdateInformation") => {
            for f in ["Name", "Description", "PreExistingAgreement"] {
                if !d[f].is_null() {
                    doc[f] = d[f].clone();
                }
            }
        }
        (
            "Offer",
            "UpdatePricingTerms"
            | "UpdateLegalTerms"
            | "UpdateSupportTerms"
            | "UpdateValidityTerms"
            | "UpdateRenewalTerms",
        ) => {
            let incoming = list(&d["Terms"]);
            let pricing = [
                "UsageBasedPricingTerm",
                "ConfigurableUpfrontPricingTerm",
                "RecurringPaymentTerm",
                "FixedUpfrontPricingTerm",
                "FreeTrialPricingTerm",
                "ByolPricingTerm",
            ];
            let replaced: Vec<String> = match c.change_type.as_str() {
                "UpdatePricingTerms" => pricing.iter().map(|s| (*s).to_owned()).collect(),
                "UpdateLegalTerms" => vec!["LegalTerm".into()],
                "UpdateSupportTerms" => vec!["SupportTerm".into()],
                "UpdateValidityTerms" => vec!["ValidityTerm".into()],
                _ => vec!["RenewalTerm".into()],
            };
            let mut terms: Vec<Value> = list(&doc["Terms"])
                .into_iter()
                .filter(|t| !replaced.iter().any(|r| t["Type"] == r.as_str()))
                .collect();
            for mut t in incoming {
                t["Id"] = json!(format!("term-{}", world.ids.alnum(13)));
                terms.push(t);
            }
            doc["Terms"] = Value::Array(terms);
            if !d["PricingModel"].is_null() {
                doc["PricingModel"] = d["PricingModel"].clone();
            }
        }
        ("Offer", "UpdateTargeting") => {
            let mut rules: Vec<Value> = list(&doc["Rules"])
                .into_iter()
                .filter(|r| r["Type"] != "TargetingRule")
                .collect();
            let mut rule = json!({ "Type": "TargetingRule" });
            for f in ["PositiveTargeting", "NegativeTargeting"] {
                if !d[f].is_null() {
                    rule[f] = d[f].clone();
                }
            }
            rules.push(rule);
            doc["Rules"] = Value::Array(rules);
        }
        ("Offer", "ReleaseOffer") => {
            doc["State"] = json!("Released");
            doc["ReleaseDate"] = json!(when);
        }
        _ => {}
    }
    None
}

/// The DescribeEntity `Versions` item of a new version, from `AddDeliveryOptions` details `d`
/// (also used for versions a second-party load form adds).
pub(crate) fn new_version(
    world: &mut World,
    doc: &Value,
    d: &Value,
    product: &str,
    when: &str,
) -> Value {
    let o = &d["DeliveryOptions"][0];
    let det = if o["Details"].is_object() {
        &o["Details"]
    } else {
        &o["DetailsDocument"]
    };
    let det = &det["AmiDeliveryOptionDetails"];
    let src = &det["AmiSource"];
    let ami = src["AmiId"].as_str().unwrap_or("");
    let arch = world
        .ec2
        .images
        .get(ami)
        .map(|i| i.architecture.clone())
        .unwrap_or_else(|| "x86_64".into());
    let title = d["Version"]["VersionTitle"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let (version_id, source_id, option_id) = (world.ids.uuid(), world.ids.uuid(), world.ids.uuid());
    let visibility = match doc["Description"]["Visibility"].as_str() {
        Some("Public") => "Public",
        _ => "Limited",
    };
    let access = det["AccessEndpointUrl"].as_object().map(|a| json!({ "Type": "Endpoint", "Port": a.get("Port"), "Protocol": a.get("Protocol"), "RelativePath": a.get("RelativePath") }));
    let groups: Vec<Value> = det["SecurityGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| json!({ "Protocol": g["IpProtocol"], "FromPort": g["FromPort"], "ToPort": g["ToPort"], "CidrIps": g["IpRanges"] }))
        .collect();
    json!({
        "Id": version_id,
        "VersionTitle": title,
        "ReleaseNotes": d["Version"]["ReleaseNotes"],
        "UpgradeInstructions": null,
        "CreationDate": format!("{}.000Z", when.trim_end_matches('Z')),
        "Sources": [{
            "Id": source_id, "Type": "AmazonMachineImage", "Image": ami, "Architecture": arch, "VirtualizationType": "hvm",
            "Compatibility": doc["Compatibility"],
            "OperatingSystem": { "Name": src["OperatingSystemName"], "Version": src["OperatingSystemVersion"], "Username": src["UserName"], "ScanningPort": src["ScanningPort"].as_i64().unwrap_or(22) }
        }],
        "DeliveryOptions": [{
            "Id": option_id, "Type": "AmazonMachineImage", "SourceId": source_id,
            "Title": format!("({}) Amazon Machine Image", arch.to_uppercase()),
            "ShortDescription": null, "LongDescription": null,
            "Instructions": { "Usage": det["UsageInstructions"], "Access": access },
            "Recommendations": { "InstanceType": det["RecommendedInstanceType"], "SecurityGroups": groups },
            "Visibility": visibility,
            "AmiAlias": format!("/aws/service/marketplace/{product}/{title}")
        }]
    })
}
