//! SDK configuration: which endpoint, which credentials, which Region. Real AWS and the sandbox
//! differ only in `Target` (an endpoint URL and static keys for the sandbox); everything else —
//! retries, timeouts, behaviour version — is the same.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// Attempts per call, first one included. Throttling and 5xx are retried with the SDK's standard
/// backoff (not "adaptive": its client-side rate limiter slows every call for minutes after a
/// burst of throttling; amipub paces itself with its own token buckets, `limits`); the engine
/// retries whole steps on top of this, so a bounded number is enough.
pub const MAX_ATTEMPTS: u32 = 5;
/// Connect timeout: a Region that does not answer within this is treated as unreachable.
pub const CONNECT_TIMEOUT_SECS: u64 = 10;
/// First retry delay against the sandbox, milliseconds.
pub const SANDBOX_BACKOFF_MS: u64 = 20;
/// Whole-call timeout, retries included.
pub const OPERATION_TIMEOUT_SECS: u64 = 120;

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    /// Endpoint override for every service (the sandbox); `None` for real AWS.
    pub endpoint: Option<String>,
    /// Static credentials (access key id, secret); `None` for the default provider chain.
    pub static_keys: Option<(String, String)>,
    /// A named profile of the shared config files.
    pub profile: Option<String>,
    /// First retry delay; `None` keeps the SDK's default (1 s). The sandbox, whose time may run
    /// faster than real time, uses a short one.
    pub initial_backoff: Option<Duration>,
    /// How much faster than real time the endpoint's clock runs (a sandbox's time scale); the
    /// client-side rate limits refill this much faster. `None`: 1.
    pub speed: Option<f64>,
}

impl Target {
    /// The sandbox at `endpoint`, acting with `access_key` (which selects the account).
    pub fn sandbox(endpoint: &str, access_key: &str) -> Self {
        Self {
            endpoint: Some(endpoint.to_owned()),
            static_keys: Some((access_key.to_owned(), "sandbox".to_owned())),
            profile: None,
            initial_backoff: Some(Duration::from_millis(SANDBOX_BACKOFF_MS)),
            speed: None,
        }
    }

    /// The SDK configuration for one Region.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        let mut retry = RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS);
        if let Some(b) = self.initial_backoff {
            retry = retry.with_initial_backoff(b).with_max_backoff(b * 8);
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(retry)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
                    .operation_timeout(Duration::from_secs(OPERATION_TIMEOUT_SECS))
                    .build(),
            );
        if let Some(url) = &self.endpoint {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some((key, secret)) = &self.static_keys {
            loader = loader.credentials_provider(Credentials::new(
                key.clone(),
                secret.clone(),
                None,
                None,
                "amipub-static",
            ));
        }
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p.clone());
        }
        loader.load().await
    }
}
