//! SSM Parameter Store state: parameters per account and Region, each with its versions and the
//! labels attached to them. Parameters are keyed so that the two spellings of a root parameter
//! (`/name` and `name`) find the same entry; how requests name parameters is `crate::ssm`'s.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One version of a parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, …
    pub version: i64,
    /// The value.
    pub value: String,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// `text` or `aws:ec2:image`.
    pub data_type: String,
    /// Description.
    pub description: Option<String>,
    /// Virtual time of the write, epoch seconds.
    pub modified: f64,
    /// Who wrote it.
    pub modified_by: String,
    /// Labels on this version.
    pub labels: BTreeSet<String>,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Owning account (or `aws` for public parameters).
    pub account: String,
    /// Region.
    pub region: String,
    /// Name, spelled as it was when the parameter was created.
    pub name: String,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Parameter {
    /// The newest version.
    pub fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }
}

/// All SSM state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ssm {
    /// Parameters keyed by `account/region/name`, the name in its [`canonical`] spelling.
    pub parameters: BTreeMap<String, Parameter>,
}

impl Ssm {
    /// The key of a parameter.
    pub fn key(account: &str, region: &str, name: &str) -> String {
        format!("{account}/{region}/{}", canonical(name))
    }
}

/// The one spelling of a parameter name the store keys on. A root parameter is the same
/// parameter with or without its leading slash (`/TestParam1` and `TestParam1` are not unique:
/// <https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints>),
/// so it is keyed without the slash; names in a hierarchy keep theirs.
pub fn canonical(name: &str) -> &str {
    match name.strip_prefix('/') {
        Some(rest) if !rest.contains('/') => rest,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names_share_a_key_and_hierarchies_do_not() {
        assert_eq!(Ssm::key("a", "r", "/p"), Ssm::key("a", "r", "p"));
        assert_ne!(Ssm::key("a", "r", "/x/p"), Ssm::key("a", "r", "x/p"));
        assert_eq!(canonical("/x/p"), "/x/p");
    }
}
