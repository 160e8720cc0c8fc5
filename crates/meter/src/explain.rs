//! What a Metering Service answer means for a record, in plain words: accepted, already
//! accepted, worth retrying soon, too late, or a problem a person has to fix (which the agent
//! reports once and then retries only hourly, so a broken setup never turns into a retry storm).

/// What one MeterUsage call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted with this record id.
    Accepted(String),
    /// The hour was already accepted (an earlier attempt got through).
    Duplicate(String),
    /// A DryRun call would have succeeded.
    DryRunOk,
    /// Throttled, a server fault or the network: try again with backoff.
    Retry(String),
    /// The timestamp is outside the window.
    TooLate(String),
    /// Something only a person can fix.
    Refused {
        /// Whether it blocks every dimension or only this one.
        scope: Scope,
        /// The error code.
        code: String,
        /// What it means and what to do.
        words: String,
    },
}

/// How much a refusal blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every record of the instance.
    Agent,
    /// Records of one dimension.
    Dimension,
}

/// Classifies an error answer (`status` 0 when there was no HTTP answer).
pub fn classify(
    code: &str,
    message: &str,
    status: u16,
    dimension: &str,
    product_code: &str,
) -> Outcome {
    let refused = |scope, words: String| Outcome::Refused {
        scope,
        code: code.to_owned(),
        words,
    };
    match code {
        "DuplicateRequestException" => Outcome::Duplicate(message.to_owned()),
        "DryRunOperation" => Outcome::DryRunOk,
        "TimestampOutOfBoundsException" => Outcome::TooLate(message.to_owned()),
        "ThrottlingException" | "Throttling" | "TooManyRequestsException"
        | "InternalServiceErrorException" | "InternalServiceException" | "ServiceUnavailable"
        | "RequestTimeout" | "RequestTimeoutException" => Outcome::Retry(format!("{code}: {message}")),
        "CustomerNotEntitledException" => refused(Scope::Agent, format!(
            "the buyer's account is not subscribed to product {product_code} (or the subscription ended); usage is reported again once the subscription is active"
        )),
        "InvalidProductCodeException" => refused(Scope::Agent, format!(
            "product code {product_code} is not the product code of this instance's AMI; remove agent.product_code or run the agent on an instance launched from the product"
        )),
        "InvalidEndpointRegionException" => refused(Scope::Agent, format!(
            "the Metering Service endpoint is not in the instance's Region, or that Region has no Metering Service ({message}); remove agent.region / agent.metering_endpoint"
        )),
        "AccessDeniedException" | "UnauthorizedException" | "AccessDenied" | "UnrecognizedClientException"
        | "InvalidClientTokenId" | "ExpiredTokenException" => refused(Scope::Agent, format!(
            "the instance role may not call aws-marketplace:MeterUsage ({message}); add that permission to the role of the instance profile"
        )),
        "InvalidUsageDimensionException" => refused(Scope::Dimension, format!(
            "{dimension} is not a usage dimension of product {product_code}; use the dimension's API key from the product's pricing"
        )),
        "InvalidTagException" | "InvalidUsageAllocationsException" => refused(Scope::Dimension, format!(
            "the usage allocations of {dimension} are not accepted ({message}); each allocation needs 1–5 tags (keys 1–100, values 1–256 characters) and a distinct tag set"
        )),
        "DisabledApiException" => refused(Scope::Agent, "the Metering Service is disabled for this product; ask the seller (the product must have usage-based pricing)".into()),
        _ if status == 0 || status >= 500 => Outcome::Retry(format!("{code}: {message}")),
        _ => refused(Scope::Agent, format!("the Metering Service refused the record: {code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_what_the_agent_does() {
        let c = |code: &str, status| classify(code, "m", status, "users", "abc");
        assert_eq!(
            c("DuplicateRequestException", 400),
            Outcome::Duplicate("m".into())
        );
        assert!(matches!(c("ThrottlingException", 400), Outcome::Retry(_)));
        assert!(matches!(c("Whatever", 503), Outcome::Retry(_)));
        assert!(matches!(c("dispatch failure", 0), Outcome::Retry(_)));
        assert!(matches!(
            c("TimestampOutOfBoundsException", 400),
            Outcome::TooLate(_)
        ));
        match c("CustomerNotEntitledException", 400) {
            Outcome::Refused { scope, words, .. } => {
                assert_eq!(scope, Scope::Agent);
                assert!(words.contains("not subscribed to product abc"), "{words}");
            }
            other => panic!("{other:?}"),
        }
        match c("InvalidUsageDimensionException", 400) {
            Outcome::Refused { scope, words, .. } => {
                assert_eq!(scope, Scope::Dimension);
                assert!(words.contains("users is not a usage dimension"), "{words}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            c("AccessDeniedException", 403),
            Outcome::Refused {
                scope: Scope::Agent,
                ..
            }
        ));
    }
}
