//! Marketplace Catalog state: entities (`AmiProduct@1.0`, `Offer@1.0`) with their DescribeEntity
//! documents and revisions, change sets with their timeline, idempotency tokens, tags, resource
//! policies, the Marketplace AMIs scheduled to appear in each Region after publication, and the
//! tickets of the second-party load-form queue.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ec2::Image;

/// An entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// `prod-…` or `offer-…`.
    pub id: String,
    /// `AmiProduct` or `Offer`.
    pub kind: String,
    /// Owning seller account.
    pub owner: String,
    /// Revision, bumped by every applied change set.
    pub revision: u64,
    /// ISO 8601.
    pub last_modified: String,
    /// The DescribeEntity DetailsDocument.
    pub doc: Value,
}

impl Entity {
    /// `AmiProduct@1.0` / `Offer@1.0`.
    pub fn entity_type(&self) -> String {
        format!("{}@1.0", self.kind)
    }

    /// The entity ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:aws-marketplace:us-east-1:{}:AWSMarketplace/{}/{}",
            self.owner, self.kind, self.id
        )
    }
}

/// One change of a stored change set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Change type.
    pub change_type: String,
    /// Change name.
    pub change_name: Option<String>,
    /// `AmiProduct@1.0` / `Offer@1.0`.
    pub entity_type: String,
    /// Identifier as submitted (an id, a `$Name.Entity.Identifier` reference, or none).
    pub identifier: Option<String>,
    /// The resolved entity id, once known.
    pub entity_id: Option<String>,
    /// The entity's revision this change names in DescribeChangeSet: the revision it targeted
    /// when submitted (1 for a new entity), then the revision its change set produced.
    #[serde(default)]
    pub revision: Option<u64>,
    /// The document.
    pub details: Value,
    /// `EntityTags`: put on the entity when the change set succeeds.
    #[serde(default)]
    pub entity_tags: BTreeMap<String, String>,
    /// Asynchronous errors.
    pub errors: Vec<(String, String)>,
}

/// A change set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// 25 lower-case letters and digits.
    pub id: String,
    /// Submitting account.
    pub account: String,
    /// Name.
    pub name: String,
    /// `APPLY` or `VALIDATE`.
    pub intent: String,
    /// `PREPARING`, `APPLYING`, `SUCCEEDED`, `FAILED`, `CANCELLED`.
    pub status: String,
    /// Virtual seconds of submission.
    pub started: f64,
    /// Virtual second at which the current status ends.
    pub next_at: f64,
    /// Virtual second of the terminal status.
    pub ended: Option<f64>,
    /// `CLIENT_ERROR` or `SERVER_FAULT`.
    pub failure_code: Option<String>,
    /// Change-set-level failure message.
    pub failure_description: Option<String>,
    /// The changes.
    pub changes: Vec<Change>,
    /// Existing entities it locks.
    pub locked: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl ChangeSet {
    /// Whether the change set still runs.
    pub fn open(&self) -> bool {
        matches!(self.status.as_str(), "PREPARING" | "APPLYING")
    }

    /// The ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:aws-marketplace:us-east-1:{}:AWSMarketplace/ChangeSet/{}",
            self.account, self.id
        )
    }
}

/// A Marketplace AMI that will appear in a Region at a virtual second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheduled {
    /// When it appears.
    pub due: f64,
    /// The image.
    pub image: Image,
    /// Public SSM alias names to point at it when it appears.
    pub aliases: Vec<String>,
}

/// How the security scan of submitted AMIs ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRule {
    /// `pass` or `fail`.
    pub verdict: String,
    /// Virtual seconds a scan takes.
    pub seconds: f64,
}

/// All Catalog state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// Entities by id.
    pub entities: BTreeMap<String, Entity>,
    /// Change sets by id.
    pub change_sets: BTreeMap<String, ChangeSet>,
    /// `account/token` → (change set id, request fingerprint).
    pub tokens: BTreeMap<String, (String, String)>,
    /// ARN → tags.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// ARN → resource policy.
    pub policies: BTreeMap<String, String>,
    /// Marketplace AMIs not yet visible.
    pub scheduled: Vec<Scheduled>,
    /// Scan verdict overrides by AMI id (`pass`/`fail`).
    pub scan_overrides: BTreeMap<String, String>,
    /// Second-party load-form tickets by id.
    #[serde(default)]
    pub forms: BTreeMap<String, super::forms::Ticket>,
}
