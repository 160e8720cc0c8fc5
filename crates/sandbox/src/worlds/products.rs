//! The listings of the `fedora` world, seeded the way a seller makes them: one change set per
//! product (create, describe, Regions, instance types, first version, dimensions, release, and a
//! public offer with its terms) applied by the sandbox's own `apply`, then published at once.

use serde_json::json;

use super::{
    FEDORA_BUILD_ACCOUNT, FEDORA_INSTANCE_TYPES, FEDORA_OFFER_ID, FEDORA_PRODUCT_CODE,
    FEDORA_PRODUCT_ID, INGESTION_ROLE, METERED_PRODUCT_CODE, METERED_PRODUCT_ID, SELLER_ACCOUNT,
};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

fn change(kind: &str, entity_type: &str, id: &str, details: serde_json::Value) -> Change {
    Change {
        change_type: kind.to_owned(),
        change_name: None,
        entity_type: entity_type.to_owned(),
        identifier: Some(id.to_owned()),
        entity_id: Some(id.to_owned()),
        revision: None,
        details,
        entity_tags: Default::default(),
        errors: Vec::new(),
    }
}

/// A product to seed: a Limited listing with one published version.
struct Seed<'a> {
    id: &'a str,
    code: &'a str,
    offer: &'a str,
    title: &'a str,
    source_name: &'a str,
    regions: Vec<String>,
    instance_types: &'a [&'a str],
    custom_dimensions: &'a [(&'a str, &'a str, &'a str)],
    version: &'a str,
    user: &'a str,
    os: (&'a str, &'a str),
}

/// The Fedora Cloud Base (x86_64) listing with Fedora 40 published in every Region, and the
/// metered Acme API Gateway (`examples/products/metered-appliance.toml`): what a seller has after
/// the first release, so the next release is a plain version add.
pub(super) fn existing_product(world: &mut World) {
    let mut all: Vec<String> = amipub_domain::catalog_data::commercial_regions()
        .map(|r| r.code.clone())
        .collect();
    all.extend(amipub_domain::catalog_data::govcloud_regions().map(|r| r.code.clone()));
    seed_product(
        world,
        &Seed {
            id: FEDORA_PRODUCT_ID,
            code: FEDORA_PRODUCT_CODE,
            offer: FEDORA_OFFER_ID,
            title: "Fedora Cloud Base (x86_64)",
            source_name: "x86_64-40",
            regions: all,
            instance_types: FEDORA_INSTANCE_TYPES,
            custom_dimensions: &[],
            version: "40.20240416.0",
            user: "fedora",
            os: ("FEDORA", "40"),
        },
    );
    seed_product(
        world,
        &Seed {
            id: METERED_PRODUCT_ID,
            code: METERED_PRODUCT_CODE,
            offer: "offer-acmegatewayoff1",
            title: "Acme API Gateway",
            source_name: "x86_64-40",
            regions: ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            instance_types: &["m5.large", "m5.xlarge", "c5.xlarge"],
            custom_dimensions: &[
                ("active_consumers", "Active API consumers", "UserHrs"),
                ("processed_gb", "Processed data", "GB"),
                ("managed_hosts", "Managed upstream hosts", "HostHrs"),
            ],
            version: "2024-10-01",
            user: "ec2-user",
            os: ("AMAZONLINUX", "Amazon Linux 2023"),
        },
    );
}

/// Adds a Fedora-like free product (Limited, Fedora 40 published) to a seeded `fedora` world:
/// for tests and benchmarks that need many products.
pub fn add_product(world: &mut World, id: &str, code: &str, title: &str, regions: Vec<String>) {
    let offer = format!("offer-{}", id.trim_start_matches("prod-"));
    seed_product(
        world,
        &Seed {
            id,
            code,
            offer: &offer,
            title,
            source_name: "x86_64-40",
            regions,
            instance_types: FEDORA_INSTANCE_TYPES,
            custom_dimensions: &[],
            version: "40.20240416.0",
            user: "fedora",
            os: ("FEDORA", "40"),
        },
    );
}

