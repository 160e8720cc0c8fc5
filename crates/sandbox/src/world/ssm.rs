//! SSM Parameter Store state: parameters per account and Region, each with its versions and the
//! labels attached to them.

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
    /// Name.
    pub name: String,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
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
    /// Parameters keyed by `account/region/name`.
    pub parameters: BTreeMap<String, Parameter>,
}

impl Ssm {
    /// The key of a parameter.
    pub fn key(account: &str, region: &str, name: &str) -> String {
        format!("{account}/{region}/{name}")
    }
}
