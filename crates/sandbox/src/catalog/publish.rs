//! Publication: after a new version applies, AWS Marketplace clones the submitted AMI into every
//! Region of the product (GovCloud included when listed), owned by the `aws-marketplace` account
//! and carrying the product code, each Region after its own lag. When a clone appears, the public
//! AMI alias parameters `/aws/service/marketplace/<product>/<version>` and `/latest` point at it in
//! that Region.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::world::catalog::{Entity, Scheduled};
use crate::world::ec2::Image;
use crate::world::{MARKETPLACE_ACCOUNT, World};

/// The lag of a Region: an override, or the base plus a deterministic spread.
pub fn lag(world: &World, region: &str) -> f64 {
    let c = &world.config;
    if let Some(l) = c.region_lag_overrides.get(region) {
        return *l;
    }
    let hash = region.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    c.region_lag_seconds + c.region_lag_jitter_seconds * ((hash % 1000) as f64 / 1000.0)
}

/// Schedules the regional clones of a new version: one per Region of the product, each made from
/// the version's source AMI, after that Region's lag.
pub fn schedule(world: &mut World, product: &Entity, version: &Value, at: f64) {
    let title = version["VersionTitle"].as_str().unwrap_or("").to_owned();
    let source_ami = version["Sources"][0]["Image"].as_str().unwrap_or("");
    let source = world.ec2.images.get(source_ami).cloned();
    let regions: Vec<String> = product.doc["RegionAvailability"]["Regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    for region in regions {
        let due = at + lag(world, &region);
        schedule_copy(world, product, &title, &region, source.as_ref(), due);
    }
}

/// Schedules one Marketplace-owned copy of `source` (public, carrying the product's code, named
/// `<source name>-<uuid>`) to appear in `region` at virtual second `due`, with the version's
/// public AMI alias parameters.
pub fn schedule_copy(
    world: &mut World,
    product: &Entity,
    title: &str,
    region: &str,
    source: Option<&Image>,
    due: f64,
) {
    let code = product.doc["Description"]["ProductCode"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let id = world.ids.resource("ami");
    let snap = world.ids.resource("snap");
    let suffix = world.ids.uuid();
    let name = format!(
        "{}-{suffix}",
        source.map_or("marketplace-image", |s| s.name.as_str())
    );
    let image = Image {
        id,
        region: region.to_owned(),
        owner: MARKETPLACE_ACCOUNT.to_owned(),
        name,
        description: Some(format!(
            "{} {}",
            product.doc["Description"]["ProductTitle"]
                .as_str()
                .unwrap_or(""),
            title
        )),
        architecture: source.map_or("x86_64".into(), |s| s.architecture.clone()),
        virtualization: "hvm".into(),
        root_device_type: "ebs".into(),
        ena_support: true,
        snapshots: vec![snap],
        volume_size: source.map_or(8, |s| s.volume_size),
        creation_date: world
            .clock
            .at(due)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        ready_at: due,
        fails: false,
        deregistered: false,
        public: true,
        launch_users: Default::default(),
        product_codes: vec![code],
        tags: BTreeMap::new(),
        source: None,
        deprecation_time: None,
        last_launched: None,
    };
    let aliases = vec![
        format!("/aws/service/marketplace/{}/{title}", product.id),
        format!("/aws/service/marketplace/{}/latest", product.id),
    ];
    world.catalog.scheduled.push(Scheduled {
        due,
        image,
        aliases,
    });
}

/// Makes every clone that is due visible, oldest first.
pub fn tick(world: &mut World, now: f64) {
    if !world.catalog.scheduled.iter().any(|s| s.due <= now) {
        return;
    }
    let mut due: Vec<Scheduled> = Vec::new();
    world.catalog.scheduled.retain(|s| {
        if s.due <= now {
            due.push(s.clone());
            false
        } else {
            true
        }
    });
    due.sort_by(|a, b| a.due.total_cmp(&b.due));
    for s in due {
        let (region, id) = (s.image.region.clone(), s.image.id.clone());
        world.ec2.images.insert(id.clone(), s.image);
        for alias in &s.aliases {
            crate::ssm::put_public(world, &region, alias, &id);
        }
    }
}
