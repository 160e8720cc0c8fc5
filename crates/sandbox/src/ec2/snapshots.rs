//! DeregisterImage (optionally deleting its snapshots), DeleteSnapshot (refused while an image
//! uses the snapshot) and DescribeSnapshots (the caller sees its own, public and explicitly
//! shared snapshots; an unknown id is an error, one it may not restore is left out).

use super::attributes::snapshot_not_found;
use super::{Ctx, glob, owned_image_mut, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::ec2::Snapshot;
use crate::world::{AMAZON_ACCOUNT, World};

pub(super) fn deregister_image(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let id = p.require("ImageId")?.to_owned();
    let delete_snapshots = p.flag("DeleteAssociatedSnapshots");
    let image = owned_image_mut(world, ctx, &id)?;
    image.deregistered = true;
    let snaps = image.snapshots.clone();
    let mut deleted = Vec::new();
    if delete_snapshots {
        for s in snaps {
            let in_use = world
                .ec2
                .images
                .values()
                .any(|i| !i.deregistered && i.snapshots.contains(&s));
            if !in_use && world.ec2.snapshots.remove(&s).is_some() {
                deleted.push(s);
            }
        }
    }
    Ok(response("DeregisterImage", ctx, |x| {
        x.leaf("return", "true");
        if delete_snapshots {
            x.open("deleteSnapshotResultSet");
            for s in &deleted {
                x.open("item")
                    .leaf("snapshotId", s)
                    .leaf("returnCode", "success")
                    .close("item");
            }
            x.close("deleteSnapshotResultSet");
        }
    }))
}

pub(super) fn delete_snapshot(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let id = p.require("SnapshotId")?.to_owned();
    let account = ctx.account().to_owned();
    let exists = world
        .ec2
        .snapshots
        .get(&id)
        .is_some_and(|s| s.region == ctx.region && s.owner == account);
    if !exists {
        return Err(snapshot_not_found(&id));
    }
    if let Some(user) = world
        .ec2
        .images
        .values()
        .find(|i| !i.deregistered && i.snapshots.contains(&id))
    {
        return Err(AwsError::bad(
            "InvalidSnapshot.InUse",
            format!("The snapshot {id} is currently in use by {}", user.id),
        ));
    }
    world.ec2.snapshots.remove(&id);
    Ok(super::ok("DeleteSnapshot", ctx))
}

pub(super) fn describe_snapshots(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let ids = p.list("SnapshotId");
    let owners = p.list("Owner");
    let restorable = p.list("RestorableBy");
    let filters = p.filters();
    let account = ctx.account().to_owned();
    for (name, _) in &filters {
        if !matches!(
            name.as_str(),
            "snapshot-id" | "owner-id" | "status" | "encrypted" | "tag-key" | "description"
        ) && !name.starts_with("tag:")
        {
            return Err(AwsError::bad(
                "InvalidParameterValue",
                format!("The filter '{name}' is invalid"),
            ));
        }
    }
    // An id that does not exist is an error; one the caller may not restore is left out.
    let exists = |id: &String| {
        world
            .ec2
            .snapshots
            .get(id)
            .is_some_and(|s| s.region == ctx.region)
    };
    if let Some(missing) = ids.iter().find(|id| !exists(id)) {
        return Err(snapshot_not_found(missing));
    }
    let found: Vec<_> = world
        .ec2
        .snapshots
        .values()
        .filter(|s| s.region == ctx.region)
        .filter(|s| s.owner == account || s.public || s.volume_users.contains(&account))
        .filter(|s| ids.is_empty() || ids.contains(&s.id))
        .filter(|s| owners.is_empty() || owners.iter().any(|o| owned_by(o, &account, s)))
        .filter(|s| {
            restorable.is_empty() || restorable.iter().any(|r| restorable_by(r, &account, s))
        })
        .filter(|s| {
            filters.iter().all(|(name, values)| {
                values.iter().any(|v| match name.as_str() {
                    "snapshot-id" => glob(v, &s.id),
                    "owner-id" => glob(v, &s.owner),
                    "status" => glob(v, "completed"),
                    "encrypted" => v == if s.encrypted { "true" } else { "false" },
                    "description" => s.description.as_deref().is_some_and(|d| glob(v, d)),
                    "tag-key" => s.tags.keys().any(|k| glob(v, k)),
                    tag => tag
                        .strip_prefix("tag:")
                        .is_some_and(|k| s.tags.get(k).is_some_and(|t| glob(v, t))),
                })
            })
        })
        .cloned()
        .collect();
    Ok(response("DescribeSnapshots", ctx, |x| {
        x.open("snapshotSet");
        for s in &found {
            x.open("item")
                .leaf("snapshotId", &s.id)
                .leaf("volumeId", "vol-ffffffff")
                .leaf("status", "completed")
                .leaf("startTime", &s.start_time)
                .leaf("progress", "100%")
                .leaf("storageTier", "standard")
                .leaf("ownerId", &s.owner)
                .leaf("volumeSize", s.volume_size.to_string())
                .opt("description", s.description.as_deref())
                .leaf("encrypted", if s.encrypted { "true" } else { "false" })
                .opt("kmsKeyId", s.kms_key_id.as_deref());
            if !s.tags.is_empty() {
                x.open("tagSet");
                for (k, v) in &s.tags {
                    x.open("item").leaf("key", k).leaf("value", v).close("item");
                }
                x.close("tagSet");
            }
            x.close("item");
        }
        x.close("snapshotSet");
    }))
}

/// The `Owner.N` selector: `self`, `amazon` or an account id.
fn owned_by(owner: &str, account: &str, s: &Snapshot) -> bool {
    match owner {
        "self" => s.owner == account,
        "amazon" => s.owner == AMAZON_ACCOUNT,
        id => s.owner == id,
    }
}

/// The `RestorableBy.N` selector (`RestorableByUserIds`), as
/// <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html> has it:
/// `all` for public snapshots, `self` (or the caller's own id) for snapshots the caller owns or
/// holds an explicit create-volume permission on, and another account's id only on snapshots the
/// caller owns.
fn restorable_by(who: &str, account: &str, s: &Snapshot) -> bool {
    match who {
        "all" => s.public,
        "self" => s.owner == account || s.volume_users.contains(account),
        id if id == account => s.owner == account || s.volume_users.contains(account),
        id => s.owner == account && s.volume_users.contains(id),
    }
}
