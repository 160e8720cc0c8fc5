//! SDK configuration: which endpoint, which credentials, which Region. Real AWS and the sandbox
//! differ only in `Target` (an endpoint URL and the sandbox account's keys for the sandbox);
//! everything else — retries, timeouts, behaviour version — is the same.
//!
//! A target with fixed keys is sealed: its configuration is built from the target alone, never
//! from the process environment or the shared AWS config files, so a user's own `AWS_*`
//! variables or `~/.aws/config` cannot redirect or re-sign the calls. A target that names a
//! profile or the default chain reads them, as the AWS CLI would
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html>).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;

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
/// The secret of every sandbox account key (the sandbox selects the account by access key).
pub const SANDBOX_SECRET: &str = "sandbox";
/// Session name amipub gives assumed roles (shown in CloudTrail).
pub const SESSION_NAME: &str = "amipub";

/// Where a target's credentials come from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CredentialSource {
    /// Fixed keys, used as they are; `origin` says in words where they came from.
    Static {
        /// Access key id.
        access_key: String,
        /// Secret access key.
        secret: String,
        /// Where they came from, for messages ("the sandbox's keys of account …").
        origin: String,
    },
    /// A named profile of the shared AWS config files.
    Profile(String),
    /// The SDK's default chain: environment, the shared files' default profile, web identity,
    /// container or instance role.
    #[default]
    DefaultChain,
}

impl CredentialSource {
    /// The sandbox's keys of `account` (an account id works as its access key).
    pub fn sandbox(access_key: &str) -> Self {
        Self::Static {
            access_key: access_key.to_owned(),
            secret: SANDBOX_SECRET.to_owned(),
            origin: format!("the sandbox's keys of account {access_key}"),
        }
    }

    /// In words, where the credentials come from (no secret is ever part of it). For the
    /// default chain, the first source the SDK would find, read from the environment.
    pub fn describe(&self) -> String {
        match self {
            Self::Static { origin, .. } => origin.clone(),
            Self::Profile(p) => format!("profile {p:?} of the shared AWS config files"),
            Self::DefaultChain => describe_default_chain(|k| std::env::var(k).ok()),
        }
    }
}

/// The first source of the SDK's default chain that `var` shows
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html#credentialProviderChain>).
pub fn describe_default_chain(var: impl Fn(&str) -> Option<String>) -> String {
    let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") {
        let token = if set("AWS_SESSION_TOKEN") {
            ", AWS_SESSION_TOKEN"
        } else {
            ""
        };
        return format!(
            "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY{token}) of the default chain"
        );
    }
    if let Some(p) = var("AWS_PROFILE").filter(|p| !p.is_empty()) {
        return format!("profile {p:?} (from AWS_PROFILE) of the shared AWS config files");
    }
    if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return "the web identity token of AWS_WEB_IDENTITY_TOKEN_FILE".to_owned();
    }
    "the default chain (the default profile of the shared AWS config files, else a container \
     or instance role)"
        .to_owned()
}

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    /// Endpoint override for every service (the sandbox); `None` for real AWS.
    pub endpoint: Option<String>,
    /// The base credentials.
    pub credentials: CredentialSource,
    /// A role assumed with the base credentials before every call, if any.
    pub assume_role: Option<String>,
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
            credentials: CredentialSource::sandbox(access_key),
            assume_role: None,
            initial_backoff: Some(Duration::from_millis(SANDBOX_BACKOFF_MS)),
            speed: None,
        }
    }

    /// In words, where the credentials come from and which role is assumed with them.
    pub fn describe(&self) -> String {
        let base = self.credentials.describe();
        match &self.assume_role {
            Some(role) => format!("{base}, assuming {role}"),
            None => base,
        }
    }

    /// The SDK configuration for one Region.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        let base = match &self.credentials {
            CredentialSource::Static {
                access_key, secret, ..
            } => self.sealed(region, access_key, secret),
            CredentialSource::Profile(p) => self.loaded(region, Some(p)).await,
            CredentialSource::DefaultChain => self.loaded(region, None).await,
        };
        match &self.assume_role {
            Some(role) => assumed(base, role, region).await,
            None => base,
        }
    }

    fn retry(&self) -> RetryConfig {
        let retry = RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS);
        match self.initial_backoff {
            Some(b) => retry.with_initial_backoff(b).with_max_backoff(b * 8),
            None => retry,
        }
    }

    /// A configuration from this target alone: no environment variable and no shared file is
    /// read (the SDK's loader would take endpoint, Region and more from them).
    fn sealed(&self, region: &str, access_key: &str, secret: &str) -> SdkConfig {
        let keys = Credentials::new(access_key, secret, None, None, "amipub-static");
        let mut b = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .timeout_config(timeouts())
            .sleep_impl(TokioSleep::new())
            .time_source(SystemTimeSource::new())
            .credentials_provider(SharedCredentialsProvider::new(keys));
        if let Some(url) = &self.endpoint {
            b = b.endpoint_url(url.clone());
        }
        b.build()
    }

    /// A configuration through the SDK's loader, which reads the environment and the shared
    /// files for credentials (from `profile`, else the default chain).
    async fn loaded(&self, region: &str, profile: Option<&String>) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(self.retry())
            .timeout_config(timeouts());
        if let Some(url) = &self.endpoint {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some(p) = profile {
            loader = loader.profile_name(p.clone());
        }
        loader.load().await
    }
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
        .operation_timeout(Duration::from_secs(OPERATION_TIMEOUT_SECS))
        .build()
}

/// `base` with its credentials replaced by those of `role`, assumed through STS with them
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
async fn assumed(base: SdkConfig, role: &str, region: &str) -> SdkConfig {
    let provider = AssumeRoleProvider::builder(role)
        .session_name(SESSION_NAME)
        .region(Region::new(region.to_owned()))
        .configure(&base)
        .build()
        .await;
    base.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_default_chain_is_described_by_its_first_source() {
        let keys = describe_default_chain(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_PROFILE", "p"),
        ]));
        assert!(keys.contains("AWS_SESSION_TOKEN") && keys.contains("environment"));
        assert!(!keys.contains("AKIAEXAMPLE"), "no key in messages: {keys}");
        let profile = describe_default_chain(env(&[("AWS_PROFILE", "marketplace")]));
        assert!(profile.contains("\"marketplace\"") && profile.contains("AWS_PROFILE"));
        let empty = describe_default_chain(env(&[("AWS_ACCESS_KEY_ID", "")]));
        assert!(empty.contains("default profile"), "{empty}");
    }

    #[test]
    fn sandbox_keys_say_whose_they_are() {
        let t = Target::sandbox("http://127.0.0.1:1", "111122223333");
        assert_eq!(t.describe(), "the sandbox's keys of account 111122223333");
        let assumed = Target {
            assume_role: Some("arn:aws:iam::1:role/r".into()),
            ..t
        };
        assert!(
            assumed
                .describe()
                .ends_with("assuming arn:aws:iam::1:role/r")
        );
    }
}
