//! A product the engine publishes: its spec and the ingestion role Marketplace assumes to read
//! its images.

use amipub_domain::spec::ProductSpec;

/// A product the engine publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Its spec.
    pub spec: ProductSpec,
    /// The ingestion role Marketplace assumes.
    pub role_arn: String,
}
