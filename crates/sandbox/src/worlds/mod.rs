//! Built-in worlds. `fedora`: Fedora's build account owning public Fedora Cloud Base AMIs
//! (x86_64 and aarch64, releases 40 and 41, plus a Rawhide nightly) in the 22 Regions of the
//! sample bus messages, with the AMI ids of those messages; a seller account holding the
//! Marketplace ingestion role; a buyer account; and access keys of AWS Marketplace's own two
//! accounts, so a test can read back, as the Marketplace, what a second-party seller shared.
//! `products` seeds the listings a seller has after a first release; `tests` checks that every
//! seeded name passes the sandbox's own rules for names a client could send back.

mod products;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::AwsError;
use crate::world::ec2::{Image, Snapshot};
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam, Role};
use crate::world::{MARKETPLACE_ACCOUNT, MARKETPLACE_SCAN_ACCOUNT, World};

pub use products::add_product;

/// Fedora's build account.
pub const FEDORA_BUILD_ACCOUNT: &str = "125523088429";
/// Its access key in the sandbox.
pub const FEDORA_BUILD_KEY: &str = "AKIASANDBOXFEDORA001";
/// The Marketplace seller account.
pub const SELLER_ACCOUNT: &str = "111122223333";
/// Its access key in the sandbox.
pub const SELLER_KEY: &str = "AKIASANDBOXSELLER001";
/// The seller's account in the GovCloud (US) partition, where Marketplace AMIs are located and
/// SSM parameters written for products listed in GovCloud.
pub const GOVCLOUD_SELLER_ACCOUNT: &str = "222233334444";
/// Its access key in the sandbox (valid only in `us-gov-*` Regions).
pub const GOVCLOUD_SELLER_KEY: &str = "AKIASANDBOXGOVSELL01";
/// A buyer account.
pub const BUYER_ACCOUNT: &str = "444455556666";
/// Its access key in the sandbox.
pub const BUYER_KEY: &str = "AKIASANDBOXBUYER0001";
/// The access key of AWS Marketplace's publishing account ([`MARKETPLACE_ACCOUNT`]), valid in
/// every partition.
pub const MARKETPLACE_KEY: &str = "AKIASANDBOXMARKET001";
/// The access key of the second Marketplace account the load form names
/// ([`MARKETPLACE_SCAN_ACCOUNT`]), valid in every partition.
pub const MARKETPLACE_SCAN_KEY: &str = "AKIASANDBOXMKTSCAN01";
/// The seller's ingestion role name.
pub const INGESTION_ROLE: &str = "AwsMarketplaceAmiIngestion";
/// The existing Fedora Cloud Base (x86_64) product of the `fedora` world.
pub const FEDORA_PRODUCT_ID: &str = "prod-fedoracbx8664";
/// Its product code.
pub const FEDORA_PRODUCT_CODE: &str = "fedoracloudbasex8664code0";
/// Its public offer.
pub const FEDORA_OFFER_ID: &str = "offer-fedoracbx8664";
/// The metered Acme API Gateway product (`examples/products/metered-appliance.toml`).
pub const METERED_PRODUCT_ID: &str = "prod-acmegateway01";
/// Its product code.
pub const METERED_PRODUCT_CODE: &str = "acmegatewayproductcode000";
/// Its instance types (as in `examples/products/fedora-cloud-base.toml`).
pub const FEDORA_INSTANCE_TYPES: &[&str] = &[
    "t3.micro",
    "t3.small",
    "t3.medium",
    "t3.large",
    "m5.large",
    "m5.xlarge",
    "c5.large",
    "r5.large",
];

const MESSAGES: &[&str] = &[
    include_str!("../../../../fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json"),
    include_str!("../../../../fixtures/fedora-messaging/aws-published-cloud-base-41-aarch64.json"),
    include_str!("../../../../fixtures/fedora-messaging/aws-published-rawhide-x86_64.json"),
];

#[derive(Deserialize)]
struct Message {
    body: Body,
}

#[derive(Deserialize)]
struct Body {
    architecture: String,
    image_name: String,
    regions: BTreeMap<String, String>,
}

