//! DescribeImages: owners, executable-by, image ids, filters, deprecation and pagination; and
//! the `<item>` rendering of an image shared with the other image operations.

use super::{Ctx, ami_id, glob, not_found_image, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::protocol::xml::Xml;
use crate::world::ec2::Image;
use crate::world::{AMAZON_ACCOUNT, MARKETPLACE_ACCOUNT, World};

/// Filters DescribeImages understands.
const FILTERS: &[&str] = &[
    "architecture",
    "description",
    "image-id",
    "image-type",
    "is-public",
    "name",
    "owner-alias",
    "owner-id",
    "product-code",
    "product-code.type",
    "root-device-type",
    "source-image-id",
    "state",
    "tag-key",
    "virtualization-type",
];

pub(super) fn describe(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let ids = p.list("ImageId");
    let owners = p.list("Owner");
    let executable = p.list("ExecutableBy");
    let filters = p.filters();
    let max = p.int("MaxResults")?;
    if !ids.is_empty() && max.is_some() {
        return Err(AwsError::bad(
            "InvalidParameterCombination",
            "The parameter ImageIds cannot be used with the parameter MaxResults",
        ));
    }
    if let Some(m) = max
        && !(5..=1000).contains(&m)
    {
        return Err(AwsError::invalid(
            "MaxResults",
            &m.to_string(),
            "It must be between 5 and 1000.",
        ));
    }
    for id in &ids {
        ami_id(id)?;
    }
    for (name, _) in &filters {
        if !FILTERS.contains(&name.as_str()) && !name.starts_with("tag:") {
            return Err(AwsError::bad(
                "InvalidParameterValue",
                format!("The filter '{name}' is invalid"),
            ));
        }
    }
    for o in &owners {
        let ok = matches!(o.as_str(), "self" | "amazon" | "aws-marketplace" | "all")
            || (o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(AwsError::bad(
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{o}\""),
            ));
        }
    }
    let account = ctx.account().to_owned();
    let now_iso = world.now_iso();
    let include_deprecated = p.flag("IncludeDeprecated") || !ids.is_empty();

    // Explicit ids are looked up directly; everything else scans the Region's images.
    let candidates: Box<dyn Iterator<Item = &Image>> = if ids.is_empty() {
        Box::new(world.ec2.images.values())
    } else {
        Box::new(ids.iter().filter_map(|id| world.ec2.images.get(id)))
    };
    let mut found: Vec<&Image> = candidates
        .filter(|i| i.region == ctx.region && i.visible_to(&account))
        .filter(|i| owners.is_empty() || owners.iter().any(|o| owner_matches(o, &account, i)))
        .filter(|i| {
            executable.is_empty() || executable.iter().any(|e| executable_by(e, &account, i))
        })
        .filter(|i| {
            include_deprecated
                || i.owner == account
                || i.deprecation_time.as_ref().is_none_or(|d| *d > now_iso)
        })
        .filter(|i| {
            filters
                .iter()
                .all(|(name, values)| values.iter().any(|v| filter_matches(name, v, i, ctx.now)))
        })
        .collect();
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|i| &&i.id == id)) {
        return Err(not_found_image(missing));
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));

    let start = match p.get("NextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix("amipub-sbx-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= found.len())
            .ok_or_else(|| AwsError::bad("InvalidParameterValue", "The NextToken is not valid."))?,
    };
    let end = max.map_or(found.len(), |m| (start + m as usize).min(found.len()));
    let page = &found[start..end];
    let next = (end < found.len()).then(|| format!("amipub-sbx-{end}"));
    let now = ctx.now;
    Ok(response("DescribeImages", ctx, |x| {
        x.open("imagesSet");
        for i in page {
            item(x, i, now, world);
        }
        x.close("imagesSet");
        x.opt("nextToken", next.as_deref());
    }))
}

fn owner_matches(owner: &str, account: &str, i: &Image) -> bool {
    match owner {
        "self" => i.owner == account,
        "amazon" => i.owner == AMAZON_ACCOUNT,
        "aws-marketplace" => i.owner == MARKETPLACE_ACCOUNT,
        "all" => true,
        id => i.owner == id,
    }
}

/// The `ExecutableBy.N` selector (`ExecutableUsers`), as
/// <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html> has it:
/// `all` for public AMIs, `self` (or the caller's own id) for AMIs shared with the caller, and
/// another account's id for the caller's AMIs shared with that account.
fn executable_by(who: &str, account: &str, i: &Image) -> bool {
    match who {
        "all" => i.public,
        "self" => i.launch_users.contains(account),
        id if id == account => i.launch_users.contains(account),
        id => i.owner == account && i.launch_users.contains(id),
    }
}

