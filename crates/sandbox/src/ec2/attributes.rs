//! Tags, image launch permissions, snapshot create-volume permissions and deprecation: the
//! sharing operations, owner-only, with AWS's rules (product-coded images and encrypted snapshots
//! cannot be made public). A `drop_share` fault makes a valid sharing request answer success
//! without recording the permission.

use super::{Ctx, owned_image_mut, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::World;

pub(super) fn create_tags(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let ids = p.list("ResourceId");
    if ids.is_empty() {
        return Err(AwsError::missing("ResourceId"));
    }
    let mut tags = Vec::new();
    for (_, t) in p.indexed("Tag") {
        let key = t.require("Key")?.to_owned();
        if key.len() > 128 || key.starts_with("aws:") {
            return Err(AwsError::invalid(
                "Tag.Key",
                &key,
                "Keys are at most 128 characters and may not start with aws:.",
            ));
        }
        tags.push((key, t.get("Value").unwrap_or("").to_owned()));
    }
    for id in &ids {
        let target = tag_target(world, ctx, id)?;
        for (k, v) in &tags {
            target.insert(k.clone(), v.clone());
        }
        if target.len() > 50 {
            return Err(AwsError::bad(
                "TagLimitExceeded",
                format!("The maximum number of tags (50) for resource {id} has been reached."),
            ));
        }
    }
    Ok(super::ok("CreateTags", ctx))
}

pub(super) fn delete_tags(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let keys: Vec<String> = p
        .indexed("Tag")
        .iter()
        .filter_map(|(_, t)| t.get("Key").map(str::to_owned))
        .collect();
    for id in p.list("ResourceId") {
        let target = tag_target(world, ctx, &id)?;
        for k in &keys {
            target.remove(k);
        }
    }
    Ok(super::ok("DeleteTags", ctx))
}

fn tag_target<'w>(
    world: &'w mut World,
    ctx: &Ctx,
    id: &str,
) -> AwsResult<&'w mut std::collections::BTreeMap<String, String>> {
    if id.starts_with("ami-") {
        return Ok(&mut owned_image_mut(world, ctx, id)?.tags);
    }
    if id.starts_with("snap-") {
        let account = ctx.account().to_owned();
        return world
            .ec2
            .snapshots
            .get_mut(id)
            .filter(|s| s.region == ctx.region && s.owner == account)
            .map(|s| &mut s.tags)
            .ok_or_else(|| snapshot_not_found(id));
    }
    Err(AwsError::bad(
        "InvalidID",
        format!("The ID '{id}' is not valid"),
    ))
}

pub(crate) fn snapshot_not_found(id: &str) -> AwsError {
    AwsError::bad(
        "InvalidSnapshot.NotFound",
        format!("The snapshot '{id}' does not exist."),
    )
}

pub(super) fn describe_image_attribute(
    world: &mut World,
    ctx: &Ctx,
    p: &Params,
) -> AwsResult<String> {
    let id = p.require("ImageId")?.to_owned();
    let attribute = p.require("Attribute")?.to_owned();
    let image = owned_image_mut(world, ctx, &id)?.clone();
    let body = match attribute.as_str() {
        "launchPermission" => {
            let mut x = crate::protocol::xml::Xml::default();
            x.open("launchPermission");
            if image.public {
                x.open("item").leaf("group", "all").close("item");
            }
            for u in &image.launch_users {
                x.open("item").leaf("userId", u).close("item");
            }
            x.close("launchPermission");
            x.finish()
        }
        "description" => {
            let mut x = crate::protocol::xml::Xml::default();
            x.open("description")
                .opt("value", image.description.as_deref())
                .close("description");
            x.finish()
        }
        // <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html>
        "lastLaunchedTime" => {
            let mut x = crate::protocol::xml::Xml::default();
            x.open("lastLaunchedTime")
                .opt("value", image.last_launched.as_deref())
                .close("lastLaunchedTime");
            x.finish()
        }
        "productCodes" => {
            let mut x = crate::protocol::xml::Xml::default();
            x.open("productCodes");
            for c in &image.product_codes {
                x.open("item")
                    .leaf("productCode", c)
                    .leaf("type", "marketplace")
                    .close("item");
            }
            x.close("productCodes");
            x.finish()
        }
        other => {
            return Err(AwsError::invalid(
                "Attribute",
                other,
                "Supported: launchPermission, description, productCodes.",
            ));
        }
    };
    Ok(response("DescribeImageAttribute", ctx, |x| {
        x.leaf("imageId", &id);
        x.raw(&body);
    }))
}

