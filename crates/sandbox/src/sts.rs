//! STS over the query protocol: GetCallerIdentity and AssumeRole. AssumeRole hands out fresh
//! keys bound to the role's account, and honours the role's trust policy.

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::iam::wrapped;
use crate::protocol::query::Params;
use crate::world::iam::Iam;
use crate::world::{Principal, World};

/// The namespace of STS responses.
pub const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Handles one STS action.
pub fn handle(world: &mut World, ctx: &Ctx, action: &str, p: &Params) -> AwsResult<String> {
    let rid = ctx.request_id.as_str();
    match action {
        "GetCallerIdentity" => {
            let who = &ctx.principal;
            let user_id = match &who.role {
                Some(_) => format!(
                    "AROA{}:{}",
                    who.account,
                    who.arn.rsplit('/').next().unwrap_or("")
                ),
                None => who.account.clone(),
            };
            Ok(wrapped(action, NS, rid, |x| {
                x.leaf("Arn", &who.arn)
                    .leaf("UserId", user_id)
                    .leaf("Account", &who.account);
            }))
        }
        "AssumeRole" => {
            let arn = p.require("RoleArn")?.to_owned();
            let session = p.require("RoleSessionName")?.to_owned();
            if session.len() < 2
                || session.len() > 64
                || !session
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c))
            {
                return Err(AwsError::bad(
                    "ValidationError",
                    format!("Value '{session}' at 'roleSessionName' failed to satisfy constraint"),
                ));
            }
            let duration = p.int("DurationSeconds")?.unwrap_or(3600);
            if !(900..=43200).contains(&duration) {
                return Err(AwsError::bad(
                    "ValidationError",
                    "DurationSeconds must be between 900 and 43200.",
                ));
            }
            let (account, name) = parse_role_arn(&arn).ok_or_else(|| {
                AwsError::bad("ValidationError", format!("{arn} is not a valid role ARN"))
            })?;
            let role = world
                .iam
                .roles
                .get(&Iam::key(&account, &name))
                .ok_or_else(|| AwsError::new(403, "AccessDenied", format!("User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}", ctx.principal.arn)))?;
            if !role.trusts(ctx.account()) {
                return Err(AwsError::new(
                    403,
                    "AccessDenied",
                    format!(
                        "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                        ctx.principal.arn
                    ),
                ));
            }
            let role_id = role.id.clone();
            let key = format!("ASIA{}", world.ids.alnum(16).to_uppercase());
            let secret = world.ids.alnum(40);
            let token = world.ids.alnum(64);
            let assumed = format!("arn:aws:sts::{account}:assumed-role/{name}/{session}");
            world.keys.insert(
                key.clone(),
                Principal {
                    account: account.clone(),
                    arn: assumed.clone(),
                    role: Some(name.clone()),
                },
            );
            let expires = (world.clock.now() + chrono::Duration::seconds(duration))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            Ok(wrapped(action, NS, rid, |x| {
                x.open("Credentials")
                    .leaf("AccessKeyId", &key)
                    .leaf("SecretAccessKey", &secret)
                    .leaf("SessionToken", &token)
                    .leaf("Expiration", &expires)
                    .close("Credentials");
                x.open("AssumedRoleUser")
                    .leaf("AssumedRoleId", format!("{role_id}:{session}"))
                    .leaf("Arn", &assumed)
                    .close("AssumedRoleUser");
            }))
        }
        other => Err(AwsError::unknown_action(other)),
    }
}

/// `arn:aws:iam::ACCOUNT:role/path/NAME` → (account, name).
pub fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, account, resource] = parts.as_slice() else {
        return None;
    };
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (*service == "iam" && account.len() == 12 && !name.is_empty())
        .then(|| ((*account).to_owned(), name.to_owned()))
}
