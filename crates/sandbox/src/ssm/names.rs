//! Which parameter a request names, and which names a new parameter may take. Read operations
//! take a name or an ARN, either with a `:version` or `:label` selector; write operations take a
//! name only. A root parameter may be spelled with or without its leading slash (the store keys
//! both alike); a name in a hierarchy must begin with one.

use super::{PUBLIC, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::partition_of;

/// The deepest hierarchy a name may have: fifteen levels
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints>).
const MAX_LEVELS: usize = 15;
/// The longest name one may create
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>).
const MAX_NAME_CHARS: usize = 1011;

/// The text AWS answers for every name that breaks the naming rules, whatever the rule broken
/// (a hierarchy without its leading slash, an empty level, a character outside `a-zA-Z0-9_.-/`).
const INVALID_NAME: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// Checks the spelling of a name. The rules
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints>):
/// only letters, digits, `_`, `.`, `-` and `/`; `/` separates levels, none of them empty; a name
/// with more than one level is fully qualified only with its leading slash (`MyParameter3/L1` is
/// not); at most fifteen levels.
pub fn check(name: &str) -> AwsResult<()> {
    let levels: Vec<&str> = name.strip_prefix('/').unwrap_or(name).split('/').collect();
    let spelled = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
    let qualified = levels.len() == 1 || name.starts_with('/');
    if !spelled || !qualified || levels.iter().any(|l| l.is_empty()) {
        return Err(validation(INVALID_NAME));
    }
    if name.len() > MAX_NAME_CHARS {
        return Err(validation(format!(
            "Parameter name {name} is longer than {MAX_NAME_CHARS} characters."
        )));
    }
    if levels.len() > MAX_LEVELS {
        return Err(AwsError::bad(
            "HierarchyLevelLimitExceededException",
            "A hierarchy can have a maximum of 15 levels.",
        ));
    }
    Ok(())
}

/// Checks the name of a parameter to create: names beginning with `aws` or `ssm` (any case, with
/// or without the leading slash) are reserved, then the spelling rules of [`check`].
pub fn check_new(name: &str) -> AwsResult<()> {
    let lower = name.trim_start_matches('/').to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return Err(AwsError::bad(
            "AccessDeniedException",
            format!("No access to reserved parameter name: {name}."),
        ));
    }
    check(name)
}

/// The ARN of a parameter: the name follows `parameter/` without a slash of its own, and public
/// parameters have no account.
pub fn arn(region: &str, account: &str, name: &str) -> String {
    let account = if account == PUBLIC { "" } else { account };
    format!(
        "arn:{}:ssm:{region}:{account}:parameter/{}",
        partition_of(region),
        name.trim_start_matches('/')
    )
}

/// Where a reference may find its parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// The caller's own parameters, then the public ones.
    Caller,
    /// One account's parameters (public ones: [`PUBLIC`]), as an ARN names them.
    Account(String),
}

/// A parameter as a read request names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The name to look up.
    pub name: String,
    /// `:version` or `:label`, without the colon.
    pub selector: Option<String>,
    /// Whose parameters to look in.
    pub scope: Scope,
    /// Given as an ARN: the answer then carries the parameter's own name rather than the
    /// caller's spelling.
    pub by_arn: bool,
}

impl Reference {
    /// Reads a name or an ARN (GetParameter and GetParameters take either:
    /// <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html>).
    /// `None`: an ARN of a parameter this sandbox cannot show the caller (another Region or
    /// partition, or an account that has not shared it; parameter sharing is not modelled).
    pub fn parse(given: &str, ctx: &Ctx) -> AwsResult<Option<Self>> {
        if given.starts_with("arn:") {
            return Self::parse_arn(given, ctx);
        }
        let (name, selector) = split_selector(given);
        check(name)?;
        Ok(Some(Self {
            name: name.to_owned(),
            selector,
            scope: Scope::Caller,
            by_arn: false,
        }))
    }

    /// `arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:SELECTOR]`.
    fn parse_arn(given: &str, ctx: &Ctx) -> AwsResult<Option<Self>> {
        let parts: Vec<&str> = given.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(validation(INVALID_NAME));
        };
        let Some(rest) = resource.strip_prefix("parameter/") else {
            return Err(validation(INVALID_NAME));
        };
        let (rest, selector) = split_selector(rest);
        // In an ARN a name in a hierarchy loses its leading slash; a root name has none to lose.
        let name = if rest.contains('/') {
            format!("/{rest}")
        } else {
            rest.to_owned()
        };
        check(&name)?;
        let scope = match *account {
            "" => PUBLIC.to_owned(),
            a if a == ctx.account() => a.to_owned(),
            _ => return Ok(None),
        };
        let here = *service == "ssm" && *region == ctx.region && *partition == partition_of(region);
        Ok(here.then_some(Self {
            name,
            selector,
            scope: Scope::Account(scope),
            by_arn: true,
        }))
    }

    /// The name an answer carries: the caller's spelling for a name, the stored one for an ARN.
    pub fn shown<'a>(&'a self, stored: &'a str) -> &'a str {
        if self.by_arn { stored } else { &self.name }
    }
}

/// `name:selector` → (name, selector). Names hold no colon, so the first one starts the selector.
fn split_selector(s: &str) -> (&str, Option<String>) {
    match s.split_once(':') {
        Some((name, sel)) => (name, Some(sel.to_owned())),
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_spelling_rules() {
        for ok in [
            "MyParameter1",
            "/MyParameter2",
            "/Dev/Production/East/Project-ABC/p_1.x",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "MyParameter3/L1",
            "/a//b",
            "/a/",
            "/",
            "has space",
            "{x}",
            "a:b",
        ] {
            assert_eq!(
                check(bad).map_err(|e| e.code),
                Err("ValidationException".into())
            );
        }
        let deep = format!("/{}", ["l"; 16].join("/"));
        assert_eq!(
            check(&deep).map_err(|e| e.code),
            Err("HierarchyLevelLimitExceededException".into())
        );
        assert!(check(&format!("/{}", ["l"; 15].join("/"))).is_ok());
    }

    #[test]
    fn reserved_prefixes_are_refused_in_any_case() {
        for name in ["awsTestParameter", "SSM-testparameter", "/aws/testparam1"] {
            assert!(check_new(name).is_err(), "{name}");
        }
    }

    #[test]
    fn arns_drop_the_leading_slash_and_the_public_account() {
        assert_eq!(
            arn("us-east-1", "111122223333", "/a/b"),
            "arn:aws:ssm:us-east-1:111122223333:parameter/a/b"
        );
        assert_eq!(
            arn("us-gov-west-1", PUBLIC, "/aws/service/x"),
            "arn:aws-us-gov:ssm:us-gov-west-1::parameter/aws/service/x"
        );
    }
}