/// Accounts and groups to add and remove, from either request style: `LaunchPermission.Add.N.*`
/// (the SDKs) or `OperationType` + `UserId.N` / `UserGroup.N` (the older form).
fn permission_changes(
    p: &Params,
    structure: &str,
) -> AwsResult<(Vec<String>, Vec<String>, bool, bool)> {
    let (mut add, mut remove, mut add_all, mut remove_all) = (Vec::new(), Vec::new(), false, false);
    for (op, users, all) in [
        ("Add", &mut add, &mut add_all),
        ("Remove", &mut remove, &mut remove_all),
    ] {
        for (_, perm) in p.indexed(&format!("{structure}.{op}")) {
            if let Some(u) = perm.get("UserId") {
                users.push(u.to_owned());
            }
            match perm.get("Group") {
                Some("all") => *all = true,
                Some(g) => return Err(AwsError::invalid("Group", g, "The only group is all.")),
                None => {}
            }
        }
    }
    if let Some(op) = p.get("OperationType") {
        let (users, all) = match op {
            "add" => (&mut add, &mut add_all),
            "remove" => (&mut remove, &mut remove_all),
            other => {
                return Err(AwsError::invalid(
                    "OperationType",
                    other,
                    "Use add or remove.",
                ));
            }
        };
        users.extend(p.list("UserId"));
        if p.list("UserGroup").iter().any(|g| g == "all") {
            *all = true;
        }
    }
    for u in add.iter().chain(&remove) {
        if u.len() != 12 || !u.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AwsError::bad(
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{u}\""),
            ));
        }
    }
    Ok((add, remove, add_all, remove_all))
}

pub(super) fn modify_image_attribute(
    world: &mut World,
    ctx: &Ctx,
    p: &Params,
) -> AwsResult<String> {
    let id = p.require("ImageId")?.to_owned();
    let image = owned_image_mut(world, ctx, &id)?;
    if let Some(d) = p.get("Description.Value") {
        image.description = Some(d.to_owned());
        return Ok(super::ok("ModifyImageAttribute", ctx));
    }
    let (add, remove, add_all, remove_all) = permission_changes(p, "LaunchPermission")?;
    if add.is_empty() && remove.is_empty() && !add_all && !remove_all {
        return Err(AwsError::missing("LaunchPermission"));
    }
    if add_all && !image.product_codes.is_empty() {
        return Err(AwsError::bad(
            "InvalidParameter",
            "AMIs with a Marketplace product code cannot be made public.",
        ));
    }
    if ctx.drop_share {
        return Ok(super::ok("ModifyImageAttribute", ctx));
    }
    image.launch_users.extend(add);
    for u in remove {
        image.launch_users.remove(&u);
    }
    if add_all {
        image.public = true;
    }
    if remove_all {
        image.public = false;
    }
    Ok(super::ok("ModifyImageAttribute", ctx))
}

pub(super) fn describe_snapshot_attribute(
    world: &mut World,
    ctx: &Ctx,
    p: &Params,
) -> AwsResult<String> {
    let id = p.require("SnapshotId")?.to_owned();
    let attribute = p.require("Attribute")?;
    if attribute != "createVolumePermission" {
        return Err(AwsError::invalid(
            "Attribute",
            attribute,
            "Supported: createVolumePermission.",
        ));
    }
    let account = ctx.account();
    let s = world
        .ec2
        .snapshots
        .get(&id)
        .filter(|s| s.region == ctx.region && s.owner == account)
        .ok_or_else(|| snapshot_not_found(&id))?;
    let (public, users) = (s.public, s.volume_users.clone());
    Ok(response("DescribeSnapshotAttribute", ctx, |x| {
        x.leaf("snapshotId", &id);
        x.open("createVolumePermission");
        if public {
            x.open("item").leaf("group", "all").close("item");
        }
        for u in &users {
            x.open("item").leaf("userId", u).close("item");
        }
        x.close("createVolumePermission");
    }))
}

pub(super) fn modify_snapshot_attribute(
    world: &mut World,
    ctx: &Ctx,
    p: &Params,
) -> AwsResult<String> {
    let id = p.require("SnapshotId")?.to_owned();
    let (add, remove, add_all, remove_all) = permission_changes(p, "CreateVolumePermission")?;
    let account = ctx.account().to_owned();
    let s = world
        .ec2
        .snapshots
        .get_mut(&id)
        .filter(|s| s.region == ctx.region && s.owner == account)
        .ok_or_else(|| snapshot_not_found(&id))?;
    if add_all && s.encrypted {
        return Err(AwsError::bad(
            "InvalidParameter",
            "Encrypted snapshots cannot be made public.",
        ));
    }
    if ctx.drop_share {
        return Ok(super::ok("ModifySnapshotAttribute", ctx));
    }
    s.volume_users.extend(add);
    for u in remove {
        s.volume_users.remove(&u);
    }
    if add_all {
        s.public = true;
    }
    if remove_all {
        s.public = false;
    }
    Ok(super::ok("ModifySnapshotAttribute", ctx))
}

pub(super) fn enable_deprecation(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let id = p.require("ImageId")?.to_owned();
    let at = p.require("DeprecateAt")?.to_owned();
    let parsed = chrono::DateTime::parse_from_rfc3339(&at)
        .map_err(|_| AwsError::invalid("DeprecateAt", &at, "Use an ISO 8601 UTC time."))?
        .with_timezone(&chrono::Utc);
    if parsed < world.clock.now() {
        return Err(AwsError::invalid(
            "DeprecateAt",
            &at,
            "The time must be in the future.",
        ));
    }
    let image = owned_image_mut(world, ctx, &id)?;
    image.deprecation_time = Some(parsed.format("%Y-%m-%dT%H:%M:00.000Z").to_string());
    Ok(super::ok("EnableImageDeprecation", ctx))
}

pub(super) fn disable_deprecation(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let id = p.require("ImageId")?.to_owned();
    owned_image_mut(world, ctx, &id)?.deprecation_time = None;
    Ok(super::ok("DisableImageDeprecation", ctx))
}
