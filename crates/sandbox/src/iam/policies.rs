//! Managed policies: attaching them to roles and detaching them, listing a role's attached
//! policies, and reading the AWS managed policies the sandbox knows.

use super::{NS, encoded, role, role_mut, role_name, wrapped};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::World;
use crate::world::iam::Iam;

/// The date the known managed policies carry as created and updated.
const POLICY_DATE: &str = "2018-11-29T20:32:42Z";

/// AttachRolePolicy and DetachRolePolicy.
pub fn attach_or_detach(
    world: &mut World,
    ctx: &Ctx,
    action: &str,
    p: &Params,
) -> AwsResult<String> {
    let name = role_name(p)?;
    let arn = p.require("PolicyArn")?.to_owned();
    if Iam::managed_policy(&arn).is_none() {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} does not exist or is not attachable."),
        ));
    }
    let r = role_mut(world, ctx.account(), &name)?;
    if action == "AttachRolePolicy" {
        r.attached.insert(arn);
    } else if !r.attached.remove(&arn) {
        return Err(AwsError::new(
            404,
            "NoSuchEntity",
            format!("Policy {arn} was not found."),
        ));
    }
    Ok(wrapped(action, NS, &ctx.request_id, |_| {}))
}

/// ListAttachedRolePolicies.
pub fn list_attached(world: &World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let attached = &role(world, ctx.account(), &role_name(p)?)?.attached;
    Ok(wrapped(
        "ListAttachedRolePolicies",
        NS,
        &ctx.request_id,
        |x| {
            x.open("AttachedPolicies");
            for arn in attached {
                let name = arn.rsplit('/').next().unwrap_or(arn);
                x.open("member")
                    .leaf("PolicyName", name)
                    .leaf("PolicyArn", arn)
                    .close("member");
            }
            x.close("AttachedPolicies").leaf("IsTruncated", "false");
        },
    ))
}

/// GetPolicy, with the number of roles it is attached to.
pub fn get(world: &World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let arn = p.require("PolicyArn")?.to_owned();
    let pol = Iam::managed_policy(&arn).ok_or_else(|| {
        AwsError::new(404, "NoSuchEntity", format!("Policy {arn} was not found."))
    })?;
    let count = world
        .iam
        .roles
        .values()
        .filter(|r| r.attached.contains(&arn))
        .count();
    Ok(wrapped("GetPolicy", NS, &ctx.request_id, |x| {
        x.open("Policy")
            .leaf("PolicyName", &pol.name)
            .leaf("PolicyId", &pol.id)
            .leaf("Arn", &pol.arn)
            .leaf("Path", "/")
            .leaf("DefaultVersionId", &pol.version)
            .leaf("AttachmentCount", count.to_string())
            .leaf("IsAttachable", "true")
            .leaf("Description", &pol.description)
            .leaf("CreateDate", POLICY_DATE)
            .leaf("UpdateDate", POLICY_DATE)
            .close("Policy");
    }))
}

/// GetPolicyVersion (the known policies have one version each).
pub fn get_version(ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let arn = p.require("PolicyArn")?.to_owned();
    let version = p.require("VersionId")?.to_owned();
    let pol = Iam::managed_policy(&arn)
        .filter(|pol| pol.version == version)
        .ok_or_else(|| {
            AwsError::new(
                404,
                "NoSuchEntity",
                format!("Policy {arn} version {version} does not exist or is not attachable."),
            )
        })?;
    Ok(wrapped("GetPolicyVersion", NS, &ctx.request_id, |x| {
        x.open("PolicyVersion")
            .leaf("Document", encoded(&pol.document))
            .leaf("VersionId", &pol.version)
            .leaf("IsDefaultVersion", "true")
            .leaf("CreateDate", POLICY_DATE)
            .close("PolicyVersion");
    }))
}
