//! Who sees what: the products and AMI versions a caller is shown through the Discovery API,
//! read from the Catalog's entity documents without changing them.
//!
//! - A product is shown when it is Public, or Limited and the caller is its seller or on its
//!   allowlist (`Targeting.PositiveTargeting.BuyerAccounts`): a Limited product's page opens for
//!   the seller's own account and the allowlisted ones, no one else
//!   (<https://docs.aws.amazon.com/marketplace/latest/userguide/saas-product-lifecycle.html>;
//!   for AMI products: <https://docs.aws.amazon.com/marketplace/latest/userguide/ami-update-visibility.html>).
//!   Draft products were never released and Restricted ones take no new buyers: neither is shown.
//!   Anything not shown answers `ResourceNotFoundException`, as an unknown id does.
//! - A version is shown once its change set applied (it is in the entity's `Versions`) and
//!   `discovery_lag_seconds` have passed since, unless its delivery option is Restricted
//!   (restricting a version hides it from new buyers,
//!   <https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-versions.html>).
//! - Each delivery option is one `amazonMachineImageFulfillmentOption`
//!   (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_AmazonMachineImageFulfillmentOption.html>),
//!   newest version first, carrying the option's `AmiAlias`.

use serde_json::{Value, json};

use super::not_found;
use crate::error::AwsResult;
use crate::world::World;
use crate::world::catalog::Entity;

/// The product `id` if `account` may see it.
pub fn visible_product<'w>(world: &'w World, account: &str, id: &str) -> AwsResult<&'w Entity> {
    let shown = world
        .catalog
        .entities
        .get(id)
        .filter(|e| e.kind == "AmiProduct" && shown_to(e, account));
    shown.ok_or_else(|| not_found(format!("Product {id} was not found.")))
}

fn shown_to(e: &Entity, account: &str) -> bool {
    match e.doc["Description"]["Visibility"].as_str() {
        Some("Public") => true,
        Some("Limited") => {
            e.owner == account
                || e.doc["Targeting"]["PositiveTargeting"]["BuyerAccounts"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == account))
        }
        _ => false,
    }
}

/// The fulfillment options of a shown product at virtual second `now`, newest version first.
pub fn options(world: &World, e: &Entity, now: f64) -> Vec<Value> {
    let lag = world.config.discovery_lag_seconds;
    let mut out = Vec::new();
    let versions = e.doc["Versions"].as_array().cloned().unwrap_or_default();
    for v in versions.iter().rev() {
        let added = v["CreationDate"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(0.0, |t| world.clock.secs_of(t.to_utc()));
        if added + lag > now {
            continue;
        }
        for o in v["DeliveryOptions"].as_array().into_iter().flatten() {
            if o["Visibility"] != "Restricted" {
                out.push(json!({ "amazonMachineImageFulfillmentOption": option(v, o) }));
            }
        }
    }
    out
}

/// One delivery option of version `v` as buyers see it.
fn option(v: &Value, o: &Value) -> Value {
    let source = v["Sources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["Id"] == o["SourceId"])
        .unwrap_or(&v["Sources"][0]);
    let title = v["VersionTitle"].clone();
    let mut out = json!({
        "fulfillmentOptionId": o["Id"],
        "fulfillmentOptionName": title,
        "fulfillmentOptionVersion": title,
        "fulfillmentOptionType": "AMAZON_MACHINE_IMAGE",
        "fulfillmentOptionDisplayName": "Amazon Machine Image",
        "operatingSystems": [operating_system(&source["OperatingSystem"])],
        "architecture": source["Architecture"].as_str().unwrap_or("x86_64"),
        "amiAlias": o["AmiAlias"],
    });
    let optional = [
        ("releaseNotes", &v["ReleaseNotes"]),
        ("usageInstructions", &o["Instructions"]["Usage"]),
        ("shortDescription", &o["ShortDescription"]),
    ];
    for (name, value) in optional {
        if value.is_string() {
            out[name] = value.clone();
        }
    }
    if let Some(t) = v["CreationDate"].as_str().and_then(epoch) {
        out["availableFromTime"] = json!(t);
    }
    if let Some(r) = recommendation(&o["Recommendations"]) {
        out["recommendation"] = r;
    }
    out
}

/// The Catalog's `OperatingSystem` as buyers see it: the name and version the seller gave, in
/// the Linux or Windows family.
fn operating_system(os: &Value) -> Value {
    let name = os["Name"].as_str().unwrap_or("OTHER");
    let family = if name.to_ascii_uppercase().contains("WINDOWS") {
        "Windows"
    } else {
        "Linux"
    };
    let mut out = json!({ "operatingSystemFamilyName": family, "operatingSystemName": name });
    if let Some(v) = os["Version"].as_str() {
        out["operatingSystemVersion"] = json!(v);
    }
    out
}

fn recommendation(r: &Value) -> Option<Value> {
    let instance_type = r["InstanceType"].as_str()?;
    let groups: Vec<Value> = r["SecurityGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            json!({
                "protocol": g["Protocol"], "fromPort": g["FromPort"], "toPort": g["ToPort"],
                "cidrIpAddresses": g["CidrIps"].as_array().cloned().unwrap_or_default(),
            })
        })
        .collect();
    Some(json!({ "instanceType": instance_type, "securityGroups": groups }))
}

/// Epoch seconds of an ISO 8601 time (REST-JSON timestamps default to epoch seconds).
fn epoch(t: &str) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    Some(t.timestamp_millis() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(visibility: &str, allow: &[&str]) -> Entity {
        Entity {
            id: "prod-x".into(),
            kind: "AmiProduct".into(),
            owner: "111122223333".into(),
            revision: 1,
            last_modified: String::new(),
            doc: json!({
                "Description": { "Visibility": visibility },
                "Targeting": { "PositiveTargeting": { "BuyerAccounts": allow } },
            }),
        }
    }

    #[test]
    fn limited_products_are_shown_to_their_seller_and_allowlist_only() {
        let limited = product("Limited", &["444455556666"]);
        assert!(shown_to(&limited, "111122223333"));
        assert!(shown_to(&limited, "444455556666"));
        assert!(!shown_to(&limited, "999999999999"));
        assert!(shown_to(&product("Public", &[]), "999999999999"));
        for hidden in ["Draft", "Restricted"] {
            assert!(!shown_to(&product(hidden, &[]), "111122223333"), "{hidden}");
        }
    }

    #[test]
    fn operating_systems_get_a_family() {
        let w = operating_system(&json!({ "Name": "WINDOWS", "Version": "2022" }));
        assert_eq!(w["operatingSystemFamilyName"], "Windows");
        let f = operating_system(&json!({ "Name": "FEDORA", "Version": "41" }));
        assert_eq!(
            (
                f["operatingSystemFamilyName"].as_str(),
                f["operatingSystemVersion"].as_str()
            ),
            (Some("Linux"), Some("41"))
        );
    }
}
