//! IAM over the query protocol: this module dispatches each action and renders the
//! query-protocol wrapper IAM shares with STS. `roles` owns roles and their trust policies,
//! `policies` the managed-policy attachments and the AWS managed policies the sandbox knows
//! (`AWSMarketplaceAmiIngestion` with its real actions). IAM is global; the Region of the
//! request does not matter.

mod policies;
mod roles;

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::protocol::xml::Xml;
use crate::world::World;
use crate::world::iam::{Iam, Role};

/// The namespace of IAM responses.
pub const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// `<XResponse><XResult>…</XResult><ResponseMetadata/></XResponse>`, the query-protocol wrapper
/// shared by IAM and STS.
pub(crate) fn wrapped(
    action: &str,
    ns: &str,
    request_id: &str,
    body: impl FnOnce(&mut Xml),
) -> String {
    let mut x = Xml::new();
    x.open_ns(&format!("{action}Response"), ns)
        .open(&format!("{action}Result"));
    body(&mut x);
    x.close(&format!("{action}Result"))
        .open("ResponseMetadata")
        .leaf("RequestId", request_id)
        .close("ResponseMetadata");
    x.close(&format!("{action}Response"));
    x.finish()
}

/// Handles one IAM action.
pub fn handle(world: &mut World, ctx: &Ctx, action: &str, p: &Params) -> AwsResult<String> {
    match action {
        "CreateRole" => roles::create(world, ctx, p),
        "GetRole" => roles::get(world, ctx, p),
        "DeleteRole" => roles::delete(world, ctx, p),
        "ListRoles" => roles::list(world, ctx, p),
        "TagRole" => roles::tag(world, ctx, p),
        "ListRoleTags" => roles::list_tags(world, ctx, p),
        "UpdateAssumeRolePolicy" => roles::update_trust(world, ctx, p),
        "AttachRolePolicy" | "DetachRolePolicy" => {
            policies::attach_or_detach(world, ctx, action, p)
        }
        "ListAttachedRolePolicies" => policies::list_attached(world, ctx, p),
        "GetPolicy" => policies::get(world, ctx, p),
        "GetPolicyVersion" => policies::get_version(ctx, p),
        other => Err(AwsError::unknown_action(other)),
    }
}

/// The `RoleName` parameter, checked against IAM's name pattern.
fn role_name(p: &Params) -> AwsResult<String> {
    let name = p.require("RoleName")?;
    let ok = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    if !ok {
        return Err(AwsError::bad(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            ),
        ));
    }
    Ok(name.to_owned())
}

/// `NoSuchEntity` for a role, in AWS's words.
fn no_such_role(name: &str) -> AwsError {
    AwsError::new(
        404,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

fn role<'w>(world: &'w World, account: &str, name: &str) -> AwsResult<&'w Role> {
    world
        .iam
        .roles
        .get(&Iam::key(account, name))
        .ok_or_else(|| no_such_role(name))
}

fn role_mut<'w>(world: &'w mut World, account: &str, name: &str) -> AwsResult<&'w mut Role> {
    world
        .iam
        .roles
        .get_mut(&Iam::key(account, name))
        .ok_or_else(|| no_such_role(name))
}

/// A policy document as IAM answers it: URL-encoded, spaces as `%20`.
fn encoded(document: &str) -> String {
    let s: String = form_urlencoded::byte_serialize(document.as_bytes()).collect();
    s.replace('+', "%20")
}
