//! Versions of an AMI product in its DescribeEntity document: a new version from
//! AddDeliveryOptions, the edits of UpdateDeliveryOptions and the restriction of
//! RestrictDeliveryOptions. Input members map to the entity's names as the AWS-published shapes
//! show them: `UsageInstructions` → `Instructions.Usage`, `AccessEndpointUrl` →
//! `Instructions.Access` (with `Type: Endpoint`), `RecommendedInstanceType` →
//! `Recommendations.InstanceType`, `SecurityGroups[].IpProtocol/IpRanges` →
//! `Recommendations.SecurityGroups[].Protocol/CidrIps`
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>).

use serde_json::{Value, json};

use super::list;
use crate::world::World;

/// The `AmiDeliveryOptionDetails` of a delivery option, read from `Details` or (as one AWS
/// sample writes it) `DetailsDocument`.
fn ami_details(option: &Value) -> &Value {
    let inner = if option["Details"].is_object() {
        &option["Details"]
    } else {
        &option["DetailsDocument"]
    };
    &inner["AmiDeliveryOptionDetails"]
}

/// `Instructions.Access` of an `AccessEndpointUrl`.
fn access(endpoint: &Value) -> Option<Value> {
    endpoint.as_object().map(|a| json!({ "Type": "Endpoint", "Port": a.get("Port"), "Protocol": a.get("Protocol"), "RelativePath": a.get("RelativePath") }))
}

/// `Recommendations.SecurityGroups` of input `SecurityGroups`.
fn security_groups(groups: &Value) -> Value {
    Value::Array(
        groups
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| json!({ "Protocol": g["IpProtocol"], "FromPort": g["FromPort"], "ToPort": g["ToPort"], "CidrIps": g["IpRanges"] }))
            .collect(),
    )
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
    let det = ami_details(&d["DeliveryOptions"][0]);
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
            "Instructions": { "Usage": det["UsageInstructions"], "Access": access(&det["AccessEndpointUrl"]) },
            "Recommendations": { "InstanceType": det["RecommendedInstanceType"], "SecurityGroups": security_groups(&det["SecurityGroups"]) },
            "Visibility": visibility,
            "AmiAlias": format!("/aws/service/marketplace/{product}/{title}")
        }]
    })
}

/// UpdateDeliveryOptions: the release notes of the versions owning the named options, and every
/// member the change gives of each option (the checks refuse what cannot be applied).
pub(super) fn update(doc: &mut Value, d: &Value) {
    for o in list(&d["DeliveryOptions"]) {
        let id = &o["Id"];
        for v in doc["Versions"].as_array_mut().into_iter().flatten() {
            let owns = v["DeliveryOptions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["Id"] == *id));
            if !owns {
                continue;
            }
            if !d["Version"]["ReleaseNotes"].is_null() {
                v["ReleaseNotes"] = d["Version"]["ReleaseNotes"].clone();
            }
            for x in v["DeliveryOptions"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .filter(|x| x["Id"] == *id)
            {
                update_option(x, ami_details(&o));
            }
        }
    }
}

fn update_option(x: &mut Value, det: &Value) {
    if !det["UsageInstructions"].is_null() {
        x["Instructions"]["Usage"] = det["UsageInstructions"].clone();
    }
    if let Some(a) = access(&det["AccessEndpointUrl"]) {
        x["Instructions"]["Access"] = a;
    }
    if !det["RecommendedInstanceType"].is_null() {
        x["Recommendations"]["InstanceType"] = det["RecommendedInstanceType"].clone();
    }
    if det["SecurityGroups"].is_array() {
        x["Recommendations"]["SecurityGroups"] = security_groups(&det["SecurityGroups"]);
    }
}

/// RestrictDeliveryOptions: the named options become Restricted.
pub(super) fn restrict(doc: &mut Value, d: &Value) {
    let ids = list(&d["DeliveryOptionIds"]);
    for v in doc["Versions"].as_array_mut().into_iter().flatten() {
        for x in v["DeliveryOptions"].as_array_mut().into_iter().flatten() {
            if ids.contains(&x["Id"]) {
                x["Visibility"] = json!("Restricted");
            }
        }
    }
}