fn filter_matches(name: &str, value: &str, i: &Image, now: f64) -> bool {
    let g = |text: &str| glob(value, text);
    match name {
        "architecture" => g(&i.architecture),
        "description" => i.description.as_deref().is_some_and(g),
        "image-id" => g(&i.id),
        "image-type" => g("machine"),
        "is-public" => value == if i.public { "true" } else { "false" },
        "name" => g(&i.name),
        "owner-alias" => owner_alias(&i.owner).is_some_and(g),
        "owner-id" => g(&i.owner),
        "product-code" => i.product_codes.iter().any(|c| g(c)),
        "product-code.type" => !i.product_codes.is_empty() && g("marketplace"),
        "root-device-type" => g(&i.root_device_type),
        "source-image-id" => i.source.as_ref().is_some_and(|(id, _)| g(id)),
        "state" => g(i.state(now)),
        "tag-key" => i.tags.keys().any(|k| g(k)),
        "virtualization-type" => g(&i.virtualization),
        tag => tag
            .strip_prefix("tag:")
            .is_some_and(|k| i.tags.get(k).is_some_and(|v| g(v))),
    }
}

/// The alias of a well-known owner.
pub(crate) fn owner_alias(owner: &str) -> Option<&'static str> {
    match owner {
        MARKETPLACE_ACCOUNT => Some("aws-marketplace"),
        AMAZON_ACCOUNT => Some("amazon"),
        _ => None,
    }
}

/// One `<item>` of `imagesSet`.
pub(crate) fn item(x: &mut Xml, i: &Image, now: f64, world: &World) {
    let state = i.state(now);
    x.open("item");
    x.leaf("imageId", &i.id)
        .leaf("imageLocation", format!("{}/{}", i.owner, i.name))
        .leaf("imageState", state)
        .leaf("imageOwnerId", &i.owner)
        .leaf("creationDate", &i.creation_date)
        .leaf("isPublic", if i.public { "true" } else { "false" });
    if !i.product_codes.is_empty() {
        x.open("productCodes");
        for c in &i.product_codes {
            x.open("item")
                .leaf("productCode", c)
                .leaf("type", "marketplace")
                .close("item");
        }
        x.close("productCodes");
    }
    x.leaf("architecture", &i.architecture)
        .leaf("imageType", "machine")
        .leaf("name", &i.name);
    x.opt("description", i.description.as_deref());
    x.leaf("rootDeviceType", &i.root_device_type)
        .leaf("rootDeviceName", "/dev/sda1");
    x.open("blockDeviceMapping");
    for (n, snap) in i.snapshots.iter().enumerate() {
        let s = world.ec2.snapshots.get(snap);
        x.open("item").leaf(
            "deviceName",
            if n == 0 {
                "/dev/sda1".to_owned()
            } else {
                format!("/dev/sd{}", (b'b' + n as u8 - 1) as char)
            },
        );
        x.open("ebs")
            .leaf("snapshotId", snap)
            .leaf(
                "volumeSize",
                s.map_or(i.volume_size, |s| s.volume_size).to_string(),
            )
            .leaf("deleteOnTermination", "true")
            .leaf("volumeType", "gp3")
            .leaf(
                "encrypted",
                if s.is_some_and(|s| s.encrypted) {
                    "true"
                } else {
                    "false"
                },
            )
            .close("ebs")
            .close("item");
    }
    x.close("blockDeviceMapping");
    x.leaf("virtualizationType", &i.virtualization);
    if !i.tags.is_empty() {
        x.open("tagSet");
        for (k, v) in &i.tags {
            x.open("item").leaf("key", k).leaf("value", v).close("item");
        }
        x.close("tagSet");
    }
    x.leaf("hypervisor", "xen")
        .leaf("enaSupport", if i.ena_support { "true" } else { "false" })
        .leaf("platformDetails", "Linux/UNIX")
        .leaf("usageOperation", "RunInstances");
    x.opt("imageOwnerAlias", owner_alias(&i.owner));
    if let Some((id, region)) = &i.source {
        x.leaf("sourceImageId", id)
            .leaf("sourceImageRegion", region);
    }
    x.opt("deprecationTime", i.deprecation_time.as_deref());
    if state == "failed" {
        x.open("stateReason")
            .leaf("code", "Client.UnknownError")
            .leaf("message", "The copy failed; create a new copy")
            .close("stateReason");
    }
    x.close("item");
}