fn seed_product(world: &mut World, seed: &Seed<'_>) {
    let source = world
        .ec2
        .images
        .values()
        .find(|i| {
            i.region == "us-east-1"
                && i.name.contains(seed.source_name)
                && i.owner == FEDORA_BUILD_ACCOUNT
        })
        .cloned();
    let Some(mut mirror) = source else { return };
    mirror.id = world.ids.resource("ami");
    mirror.owner = SELLER_ACCOUNT.to_owned();
    mirror.public = false;
    mirror.name = format!("amipub-{}-{}", seed.id, mirror.name);
    let mirror_id = mirror.id.clone();
    world.ec2.images.insert(mirror_id.clone(), mirror);

    let p = seed.id;
    let o = seed.offer;
    let prod = "AmiProduct@1.0";
    let offer = "Offer@1.0";
    let mut dimensions: Vec<serde_json::Value> = seed.instance_types.iter().map(|t| json!({ "Key": t, "Name": t, "Description": t, "Unit": "Hrs", "Types": ["Metered"] })).collect();
    dimensions.extend(seed.custom_dimensions.iter().map(|(k, n, u)| json!({ "Key": k, "Name": n, "Description": n, "Unit": u, "Types": ["ExternallyMetered"] })));
    let paid = !seed.custom_dimensions.is_empty();
    let rates: Vec<serde_json::Value> = dimensions
        .iter()
        .map(|d| json!({ "DimensionKey": d["Key"], "Price": if paid { "0.01" } else { "0.00" } }))
        .collect();
    let changes = vec![
        change(
            "CreateProduct",
            prod,
            p,
            json!({ "ProductTitle": seed.title }),
        ),
        change(
            "UpdateInformation",
            prod,
            p,
            json!({
                "ProductTitle": seed.title,
                "ShortDescription": format!("{} for Amazon EC2.", seed.title),
                "LongDescription": format!("{} for Amazon EC2, published with amipub.", seed.title),
                "LogoUrl": "https://fedoraproject.org/assets/images/fedora-coloured.png",
                "VideoUrls": [],
                "Highlights": ["Published with amipub"],
                "AdditionalResources": [],
                "SupportDescription": "See the product documentation.",
                "Categories": ["Operating Systems"],
                "SearchKeywords": ["linux", "cloud"]
            }),
        ),
        change("AddRegions", prod, p, json!({ "Regions": seed.regions })),
        change(
            "UpdateFutureRegionSupport",
            prod,
            p,
            json!({ "FutureRegionSupport": { "SupportedRegions": ["All"] } }),
        ),
        change(
            "AddInstanceTypes",
            prod,
            p,
            json!({ "InstanceTypes": seed.instance_types }),
        ),
        change(
            "AddDeliveryOptions",
            prod,
            p,
            json!({
                "Version": { "VersionTitle": seed.version, "ReleaseNotes": format!("{} {}", seed.title, seed.version) },
                "DeliveryOptions": [{ "Details": { "AmiDeliveryOptionDetails": {
                    "AmiSource": { "AmiId": mirror_id, "AccessRoleArn": format!("arn:aws:iam::{SELLER_ACCOUNT}:role/{INGESTION_ROLE}"), "UserName": seed.user, "OperatingSystemName": seed.os.0, "OperatingSystemVersion": seed.os.1, "ScanningPort": 22 },
                    "UsageInstructions": format!("ssh {}@<public-ip>", seed.user),
                    "RecommendedInstanceType": seed.instance_types[0],
                    "SecurityGroups": [{ "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": ["0.0.0.0/0"] }]
                }}}]
            }),
        ),
        change(
            "AddDimensions",
            prod,
            p,
            serde_json::Value::Array(dimensions),
        ),
        change("ReleaseProduct", prod, p, json!({})),
        change(
            "CreateOffer",
            offer,
            o,
            json!({ "ProductId": p, "Name": seed.title }),
        ),
        change(
            "UpdatePricingTerms",
            offer,
            o,
            json!({ "PricingModel": if paid { "Usage" } else { "Free" }, "Terms": [{ "Type": "UsageBasedPricingTerm", "CurrencyCode": "USD", "RateCards": [{ "RateCard": rates }] }] }),
        ),
        change(
            "UpdateLegalTerms",
            offer,
            o,
            json!({ "Terms": [{ "Type": "LegalTerm", "Documents": [{ "Type": "StandardEula", "Version": "2022-07-14" }] }] }),
        ),
        change(
            "UpdateSupportTerms",
            offer,
            o,
            json!({ "Terms": [{ "Type": "SupportTerm", "RefundPolicy": "No refunds." }] }),
        ),
        change("ReleaseOffer", offer, o, json!({})),
    ];
    let mut cs = ChangeSet {
        id: world.ids.alnum(25),
        account: SELLER_ACCOUNT.to_owned(),
        // Named after the product id: titles may hold characters a change-set name may not.
        name: format!("{} first release", seed.id),
        intent: "APPLY".to_owned(),
        status: "SUCCEEDED".to_owned(),
        started: 0.0,
        next_at: 0.0,
        ended: Some(0.0),
        failure_code: None,
        failure_description: None,
        changes,
        locked: Vec::new(),
        tags: Default::default(),
    };
    let before = world.catalog.scheduled.len();
    crate::catalog::apply::apply(world, &mut cs, 0.0);
    if let Some(e) = world.catalog.entities.get_mut(p) {
        e.doc["Description"]["ProductCode"] = json!(seed.code);
    }
    for s in world.catalog.scheduled.iter_mut().skip(before) {
        s.due = 0.0;
        s.image.ready_at = 0.0;
        s.image.product_codes = vec![seed.code.to_owned()];
    }
    crate::catalog::publish::tick(world, 0.0);
    world.catalog.change_sets.insert(cs.id.clone(), cs);
}
