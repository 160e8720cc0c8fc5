//! CopyImage: started in the destination Region, asynchronous (`pending` for the configured
//! copy duration), idempotent by `ClientToken`, refused across partitions, and cross-account only
//! when the source is public or shared with the caller (shared images also need their snapshots
//! shared). Encrypted sources cannot become unencrypted copies.

use std::collections::BTreeMap;

use super::{Ctx, ami_id, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::ec2::{Ec2, Image, Snapshot, TokenUse};
use crate::world::{World, partition_of};

pub(super) fn copy_image(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let source_id = p.require("SourceImageId")?.to_owned();
    let source_region = p.require("SourceRegion")?.to_owned();
    let name = p.require("Name")?.to_owned();
    ami_id(&source_id)?;
    if name.len() < 3 || name.len() > 128 {
        return Err(AwsError::invalid(
            "Name",
            &name,
            "AMI names must be between 3 and 128 characters long.",
        ));
    }
    let account = ctx.account().to_owned();
    if amipub_domain::catalog_data::region(&source_region).is_none() {
        return Err(AwsError::invalid(
            "SourceRegion",
            &source_region,
            "The Region does not exist.",
        ));
    }
    if partition_of(&source_region) != partition_of(&ctx.region) {
        return Err(AwsError::bad(
            "InvalidRequest",
            format!(
                "Copying an AMI from {source_region} to {} crosses partitions, which CopyImage does not support; use CreateStoreImageTask instead.",
                ctx.region
            ),
        ));
    }
    if !world.region_enabled(&account, &source_region) {
        return Err(AwsError::bad(
            "OptInRequired",
            format!(
                "You are not subscribed to the Region {source_region}; enable it for this account first."
            ),
        ));
    }
    let encrypted_requested = p.flag("Encrypted");
    let kms = p.get("KmsKeyId").map(str::to_owned);
    let copy_tags = p.flag("CopyImageTags");
    let tag_specs = tag_specifications(p)?;

    let token = p.get("ClientToken").map(str::to_owned);
    let fingerprint = format!(
        "{source_id}|{source_region}|{name}|{encrypted_requested}|{kms:?}|{copy_tags}|{:?}|{:?}",
        p.get("Description"),
        tag_specs
    );
    if let Some(t) = &token {
        if t.len() > 64 {
            return Err(AwsError::invalid(
                "ClientToken",
                t,
                "It must be at most 64 ASCII characters.",
            ));
        }
        if let Some(used) = world
            .ec2
            .copy_tokens
            .get(&Ec2::token_key(&account, &ctx.region, t))
        {
            if used.fingerprint == fingerprint {
                let id = used.image_id.clone();
                return Ok(response("CopyImage", ctx, |x| {
                    x.leaf("imageId", &id);
                }));
            }
            return Err(AwsError::bad(
                "IdempotentParameterMismatch",
                format!("The client token '{t}' was already used with different parameters."),
            ));
        }
    }

    let source = world
        .ec2
        .images
        .get(&source_id)
        .filter(|i| i.region == source_region && i.visible_to(&account))
        .cloned()
        .ok_or_else(|| {
            AwsError::bad(
                "InvalidAMIID.NotFound",
                format!("The image id '[{source_id}]' does not exist"),
            )
        })?;
    let cross_account = source.owner != account;
    if source.state(ctx.now) != "available" {
        return Err(AwsError::bad(
            "IncorrectState",
            format!(
                "The image '{source_id}' is {}; only available images can be copied.",
                source.state(ctx.now)
            ),
        ));
    }
    if cross_account && !source.product_codes.is_empty() {
        return Err(AwsError::bad(
            "InvalidRequest",
            "Images from AWS Marketplace cannot be copied to another AWS account.",
        ));
    }
    let snaps: Vec<Snapshot> = source
        .snapshots
        .iter()
        .filter_map(|s| world.ec2.snapshots.get(s).cloned())
        .collect();
    if cross_account && !source.public {
        let readable = snaps
            .iter()
            .all(|s| s.public || s.volume_users.contains(&account));
        if !readable {
            return Err(AwsError::bad(
                "InvalidRequest",
                "You do not have permission to access the storage of this ami",
            ));
        }
    }
    let source_encrypted = snaps.iter().any(|s| s.encrypted);
    if source_encrypted && !encrypted_requested && p.get("Encrypted").is_some() {
        return Err(AwsError::bad(
            "InvalidParameterCombination",
            "An encrypted AMI cannot be copied to an unencrypted one.",
        ));
    }
    if source_encrypted && cross_account && kms.is_none() {
        return Err(AwsError::bad(
            "InvalidRequest",
            "The source snapshots are encrypted with a key of another account; specify a KmsKeyId this account can use.",
        ));
    }

    let encrypted = source_encrypted || encrypted_requested;
    let now_iso = world.now_iso();
    let new_id = world.ids.resource("ami");
    let mut snapshot_ids = Vec::new();
    for s in &snaps {
        let id = world.ids.resource("snap");
        let mut tags = BTreeMap::new();
        tags.extend(tag_specs.get("snapshot").cloned().unwrap_or_default());
        world.ec2.snapshots.insert(
            id.clone(),
            Snapshot {
                id: id.clone(),
                region: ctx.region.clone(),
                owner: account.clone(),
                volume_size: s.volume_size,
                encrypted,
                kms_key_id: if encrypted { kms.clone().or_else(|| s.kms_key_id.clone()) } else { None },
                start_time: now_iso.clone(),
                description: Some(format!("Copied for DestinationAmi {new_id} from SourceAmi {source_id} for SourceSnapshot {}", s.id)),
                public: false,
                volume_users: Default::default(),
                tags,
            },
        );
        snapshot_ids.push(id);
    }
    let mut tags = BTreeMap::new();
    if copy_tags && !cross_account {
        tags.extend(
            source
                .tags
                .iter()
                .filter(|(k, _)| !k.starts_with("aws:"))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    tags.extend(tag_specs.get("image").cloned().unwrap_or_default());
    let image = Image {
        id: new_id.clone(),
        region: ctx.region.clone(),
        owner: account.clone(),
        name,
        description: p
            .get("Description")
            .map(str::to_owned)
            .or(source.description.clone()),
        architecture: source.architecture.clone(),
        virtualization: source.virtualization.clone(),
        root_device_type: source.root_device_type.clone(),
        ena_support: source.ena_support,
        snapshots: snapshot_ids,
        volume_size: source.volume_size,
        creation_date: now_iso,
        ready_at: ctx.now + world.config.copy_seconds,
        fails: false,
        deregistered: false,
        public: false,
        launch_users: Default::default(),
        product_codes: Vec::new(),
        tags,
        source: Some((source_id, source_region)),
        deprecation_time: None,
        last_launched: None,
    };
    world.ec2.images.insert(new_id.clone(), image);
    if let Some(t) = token {
        world.ec2.copy_tokens.insert(
            Ec2::token_key(&account, &ctx.region, &t),
            TokenUse {
                image_id: new_id.clone(),
                fingerprint,
            },
        );
    }
    Ok(response("CopyImage", ctx, |x| {
        x.leaf("imageId", &new_id);
    }))
}

/// `TagSpecification.N.ResourceType` / `.Tag.M.Key|Value` → resource type → tags.
fn tag_specifications(p: &Params) -> AwsResult<BTreeMap<String, BTreeMap<String, String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (_, spec) in p.indexed("TagSpecification") {
        let kind = spec.require("ResourceType")?.to_owned();
        if !matches!(kind.as_str(), "image" | "snapshot") {
            return Err(AwsError::invalid(
                "TagSpecification.ResourceType",
                &kind,
                "CopyImage can tag only image and snapshot.",
            ));
        }
        for (_, tag) in spec.indexed("Tag") {
            out.entry(kind.clone()).or_default().insert(
                tag.require("Key")?.to_owned(),
                tag.get("Value").unwrap_or("").to_owned(),
            );
        }
    }
    Ok(out)
}
