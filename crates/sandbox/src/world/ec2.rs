//! EC2 state: images and snapshots with owners, sharing, tags and timed states, plus the
//! `ClientToken` records of CopyImage. States that change over time (`pending` → `available`) are
//! stored as the virtual instant of the change and resolved when read.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// An AMI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// `ami-…`.
    pub id: String,
    /// Region it lives in.
    pub region: String,
    /// Owning account.
    pub owner: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `x86_64` or `arm64` (or `i386` to exercise the checklist).
    pub architecture: String,
    /// `hvm` or `paravirtual`.
    pub virtualization: String,
    /// `ebs` or `instance-store`.
    pub root_device_type: String,
    /// ENA support.
    pub ena_support: bool,
    /// Backing snapshots, root first.
    pub snapshots: Vec<String>,
    /// Root volume size in GiB.
    pub volume_size: i64,
    /// Creation time (ISO 8601).
    pub creation_date: String,
    /// Virtual second at which a pending image becomes available (or fails).
    pub ready_at: f64,
    /// Whether it ends `failed` instead of `available`.
    pub fails: bool,
    /// Deregistered.
    pub deregistered: bool,
    /// Launchable by everyone.
    pub public: bool,
    /// Accounts with launch permission.
    pub launch_users: BTreeSet<String>,
    /// Marketplace product codes.
    pub product_codes: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Where it was copied from.
    pub source: Option<(String, String)>,
    /// Deprecation time (ISO 8601).
    pub deprecation_time: Option<String>,
    /// When an instance was last launched from it (ISO 8601), if ever.
    #[serde(default)]
    pub last_launched: Option<String>,
}

/// An EBS snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `snap-…`.
    pub id: String,
    /// Region.
    pub region: String,
    /// Owner.
    pub owner: String,
    /// Size in GiB.
    pub volume_size: i64,
    /// Encrypted.
    pub encrypted: bool,
    /// KMS key, when encrypted.
    pub kms_key_id: Option<String>,
    /// Start time (ISO 8601).
    pub start_time: String,
    /// Description.
    pub description: Option<String>,
    /// Anyone may create volumes.
    pub public: bool,
    /// Accounts that may create volumes.
    pub volume_users: BTreeSet<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// What a `ClientToken` was first used for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenUse {
    /// The resulting image.
    pub image_id: String,
    /// The request parameters that define "the same request".
    pub fingerprint: String,
}

/// All EC2 state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ec2 {
    /// Images by id.
    pub images: BTreeMap<String, Image>,
    /// Snapshots by id.
    pub snapshots: BTreeMap<String, Snapshot>,
    /// (account, Region, token) → first use.
    pub copy_tokens: BTreeMap<String, TokenUse>,
    /// Instance types added through the admin API, beyond the built-in catalog
    /// (`ec2::instance_types::CATALOG`), by name.
    #[serde(default)]
    pub instance_types: BTreeMap<String, InstanceType>,
}

/// An EC2 instance type as DescribeInstanceTypes tells of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    /// Whether it is of the current generation.
    pub current_generation: bool,
    /// The architectures it runs (`x86_64`, `arm64`, `i386`).
    pub architectures: Vec<String>,
}

impl Image {
    /// The state at virtual second `now`.
    pub fn state(&self, now: f64) -> &'static str {
        if self.deregistered {
            "deregistered"
        } else if now < self.ready_at {
            "pending"
        } else if self.fails {
            "failed"
        } else {
            "available"
        }
    }

    /// Whether `account` can see (describe, launch, copy) the image.
    pub fn visible_to(&self, account: &str) -> bool {
        !self.deregistered
            && (self.owner == account || self.public || self.launch_users.contains(account))
    }
}

impl Ec2 {
    /// The key of a ClientToken record.
    pub fn token_key(account: &str, region: &str, token: &str) -> String {
        format!("{account}/{region}/{token}")
    }
}
