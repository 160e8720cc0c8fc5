//! A product the engine publishes: its spec, the ingestion role Marketplace assumes to read its
//! images, and the `[second_party]` settings its second-party releases follow.

use amipub_domain::second_party::SecondPartySettings;
use amipub_domain::spec::ProductSpec;

/// A product the engine publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Its spec.
    pub spec: ProductSpec,
    /// The ingestion role Marketplace assumes.
    pub role_arn: String,
    /// Whom clones are shared with and the load form's template (second-party path).
    pub second_party: SecondPartySettings,
    /// The operator's tags for what amipub creates (`[tags]`).
    pub tags: std::collections::BTreeMap<String, String>,
}

impl Product {
    /// A product with the default `[second_party]` settings.
    pub fn new(spec: ProductSpec, role_arn: &str) -> Self {
        Self {
            spec,
            role_arn: role_arn.to_owned(),
            second_party: SecondPartySettings::default(),
            tags: std::collections::BTreeMap::new(),
        }
    }
}
