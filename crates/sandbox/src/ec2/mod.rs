//! EC2 over the EC2 query protocol: the image and snapshot operations amipub uses, the
//! instance types of a Region, with AWS's
//! visibility rules (an account sees its own images, public ones and those shared with it), timed
//! `pending` states, `ClientToken` idempotency and AWS-shaped errors.

mod attributes;
mod copy;
mod images;
pub mod instance_types;
mod regions;
mod snapshots;

use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::protocol::xml::Xml;
use crate::world::{Principal, World};

/// The namespace of EC2 responses.
pub const NS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// Who is calling and where.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The caller.
    pub principal: Principal,
    /// The Region of the request.
    pub region: String,
    /// The request id.
    pub request_id: String,
    /// Virtual seconds now.
    pub now: f64,
    /// The `Host` the client used (for URLs handed back, such as SQS queue URLs).
    pub host: String,
    /// A `drop_share` fault fired: a sharing operation answers success without recording the
    /// permission.
    pub drop_share: bool,
}

impl Ctx {
    /// An account's root calling in `region` at virtual time zero, for tests that drive a
    /// service's handler directly.
    #[cfg(test)]
    pub fn root_of(account: &str, region: &str) -> Self {
        Self {
            principal: Principal {
                account: account.to_owned(),
                arn: format!("arn:aws:iam::{account}:root"),
                role: None,
            },
            region: region.to_owned(),
            request_id: "test".to_owned(),
            now: 0.0,
            host: "localhost".to_owned(),
            drop_share: false,
        }
    }

    /// The caller's account.
    pub fn account(&self) -> &str {
        &self.principal.account
    }
}

/// Handles one EC2 action; returns the XML body.
pub fn handle(world: &mut World, ctx: &Ctx, action: &str, p: &Params) -> AwsResult<String> {
    if p.flag("DryRun") {
        // Only validate what identifies the target; then answer as AWS does for dry runs.
        return Err(AwsError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    match action {
        "DescribeImages" => images::describe(world, ctx, p),
        "CopyImage" => copy::copy_image(world, ctx, p),
        "CreateTags" => attributes::create_tags(world, ctx, p),
        "DeleteTags" => attributes::delete_tags(world, ctx, p),
        "DescribeImageAttribute" => attributes::describe_image_attribute(world, ctx, p),
        "ModifyImageAttribute" => attributes::modify_image_attribute(world, ctx, p),
        "DescribeSnapshotAttribute" => attributes::describe_snapshot_attribute(world, ctx, p),
        "ModifySnapshotAttribute" => attributes::modify_snapshot_attribute(world, ctx, p),
        "EnableImageDeprecation" => attributes::enable_deprecation(world, ctx, p),
        "DisableImageDeprecation" => attributes::disable_deprecation(world, ctx, p),
        "DeregisterImage" => snapshots::deregister_image(world, ctx, p),
        "DeleteSnapshot" => snapshots::delete_snapshot(world, ctx, p),
        "DescribeSnapshots" => snapshots::describe_snapshots(world, ctx, p),
        "DescribeRegions" => regions::describe_regions(world, ctx, p),
        "DescribeInstanceTypes" => instance_types::describe(world, ctx, p),
        other => Err(AwsError::unknown_action(other)),
    }
}

/// `<{action}Response xmlns=…><requestId/>…</{action}Response>`.
pub(crate) fn response(action: &str, ctx: &Ctx, body: impl FnOnce(&mut Xml)) -> String {
    let tag = format!("{action}Response");
    let mut x = Xml::new();
    x.open_ns(&tag, NS).leaf("requestId", &ctx.request_id);
    body(&mut x);
    x.close(&tag);
    x.finish()
}

/// `<return>true</return>` responses.
pub(crate) fn ok(action: &str, ctx: &Ctx) -> String {
    response(action, ctx, |x| {
        x.leaf("return", "true");
    })
}

/// Checks an AMI id's shape.
pub(crate) fn ami_id(value: &str) -> AwsResult<&str> {
    let ok = value.strip_prefix("ami-").is_some_and(|r| {
        (r.len() == 8 || r.len() == 17) && r.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(value)
    } else {
        Err(AwsError::bad(
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{value}\" (expecting \"ami-...\")"),
        ))
    }
}

/// The image, if the caller owns it in this Region.
pub(crate) fn owned_image_mut<'w>(
    world: &'w mut World,
    ctx: &Ctx,
    id: &str,
) -> AwsResult<&'w mut crate::world::ec2::Image> {
    ami_id(id)?;
    let account = ctx.account().to_owned();
    match world.ec2.images.get_mut(id) {
        Some(i) if i.region == ctx.region && !i.deregistered && i.owner == account => Ok(i),
        Some(i) if i.region == ctx.region && i.visible_to(&account) => Err(AwsError::bad(
            "AuthFailure",
            format!("Not authorized for image:{id}"),
        )),
        _ => Err(not_found_image(id)),
    }
}

pub(crate) fn not_found_image(id: &str) -> AwsError {
    AwsError::bad(
        "InvalidAMIID.NotFound",
        format!("The image id '[{id}]' does not exist"),
    )
}

/// `*` and `?` glob matching, as EC2 filters do. ASCII text is matched byte by byte without
/// allocating (filters run over every image of a Region); other text character by character.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        glob_units(pattern.as_bytes(), text.as_bytes())
    } else {
        let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
        glob_units(&p, &t)
    }
}

fn glob_units<T: PartialEq + Copy + From<u8>>(p: &[T], t: &[T]) -> bool {
    let (star, any) = (T::from(b'*'), T::from(b'?'));
    let (mut pi, mut ti, mut back, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star {
            back = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = back {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == star)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_like_ec2_filters() {
        assert!(glob("Fedora-Cloud-*", "Fedora-Cloud-Base-41"));
        assert!(glob("ami-?", "ami-1"));
        assert!(glob("*", ""));
        assert!(!glob("Fedora-*-x86_64", "Fedora-Cloud-aarch64"));
        assert!(glob(
            "*Base*41*",
            "Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4"
        ));
    }
}
