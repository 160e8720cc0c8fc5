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
        }
    }
}

impl SandboxConfig {
    /// Reads settings from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}
