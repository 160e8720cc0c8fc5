//! The one AWS call: `MeterUsage` through the SDK, with the instance role's credentials from the
//! metadata service, short bounded SDK retries (the agent's own backoff does the long waiting),
//! and every answer classified by `explain`.

use std::time::Duration;

use aws_sdk_marketplacemetering::config::{BehaviorVersion, Region};
use aws_sdk_marketplacemetering::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_marketplacemetering::primitives::DateTime;
use aws_sdk_marketplacemetering::types::{Tag, UsageAllocation};

use crate::explain::{Outcome, Scope, classify};
use crate::imds::{Imds, Provider};
use crate::ledger::{Record, timestamp_of};

/// Attempts per call inside the SDK.
const SDK_ATTEMPTS: u32 = 3;
/// One call's whole timeout, retries included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends usage records.
#[allow(async_fn_in_trait)]
pub trait Meter {
    /// Sends (or, with `dry_run`, checks) one record.
    async fn send(&self, product_code: &str, record: &Record, dry_run: bool) -> Outcome;
}

/// The Metering Service through the SDK.
#[derive(Debug, Clone)]
pub struct Sdk {
    client: aws_sdk_marketplacemetering::Client,
}

impl Sdk {
    /// A client for `region`, at `endpoint` when given, signing with the instance role; against
    /// the `sandbox` (whose time runs fast) with short SDK backoffs.
    pub fn new(region: &str, endpoint: Option<&str>, imds: Imds, sandbox: bool) -> Self {
        let backoff = if sandbox {
            Duration::from_millis(20)
        } else {
            Duration::from_secs(1)
        };
        let mut b = aws_sdk_marketplacemetering::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(Provider { imds, sandbox })
            .retry_config(
                aws_sdk_marketplacemetering::config::retry::RetryConfig::standard()
                    .with_max_attempts(SDK_ATTEMPTS)
                    .with_initial_backoff(backoff),
            )
            .timeout_config(
                aws_sdk_marketplacemetering::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(CALL_TIMEOUT)
                    .connect_timeout(Duration::from_secs(5))
                    .build(),
            );
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        Self {
            client: aws_sdk_marketplacemetering::Client::from_conf(b.build()),
        }
    }
}

fn refused(words: String) -> Outcome {
    Outcome::Refused {
        scope: Scope::Dimension,
        code: "InvalidConfiguration".into(),
        words,
    }
}

impl Meter for Sdk {
    async fn send(&self, product_code: &str, r: &Record, dry_run: bool) -> Outcome {
        let mut allocations = Vec::new();
        for (tags, q) in &r.allocations {
            let mut t = Vec::new();
            for (k, v) in tags {
                match Tag::builder().key(k).value(v).build() {
                    Ok(tag) => t.push(tag),
                    Err(e) => return refused(format!("tag {k}: {e}")),
                }
            }
            match UsageAllocation::builder()
                .allocated_usage_quantity(*q as i32)
                .set_tags(Some(t))
                .build()
            {
                Ok(a) => allocations.push(a),
                Err(e) => return refused(format!("allocation of {}: {e}", r.dimension)),
            }
        }
        let call = self
            .client
            .meter_usage()
            .product_code(product_code)
            .timestamp(DateTime::from_secs(timestamp_of(r.hour)))
            .usage_dimension(&r.dimension)
            .usage_quantity(r.quantity.clamp(0, i64::from(i32::MAX)) as i32)
            .set_usage_allocations((!allocations.is_empty()).then_some(allocations))
            .dry_run(dry_run);
        match call.send().await {
            Ok(out) => Outcome::Accepted(out.metering_record_id().unwrap_or_default().to_owned()),
            Err(SdkError::ServiceError(e)) => {
                let status = e.raw().status().as_u16();
                let err = e.err();
                classify(
                    err.code().unwrap_or("Unknown"),
                    err.message().unwrap_or(""),
                    status,
                    &r.dimension,
                    product_code,
                )
            }
            Err(e) => {
                let text = match &e {
                    SdkError::DispatchFailure(d) => format!("network: {d:?}"),
                    SdkError::TimeoutError(_) => "timed out".to_owned(),
                    SdkError::ConstructionFailure(_) => {
                        // Credentials come in here: no role, or no metadata service.
                        let mut src: Option<&dyn std::error::Error> = Some(&e);
                        let mut words = String::new();
                        while let Some(s) = src {
                            words = s.to_string();
                            src = s.source();
                        }
                        return Outcome::Retry(format!(
                            "cannot get the instance role's credentials: {words}"
                        ));
                    }
                    other => format!("{other}"),
                };
                Outcome::Retry(text)
            }
        }
    }
}
