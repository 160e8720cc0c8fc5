//! Built-in worlds. `fedora`: Fedora's build account owning public Fedora Cloud Base AMIs
//! (x86_64 and aarch64, releases 40 and 41, plus a Rawhide nightly) in the 22 Regions of the
//! sample bus messages, with the AMI ids of those messages; a seller account holding the
//! Marketplace ingestion role; and a buyer account.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::AwsError;
use crate::world::World;
use crate::world::ec2::{Image, Snapshot};
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam, Role};

/// Fedora's build account.
pub const FEDORA_BUILD_ACCOUNT: &str = "125523088429";
/// Its access key in the sandbox.
pub const FEDORA_BUILD_KEY: &str = "AKIASANDBOXFEDORA001";
/// The Marketplace seller account.
pub const SELLER_ACCOUNT: &str = "111122223333";
/// Its access key in the sandbox.
pub const SELLER_KEY: &str = "AKIASANDBOXSELLER001";
/// A buyer account.
pub const BUYER_ACCOUNT: &str = "444455556666";
/// Its access key in the sandbox.
pub const BUYER_KEY: &str = "AKIASANDBOXBUYER0001";
/// The seller's ingestion role name.
pub const INGESTION_ROLE: &str = "AwsMarketplaceAmiIngestion";

const MESSAGES: &[&str] = &[
    include_str!("../../../fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json"),
    include_str!("../../../fixtures/fedora-messaging/aws-published-cloud-base-41-aarch64.json"),
    include_str!("../../../fixtures/fedora-messaging/aws-published-rawhide-x86_64.json"),
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
        },
    );
}
