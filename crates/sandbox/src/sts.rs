//! STS over the query protocol: GetCallerIdentity and AssumeRole. AssumeRole hands out fresh
//! keys bound to the role's account, honours the role's trust policy and session limits, and
//! records each session so that GetCallerIdentity names the caller as AssumeRole did.

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::iam::wrapped;
use crate::protocol::query::Params;
use crate::world::iam::{DEFAULT_MAX_SESSION_SECS, Iam};
use crate::world::{Principal, World};

/// The namespace of STS responses.
pub const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// AssumeRole's session length when `DurationSeconds` is not given, and its bounds
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
const DEFAULT_SESSION_SECS: i64 = 3600;
const MIN_SESSION_SECS: i64 = 900;
const MAX_SESSION_SECS: i64 = 43200;
/// Bounds of a role session name's length (same page).
const MIN_SESSION_NAME: usize = 2;
const MAX_SESSION_NAME: usize = 64;

/// Handles one STS action.
pub fn handle(world: &mut World, ctx: &Ctx, action: &str, p: &Params) -> AwsResult<String> {
    match action {
        "GetCallerIdentity" => Ok(caller_identity(world, ctx)),
        "AssumeRole" => assume_role(world, ctx, p),
        other => Err(AwsError::unknown_action(other)),
    }
}

/// GetCallerIdentity. `UserId` follows the `aws:userid` column of
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable>:
/// the account id for the root user, `role id:session name` for a role session, the very
/// `AssumedRoleId` AssumeRole answered
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
fn caller_identity(world: &World, ctx: &Ctx) -> String {
    let who = &ctx.principal;
    let user_id = match &who.role {
        None => who.account.clone(),
        Some(role) => world
            .iam
            .sessions
            .get(&who.arn)
            .cloned()
            .unwrap_or_else(|| unrecorded_session_id(who, role)),
    };
    wrapped("GetCallerIdentity", NS, &ctx.request_id, |x| {
        x.leaf("Arn", &who.arn)
            .leaf("UserId", user_id)
            .leaf("Account", &who.account);
    })
}

/// The `UserId` of a role session AssumeRole did not hand out (an instance's role, whose role
/// the sandbox does not keep in IAM): a role id derived from the account and role name, so that
/// it stays the same for the role, and the session name.
fn unrecorded_session_id(who: &Principal, role: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a over `account/role`, then stirred once per character of the id.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in who.account.bytes().chain(*b"/").chain(role.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut id = String::from("AROA");
    for i in 0..17u64 {
        h = (h ^ i).wrapping_mul(0x0100_0000_01b3);
        id.push(char::from(ALPHABET[(h >> 59) as usize]));
    }
    let session = who.arn.rsplit('/').next().unwrap_or("");
    format!("{id}:{session}")
}

/// AssumeRole: the session name and duration are checked, then the role's trust policy (a role
/// that does not exist is denied alike), then the role's maximum session duration.
fn assume_role(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let arn = p.require("RoleArn")?.to_owned();
    let session = p.require("RoleSessionName")?.to_owned();
    check_session_name(&session)?;
    let duration = p.int("DurationSeconds")?.unwrap_or(DEFAULT_SESSION_SECS);
    check_duration(duration)?;
    let (account, name) = parse_role_arn(&arn).ok_or_else(|| {
        AwsError::bad("ValidationError", format!("{arn} is not a valid role ARN"))
    })?;
    let denied = || {
        AwsError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                ctx.principal.arn
            ),
        )
    };
    let role = world
        .iam
        .roles
        .get(&Iam::key(&account, &name))
        .filter(|r| r.trusts(ctx.account()))
        .ok_or_else(denied)?;
    if duration > DEFAULT_MAX_SESSION_SECS {
        return Err(AwsError::bad(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let assumed_id = format!("{}:{session}", role.id);
    let assumed = format!("arn:aws:sts::{account}:assumed-role/{name}/{session}");
    let key = format!("ASIA{}", world.ids.alnum(16).to_uppercase());
    let secret = world.ids.alnum(40);
    let token = world.ids.alnum(64);
    world.keys.insert(
        key.clone(),
        Principal {
            account,
            arn: assumed.clone(),
            role: Some(name),
        },
    );
    world
        .iam
        .sessions
        .insert(assumed.clone(), assumed_id.clone());
    let expires = (world.clock.now() + chrono::Duration::seconds(duration))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    Ok(wrapped("AssumeRole", NS, &ctx.request_id, |x| {
        x.open("Credentials")
            .leaf("AccessKeyId", &key)
            .leaf("SecretAccessKey", &secret)
            .leaf("SessionToken", &token)
            .leaf("Expiration", &expires)
            .close("Credentials");
        x.open("AssumedRoleUser")
            .leaf("AssumedRoleId", &assumed_id)
            .leaf("Arn", &assumed)
            .close("AssumedRoleUser");
    }))
}

/// `1 validation error detected: …`, the way STS reports a parameter outside its constraints.
fn constraint(value: impl std::fmt::Display, member: &str, rule: &str) -> AwsError {
    AwsError::bad(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must {rule}"
        ),
    )
}

/// `RoleSessionName`: 2 to 64 characters of `[\w+=,.@-]`.
fn check_session_name(session: &str) -> AwsResult<()> {
    let len = session.chars().count();
    if len < MIN_SESSION_NAME {
        return Err(constraint(
            session,
            "roleSessionName",
            "have length greater than or equal to 2",
        ));
    }
    if len > MAX_SESSION_NAME {
        return Err(constraint(
            session,
            "roleSessionName",
            "have length less than or equal to 64",
        ));
    }
    if !session
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(constraint(
            session,
            "roleSessionName",
            "satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(())
}

/// `DurationSeconds`: 900 to 43200.
fn check_duration(duration: i64) -> AwsResult<()> {
    if duration < MIN_SESSION_SECS {
        return Err(constraint(
            duration,
            "durationSeconds",
            "have value greater than or equal to 900",
        ));
    }
    if duration > MAX_SESSION_SECS {
        return Err(constraint(
            duration,
            "durationSeconds",
            "have value less than or equal to 43200",
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_and_durations_have_bounds() {
        assert!(check_session_name("ok").is_ok());
        assert!(check_session_name("a+b=c,d.e@f-g_h").is_ok());
        for bad in ["a", "has space", "x/y", &"s".repeat(65)] {
            assert!(check_session_name(bad).is_err(), "{bad}");
        }
        assert!(check_duration(900).is_ok() && check_duration(43200).is_ok());
        assert!(check_duration(899).is_err() && check_duration(43201).is_err());
    }

    #[test]
    fn unrecorded_sessions_get_a_stable_role_id() {
        let who = Principal {
            account: "111122223333".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/r/i-0abc".into(),
            role: Some("r".into()),
        };
        let id = unrecorded_session_id(&who, "r");
        assert_eq!(id, unrecorded_session_id(&who, "r"));
        let (role_id, session) = id.split_once(':').unwrap_or_default();
        assert_eq!(session, "i-0abc");
        assert!(role_id.starts_with("AROA") && role_id.len() == 21);
    }
}
