//! IAM over the query protocol: roles with trust policies, managed-policy attachment, and the
//! AWS managed policies the sandbox knows (`AWSMarketplaceAmiIngestion` with its real actions).
//! IAM is global; the Region of the request does not matter.

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
    let account = ctx.account().to_owned();
    let rid = ctx.request_id.as_str();
    match action {
        "CreateRole" => {
            let name = role_name(p)?;
            let doc = p.require("AssumeRolePolicyDocument")?.to_owned();
            if !serde_json::from_str::<serde_json::Value>(&doc).is_ok_and(|v| v.is_object()) {
                return Err(AwsError::bad(
                    "MalformedPolicyDocument",
                    "The trust policy is not a valid JSON policy document.",
                ));
            }
            let key = Iam::key(&account, &name);
            if world.iam.roles.contains_key(&key) {
                return Err(AwsError::new(
                    409,
                    "EntityAlreadyExists",
                    format!("Role with name {name} already exists."),
                ));
            }
            let path = p.get("Path").unwrap_or("/").to_owned();
            if !path.starts_with('/') || !path.ends_with('/') {
                return Err(AwsError::bad(
                    "ValidationError",
                    "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
                ));
            }
            let role = Role {
                account: account.clone(),
                name: name.clone(),
                path,
                id: format!("AROA{}", world.ids.alnum(17).to_uppercase()),
                trust_policy: doc,
                description: p.get("Description").map(str::to_owned),
                created: world.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                attached: Default::default(),
            };
            world.iam.roles.insert(key, role.clone());
            Ok(wrapped("CreateRole", NS, rid, |x| role_xml(x, &role)))
        }
        "GetRole" => {
            let role = role(world, &account, &role_name(p)?)?.clone();
            Ok(wrapped("GetRole", NS, rid, |x| role_xml(x, &role)))
        }
        "DeleteRole" => {
            let name = role_name(p)?;
            if !role(world, &account, &name)?.attached.is_empty() {
                return Err(AwsError::new(
                    409,
                    "DeleteConflict",
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            world.iam.roles.remove(&Iam::key(&account, &name));
            Ok(wrapped("DeleteRole", NS, rid, |_| {}))
        }
        "AttachRolePolicy" | "DetachRolePolicy" => {
            let name = role_name(p)?;
            let arn = p.require("PolicyArn")?.to_owned();
            if Iam::managed_policy(&arn).is_none() {
                return Err(AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
            let r = role_mut(world, &account, &name)?;
            if action == "AttachRolePolicy" {
                r.attached.insert(arn);
            } else if !r.attached.remove(&arn) {
                return Err(AwsError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} was not found."),
                ));
            }
            Ok(wrapped(action, NS, rid, |_| {}))
        }
        "ListAttachedRolePolicies" => {
            let attached: Vec<String> = role(world, &account, &role_name(p)?)?
                .attached
                .iter()
                .cloned()
                .collect();
            Ok(wrapped(action, NS, rid, |x| {
                x.open("AttachedPolicies");
                for arn in &attached {
                    let name = arn.rsplit('/').next().unwrap_or(arn);
                    x.open("member")
                        .leaf("PolicyName", name)
                        .leaf("PolicyArn", arn)
                        .close("member");
                }
                x.close("AttachedPolicies").leaf("IsTruncated", "false");
            }))
        }
        "GetPolicy" => {
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
            Ok(wrapped(action, NS, rid, |x| {
                x.open("Policy")
                    .leaf("PolicyName", &pol.name)
                    .leaf("PolicyId", &pol.id)
                    .leaf("Arn", &pol.arn)
                    .leaf("Path", "/")
                    .leaf("DefaultVersionId", &pol.version)
                    .leaf("AttachmentCount", count.to_string())
                    .leaf("IsAttachable", "true")
                    .leaf("Description", &pol.description)
                    .leaf("CreateDate", "2018-11-29T20:32:42Z")
                    .leaf("UpdateDate", "2018-11-29T20:32:42Z")
                    .close("Policy");
            }))
        }
        "GetPolicyVersion" => {
            let arn = p.require("PolicyArn")?.to_owned();
            let version = p.require("VersionId")?.to_owned();
            let pol = Iam::managed_policy(&arn)
                .filter(|pol| pol.version == version)
                .ok_or_else(|| {
                    AwsError::new(
                        404,
                        "NoSuchEntity",
                        format!(
                            "Policy {arn} version {version} does not exist or is not attachable."
                        ),
                    )
                })?;
            let encoded: String =
                form_urlencoded::byte_serialize(pol.document.as_bytes()).collect();
            Ok(wrapped(action, NS, rid, |x| {
                x.open("PolicyVersion")
                    .leaf("Document", encoded.replace('+', "%20"))
                    .leaf("VersionId", &pol.version)
                    .leaf("IsDefaultVersion", "true")
                    .leaf("CreateDate", "2018-11-29T20:32:42Z")
                    .close("PolicyVersion");
            }))
        }
        other => Err(AwsError::unknown_action(other)),
    }
}

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

fn role<'w>(world: &'w World, account: &str, name: &str) -> AwsResult<&'w Role> {
    world
        .iam
        .roles
        .get(&Iam::key(account, name))
        .ok_or_else(|| {
            AwsError::new(
                404,
                "NoSuchEntity",
                format!("The role with name {name} cannot be found."),
            )
        })
}

fn role_mut<'w>(world: &'w mut World, account: &str, name: &str) -> AwsResult<&'w mut Role> {
    world
        .iam
        .roles
        .get_mut(&Iam::key(account, name))
        .ok_or_else(|| {
            AwsError::new(
                404,
                "NoSuchEntity",
                format!("The role with name {name} cannot be found."),
            )
        })
}

fn role_xml(x: &mut Xml, r: &Role) {
    let encoded: String = form_urlencoded::byte_serialize(r.trust_policy.as_bytes()).collect();
    x.open("Role")
        .leaf("Path", &r.path)
        .leaf("RoleName", &r.name)
        .leaf("RoleId", &r.id)
        .leaf("Arn", r.arn())
        .leaf("CreateDate", &r.created)
        .leaf("AssumeRolePolicyDocument", encoded.replace('+', "%20"))
        .opt("Description", r.description.as_deref())
        .leaf("MaxSessionDuration", "3600")
        .close("Role");
}