/// The example Fedora Cloud Base spec (`examples/products/fedora-cloud-base.toml`).
const FEDORA_SPEC: &str = include_str!("../../../../examples/products/fedora-cloud-base.toml");

/// The ARN of the seller's ingestion role.
pub fn ingestion_role_arn() -> String {
    format!("arn:aws:iam::{SELLER_ACCOUNT}:role/{INGESTION_ROLE}")
}

/// The example Fedora Cloud Base spec with this world's product id, code and offer filled in.
pub fn fedora_spec() -> Option<amipub_domain::spec::ProductSpec> {
    let mut spec = amipub_domain::spec::parse_spec(FEDORA_SPEC).ok()?;
    spec.product.id = Some(FEDORA_PRODUCT_ID.to_owned());
    spec.product.product_code = Some(FEDORA_PRODUCT_CODE.to_owned());
    spec.product.offer_id = Some(FEDORA_OFFER_ID.to_owned());
    Some(spec)
}

/// Listing `k` of a fleet: its product id, product code and offer id, valid as the
/// Marketplace writes them.
pub fn fleet_ids(k: usize) -> (String, String, String) {
    (
        format!("prod-fleet{k:08}"),
        format!("fleetcode{k:02}"),
        format!("offer-fleet{k:08}"),
    )
}

/// Adds listing `k` of a fleet to the world and returns its spec as TOML text: the example
/// Fedora spec with the listing's ids, slug `fleet-NN`, SSM paths under `/fleet/NN/`, only
/// `regions`, and no GovCloud.
pub fn add_fleet_product(world: &mut World, k: usize, regions: &[String]) -> String {
    let (id, code, offer) = fleet_ids(k);
    add_product(world, &id, &code, &format!("Fleet {k}"), regions.to_vec());
    let include: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
    FEDORA_SPEC
        .replacen(
            "[product]\n",
            &format!(
                "[product]\nid = \"{id}\"\nproduct_code = \"{code}\"\noffer_id = \"{offer}\"\n"
            ),
            1,
        )
        .replace(
            "slug = \"fedora-cloud-base-x86-64\"",
            &format!("slug = \"fleet-{k:02}\""),
        )
        .replace(
            "all = true\n",
            &format!("all = false\ninclude = [{}]\n", include.join(", ")),
        )
        .replace("govcloud = true", "govcloud = false")
        .replace("/fedora/cloud/", &format!("/fleet/{k:02}/"))
}

/// The build of the sample Fedora 41 Cloud Base x86_64 message, with its us-east-1 AMI.
pub fn fedora_build() -> Option<amipub_domain::release::build::Build> {
    let message: serde_json::Value = serde_json::from_str(MESSAGES[0]).ok()?;
    amipub_domain::release::build::from_fedora_body(&message["body"], "us-east-1").ok()
}

/// Names of the built-in worlds.
pub const WORLDS: &[&str] = &["empty", "fedora"];

/// Seeds a built-in world into `world`.
pub fn seed(world: &mut World, name: &str) -> Result<(), AwsError> {
    match name {
        "empty" => Ok(()),
        "fedora" => {
            fedora(world);
            Ok(())
        }
        other => Err(AwsError::bad(
            "UnknownWorld",
            format!(
                "No built-in world {other:?}; choose one of {}",
                WORLDS.join(", ")
            ),
        )),
    }
}

