//! Metering state: instances "launched" from Marketplace AMIs (with their role credentials and
//! IMDS tokens), buyer entitlements, and the usage records MeterUsage accepted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// An instance running a Marketplace AMI in a buyer account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// `i-…`.
    pub id: String,
    /// Buyer account.
    pub account: String,
    /// Region.
    pub region: String,
    /// The AMI it was launched from.
    pub image_id: String,
    /// Product codes of that AMI.
    pub product_codes: Vec<String>,
    /// Instance type.
    pub instance_type: String,
    /// Virtual second of launch.
    pub launched: f64,
    /// The instance role's access key.
    pub access_key: String,
    /// Whether the role may call `aws-marketplace:MeterUsage`.
    pub may_meter: bool,
    /// Valid IMDSv2 tokens → expiry (virtual seconds).
    pub tokens: BTreeMap<String, f64>,
}

/// One accepted usage record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// MeteringRecordId.
    pub id: String,
    /// Instance.
    pub instance: String,
    /// Product code.
    pub product_code: String,
    /// Dimension key.
    pub dimension: String,
    /// Hour (epoch seconds of its start).
    pub hour: i64,
    /// Quantity.
    pub quantity: i64,
    /// Allocations as JSON text (for idempotency comparison).
    pub allocations: String,
    /// Virtual time received (epoch seconds).
    pub received: f64,
}

/// All metering state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Metering {
    /// Instances by id.
    pub instances: BTreeMap<String, Instance>,
    /// `account/product code` pairs that are entitled.
    pub entitlements: BTreeSet<String>,
    /// Accepted records keyed by `instance/dimension/hour`.
    pub records: BTreeMap<String, Record>,
}
