//! Sandbox settings, from a TOML file (`amipub sandbox --config FILE`) or defaults. Durations are
//! virtual seconds; `time_scale` says how many of them pass per real second.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// All settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    /// Seed of the id generator and of fault decisions.
    pub seed: u64,
    /// Virtual seconds per real second (1800: an hour in two seconds).
    pub time_scale: f64,
    /// Virtual time at start.
    pub start_time: DateTime<Utc>,
    /// How long an AMI copy stays `pending`.
    pub copy_seconds: f64,
    /// Access key id → account id, in addition to the world's own keys.
    pub access_keys: BTreeMap<String, String>,
    /// Treat every opt-in Region as enabled for every account.
    pub all_regions_enabled: bool,
    /// How many requests the log keeps.
    pub request_log_limit: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a change set stays PREPARING.
    pub catalog_prepare_seconds: f64,
    /// How long a change set without a security scan stays APPLYING.
    pub catalog_apply_seconds: f64,
    /// How long the security scan of a new version takes.
    pub scan_seconds: f64,
    /// `pass` or `fail`: how scans end unless overridden per AMI.
    pub scan_verdict: String,
    /// Base delay before a published version's Marketplace AMI appears in a Region.
    pub region_lag_seconds: f64,
    /// Extra per-Region delay, spread deterministically from 0 to this many seconds.
    pub region_lag_jitter_seconds: f64,
    /// Per-Region lag overrides (Region → seconds).
    pub region_lag_overrides: BTreeMap<String, f64>,
    /// How long the manual review of a visibility change takes.
    pub visibility_review_seconds: f64,
    /// How long after a version is added buyers see it through the Marketplace Discovery API
    /// (the buyer-facing catalog updating after the seller's; 0: at once).
    pub discovery_lag_seconds: f64,
    /// How long after the Marketplace team accepts a second-party load form the new version is
    /// published (entity version added, Marketplace AMIs visible): "about 4 days" in the form's
    /// instructions.
    pub second_party_publish_delay_seconds: f64,
    /// Process a submitted second-party load form at once (for demos) instead of waiting for
    /// `POST /_sandbox/marketplace/forms/<ticket>/process`.
    pub second_party_auto_process: bool,
    /// SQS queue (in the seller's account, us-east-1) that receives change-set events.
    pub events_queue: Option<String>,
    /// Fault rules, checked in order; the first that fires applies.
    pub faults: Vec<crate::faults::FaultRule>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            time_scale: 1.0,
            start_time: Utc::now(),
            copy_seconds: 600.0,
            access_keys: BTreeMap::new(),
            all_regions_enabled: false,
            request_log_limit: 10_000,
            max_body_bytes: 2 * 1024 * 1024,
            catalog_prepare_seconds: 60.0,
            catalog_apply_seconds: 120.0,
            scan_seconds: 3600.0,
            scan_verdict: "pass".to_owned(),
            region_lag_seconds: 900.0,
            region_lag_jitter_seconds: 600.0,
            region_lag_overrides: BTreeMap::new(),
            visibility_review_seconds: 3.0 * 86400.0,
            discovery_lag_seconds: 0.0,
            second_party_publish_delay_seconds: 4.0 * 86400.0,
            second_party_auto_process: false,
            events_queue: Some("amipub-catalog-events".to_owned()),
            faults: Vec::new(),
        }
    }
}

impl SandboxConfig {
    /// Reads settings from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}
