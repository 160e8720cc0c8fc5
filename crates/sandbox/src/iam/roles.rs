//! IAM roles: CreateRole, GetRole, DeleteRole, ListRoles and UpdateAssumeRolePolicy, and how a
//! role is answered.

use super::{NS, encoded, role, role_mut, role_name, wrapped};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::protocol::xml::Xml;
use crate::world::World;
use crate::world::iam::{DEFAULT_MAX_SESSION_SECS, Iam, Role};

/// ListRoles' page size when `MaxItems` is not given, and the largest it accepts
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html>).
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;
/// Longest `PathPrefix` ListRoles accepts.
const MAX_PATH_PREFIX_CHARS: usize = 512;

/// A trust policy must at least be a JSON object.
fn check_trust(doc: &str) -> AwsResult<()> {
    if serde_json::from_str::<serde_json::Value>(doc).is_ok_and(|v| v.is_object()) {
        Ok(())
    } else {
        Err(AwsError::bad(
            "MalformedPolicyDocument",
            "The trust policy is not a valid JSON policy document.",
        ))
    }
}

/// CreateRole.
pub fn create(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let account = ctx.account().to_owned();
    let name = role_name(p)?;
    let doc = p.require("AssumeRolePolicyDocument")?.to_owned();
    check_trust(&doc)?;
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
        account,
        name,
        path,
        id: format!("AROA{}", world.ids.alnum(17).to_uppercase()),
        trust_policy: doc,
        description: p.get("Description").map(str::to_owned),
        created: world.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        attached: Default::default(),
        tags: tags_of(p)?,
    };
    world.iam.roles.insert(key, role.clone());
    Ok(wrapped("CreateRole", NS, &ctx.request_id, |x| {
        role_xml(x, "Role", &role)
    }))
}

/// GetRole.
pub fn get(world: &World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let role = role(world, ctx.account(), &role_name(p)?)?;
    Ok(wrapped("GetRole", NS, &ctx.request_id, |x| {
        role_xml(x, "Role", role)
    }))
}

/// DeleteRole: only once no managed policy is attached.
pub fn delete(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let name = role_name(p)?;
    if !role(world, ctx.account(), &name)?.attached.is_empty() {
        return Err(AwsError::new(
            409,
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    world.iam.roles.remove(&Iam::key(ctx.account(), &name));
    Ok(wrapped("DeleteRole", NS, &ctx.request_id, |_| {}))
}

/// UpdateAssumeRolePolicy: replaces a role's trust policy
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html>).
pub fn update_trust(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let name = role_name(p)?;
    let doc = p.require("PolicyDocument")?.to_owned();
    let r = role_mut(world, ctx.account(), &name)?;
    check_trust(&doc)?;
    r.trust_policy = doc;
    Ok(wrapped(
        "UpdateAssumeRolePolicy",
        NS,
        &ctx.request_id,
        |_| {},
    ))
}

/// ListRoles: the caller's roles whose path begins with `PathPrefix` (default `/`), in name
/// order, `MaxItems` (1 to 1000, default 100) at a time. `Marker` resumes where a truncated page
/// ended (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html>).
pub fn list(world: &World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let prefix = p.get("PathPrefix").unwrap_or("/");
    check_path_prefix(prefix)?;
    let max = p.int("MaxItems")?.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&max) {
        let bound = if max < 1 {
            "greater than or equal to 1"
        } else {
            "less than or equal to 1000"
        };
        return Err(AwsError::bad(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value {bound}"
            ),
        ));
    }
    let marker = p.get("Marker").unwrap_or("");
    let mut matching = world
        .iam
        .roles
        .values()
        .filter(|r| r.account == ctx.account() && r.path.starts_with(prefix))
        .filter(|r| r.name.as_str() >= marker);
    let page: Vec<&Role> = matching.by_ref().take(max as usize).collect();
    let next = matching.next().map(|r| r.name.clone());
    Ok(wrapped("ListRoles", NS, &ctx.request_id, |x| {
        x.open("Roles");
        for r in &page {
            role_xml(x, "member", r);
        }
        x.close("Roles")
            .leaf("IsTruncated", if next.is_some() { "true" } else { "false" })
            .opt("Marker", next.as_deref());
    }))
}

/// `PathPrefix`: `/` alone, or a string beginning with `/` of the characters `!` to DEL.
fn check_path_prefix(prefix: &str) -> AwsResult<()> {
    let ok = prefix.starts_with('/')
        && prefix.len() <= MAX_PATH_PREFIX_CHARS
        && prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if ok {
        return Ok(());
    }
    Err(AwsError::bad(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{prefix}' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"
        ),
    ))
}

/// A role as an `element`. ListRoles leaves out PermissionsBoundary, RoleLastUsed and Tags; the
/// sandbox keeps none of them, so every action answers the same members.
fn role_xml(x: &mut Xml, element: &str, r: &Role) {
    x.open(element)
        .leaf("Path", &r.path)
        .leaf("RoleName", &r.name)
        .leaf("RoleId", &r.id)
        .leaf("Arn", r.arn())
        .leaf("CreateDate", &r.created)
        .leaf("AssumeRolePolicyDocument", encoded(&r.trust_policy))
        .opt("Description", r.description.as_deref())
        .leaf("MaxSessionDuration", DEFAULT_MAX_SESSION_SECS.to_string())
        .close(element);
}

/// The `Tags.member.N.Key` / `.Value` of a request, at most 50
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html>).
fn tags_of(p: &Params) -> AwsResult<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for (_, t) in p.indexed("Tags.member") {
        let (Some(k), Some(v)) = (t.get("Key"), t.get("Value")) else {
            return Err(AwsError::bad(
                "ValidationError",
                "Each tag needs a Key and a Value.",
            ));
        };
        out.insert(k.to_owned(), v.to_owned());
    }
    if out.len() > 50 {
        return Err(AwsError::bad(
            "LimitExceeded",
            "A role may have at most 50 tags.",
        ));
    }
    Ok(out)
}

/// TagRole: adds or replaces tags.
pub fn tag(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let name = role_name(p)?;
    let tags = tags_of(p)?;
    let key = Iam::key(ctx.account(), &name);
    let role = world.iam.roles.get_mut(&key).ok_or_else(|| {
        AwsError::new(
            404,
            "NoSuchEntity",
            format!("The role with name {name} cannot be found."),
        )
    })?;
    role.tags.extend(tags);
    Ok(wrapped("TagRole", NS, &ctx.request_id, |_| {}))
}

/// ListRoleTags.
pub fn list_tags(world: &World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let role = role(world, ctx.account(), &role_name(p)?)?;
    Ok(wrapped("ListRoleTags", NS, &ctx.request_id, |x| {
        x.open("Tags");
        for (k, v) in &role.tags {
            x.open("member")
                .leaf("Key", k)
                .leaf("Value", v)
                .close("member");
        }
        x.close("Tags").leaf("IsTruncated", "false");
    }))
}