fn fedora(world: &mut World) {
    world.add_account(FEDORA_BUILD_ACCOUNT, "fedora-build", &[FEDORA_BUILD_KEY]);
    world.add_account(SELLER_ACCOUNT, "seller", &[SELLER_KEY]);
    world.add_account(BUYER_ACCOUNT, "buyer", &[BUYER_KEY]);
    world.add_account(
        GOVCLOUD_SELLER_ACCOUNT,
        "seller-govcloud",
        &[GOVCLOUD_SELLER_KEY],
    );
    world.add_account(MARKETPLACE_ACCOUNT, "aws-marketplace", &[MARKETPLACE_KEY]);
    world.add_account(
        MARKETPLACE_SCAN_ACCOUNT,
        "aws-marketplace-scan",
        &[MARKETPLACE_SCAN_KEY],
    );
    for (acct, partition) in [
        (FEDORA_BUILD_ACCOUNT, "aws"),
        (SELLER_ACCOUNT, "aws"),
        (BUYER_ACCOUNT, "aws"),
        (GOVCLOUD_SELLER_ACCOUNT, "aws-us-gov"),
    ] {
        if let Some(a) = world.accounts.get_mut(acct) {
            a.partition = Some(partition.to_owned());
        }
    }
    let opt_in: Vec<String> = amipub_domain::catalog_data::regions()
        .iter()
        .filter(|r| r.opt_in)
        .map(|r| r.code.clone())
        .collect();
    for acct in [FEDORA_BUILD_ACCOUNT, SELLER_ACCOUNT, BUYER_ACCOUNT] {
        if let Some(a) = world.accounts.get_mut(acct) {
            a.enabled_regions.extend(opt_in.iter().cloned());
        }
    }
    for text in MESSAGES {
        let Ok(m) = serde_json::from_str::<Message>(text) else {
            continue;
        };
        let arch = if m.body.architecture == "aarch64" {
            "arm64"
        } else {
            "x86_64"
        };
        for (region, ami) in &m.body.regions {
            public_image(world, ami, region, &m.body.image_name, arch);
        }
        // The previous release too, with ids derived from the sample's.
        if m.body.image_name.contains("-41-") {
            let name = m.body.image_name.replace("-41-1.4", "-40-1.14");
            for (region, ami) in &m.body.regions {
                let older = format!("ami-{}", ami[4..].chars().rev().collect::<String>());
                public_image(world, &older, region, &name, arch);
            }
        }
    }
    seller_role(world);
    products::existing_product(world);
    crate::sqs::ensure_queue(world, SELLER_ACCOUNT, "us-east-1", "amipub-catalog-events");
}

fn seller_role(world: &mut World) {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "Service": INGESTION_PRINCIPAL }, "Action": "sts:AssumeRole" }]
    });
    let created = world.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let id = format!("AROA{}", world.ids.alnum(17).to_uppercase());
    world.iam.roles.insert(
        Iam::key(SELLER_ACCOUNT, INGESTION_ROLE),
        Role {
            account: SELLER_ACCOUNT.to_owned(),
            name: INGESTION_ROLE.to_owned(),
            path: "/".to_owned(),
            id,
            trust_policy: trust.to_string(),
            description: Some("Lets AWS Marketplace read AMIs submitted for listing".to_owned()),
            created,
            attached: [INGESTION_POLICY_ARN.to_owned()].into(),
            tags: Default::default(),
        },
    );
}

/// Adds a public, available image with one 5 GiB snapshot, owned by Fedora's build account.
fn public_image(world: &mut World, ami: &str, region: &str, name: &str, arch: &str) {
    let snap = world.ids.resource("snap");
    let created = world.now_iso();
    world.ec2.snapshots.insert(
        snap.clone(),
        Snapshot {
            id: snap.clone(),
            region: region.to_owned(),
            owner: FEDORA_BUILD_ACCOUNT.to_owned(),
            volume_size: 5,
            encrypted: false,
            kms_key_id: None,
            start_time: created.clone(),
            description: Some(format!("Snapshot of {name}")),
            public: false,
            volume_users: Default::default(),
            tags: Default::default(),
        },
    );
    world.ec2.images.insert(
        ami.to_owned(),
        Image {
            id: ami.to_owned(),
            region: region.to_owned(),
            owner: FEDORA_BUILD_ACCOUNT.to_owned(),
            name: name.to_owned(),
            description: Some(format!("{name} (Fedora Cloud Base)")),
            architecture: arch.to_owned(),
            virtualization: "hvm".to_owned(),
            root_device_type: "ebs".to_owned(),
            ena_support: true,
            snapshots: vec![snap],
            volume_size: 5,
            creation_date: created,
            ready_at: 0.0,
            fails: false,
            deregistered: false,
            public: true,
            launch_users: Default::default(),
            product_codes: Vec::new(),
            tags: Default::default(),
            source: None,
            deprecation_time: None,
            last_launched: None,
        },
    );
}
