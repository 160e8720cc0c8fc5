//! SDK errors → amipub's failure kinds, the labels retry decisions and metrics use. The mapping
//! is by error code (the same codes the sandbox and AWS return), so it does not depend on each
//! service's generated error enums.

use aws_sdk_ec2::error::ProvideErrorMetadata;

/// Why a call failed, in amipub's words (the kinds and call outcomes of
/// `docs/usage/observability.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rate limits: retry later.
    Throttled,
    /// A missing permission: an operator must grant it.
    AccessDenied,
    /// The credentials themselves were refused (unknown key, bad signature, expired token):
    /// an operator must fix or renew them; no permission helps.
    InvalidCredentials,
    /// The request is wrong: retrying the same request will not help.
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The resource is busy (an entity lock, a conflicting token): wait and look again.
    Conflict,
    /// AWS failed: retry.
    ServerFault,
    /// No answer in time, or the connection broke: retry.
    Timeout,
}

impl Kind {
    /// Whether retrying the same call later may succeed.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Kind::Throttled | Kind::Conflict | Kind::ServerFault | Kind::Timeout
        )
    }

    /// The label of metrics and logs (`throttled`, `not_found`, …).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Throttled => "throttled",
            Kind::AccessDenied => "access_denied",
            Kind::InvalidCredentials => "invalid_credentials",
            Kind::InvalidInput => "invalid_input",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::ServerFault => "server_fault",
            Kind::Timeout => "timeout",
        }
    }
}

/// The kind of an error returned by AWS, from its code and message. EC2 answers `AuthFailure`
/// both for credentials it cannot validate and for an image the caller may not use; only the
/// first is about credentials
/// (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>).
pub fn kind_of_error(code: &str, message: &str) -> Kind {
    if code == "AuthFailure" && message.contains("credentials") {
        return Kind::InvalidCredentials;
    }
    kind_of_code(code)
}

/// The kind of an error code returned by AWS.
pub fn kind_of_code(code: &str) -> Kind {
    match code {
        "RequestLimitExceeded"
        | "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "SlowDown" => Kind::Throttled,
        "AccessDenied"
        | "AccessDeniedException"
        | "AuthFailure"
        | "UnauthorizedOperation"
        | "OptInRequired" => Kind::AccessDenied,
        // https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "InvalidAccessKeyId"
        | "ExpiredToken"
        | "ExpiredTokenException" => Kind::InvalidCredentials,
        "ResourceInUseException"
        | "IdempotentParameterMismatch"
        | "ConcurrentModificationException"
        | "IncorrectState"
        | "TooManyUpdates" => Kind::Conflict,
        "InternalError"
        | "InternalFailure"
        | "InternalServerError"
        | "InternalServiceException"
        | "InternalServiceErrorException"
        | "ServiceUnavailable"
        | "Unavailable"
        | "ServiceFailure" => Kind::ServerFault,
        c if c.ends_with(".NotFound")
            || c.ends_with("NotFound")
            || c == "NoSuchEntity"
            || c == "ResourceNotFoundException"
            || c == "ParameterNotFound"
            // SQS names a missing queue `QueueDoesNotExist` in the JSON body and
            // `AWS.SimpleQueueService.NonExistentQueue` in `x-amzn-query-error`, which
            // query-compatible SDKs report as the code
            // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
            || c == "QueueDoesNotExist"
            || c == "AWS.SimpleQueueService.NonExistentQueue" =>
        {
            Kind::NotFound
        }
        _ => Kind::InvalidInput,
    }
}

/// The service's error code, if it sent one.
pub fn code<E: ProvideErrorMetadata, R>(err: &aws_sdk_ec2::error::SdkError<E, R>) -> Option<&str> {
    match err {
        aws_sdk_ec2::error::SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// The code of any SDK error, owned.
pub fn code_of<E: ProvideErrorMetadata, R>(
    err: &aws_sdk_ec2::error::SdkError<E, R>,
) -> Option<String> {
    code(err).map(str::to_owned)
}

/// The kind of any SDK error: service errors by code, transport failures as timeouts.
pub fn kind_of<E: ProvideErrorMetadata, R>(err: &aws_sdk_ec2::error::SdkError<E, R>) -> Kind {
    // Every service crate re-exports the same smithy `SdkError`.
    use aws_sdk_ec2::error::SdkError;
    match err {
        SdkError::ServiceError(e) => e.err().code().map_or(Kind::ServerFault, |c| {
            kind_of_error(c, e.err().message().unwrap_or_default())
        }),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Kind::Timeout
        }
        _ => Kind::InvalidInput,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_of_code("RequestLimitExceeded"), Kind::Throttled);
        assert_eq!(kind_of_code("InvalidAMIID.NotFound"), Kind::NotFound);
        assert_eq!(kind_of_code("ResourceInUseException"), Kind::Conflict);
        assert_eq!(kind_of_code("AuthFailure"), Kind::AccessDenied);
        assert_eq!(
            kind_of_code("InvalidClientTokenId"),
            Kind::InvalidCredentials
        );
        assert_eq!(kind_of_code("ExpiredToken"), Kind::InvalidCredentials);
        assert_eq!(
            kind_of_code("SignatureDoesNotMatch"),
            Kind::InvalidCredentials
        );
        assert_eq!(
            kind_of_error(
                "AuthFailure",
                "AWS was not able to validate the provided access credentials"
            ),
            Kind::InvalidCredentials
        );
        assert_eq!(
            kind_of_error("AuthFailure", "Not authorized for image:ami-1"),
            Kind::AccessDenied
        );
        assert_eq!(kind_of_code("ValidationException"), Kind::InvalidInput);
        assert_eq!(kind_of_code("QueueDoesNotExist"), Kind::NotFound);
        assert_eq!(
            kind_of_code("AWS.SimpleQueueService.NonExistentQueue"),
            Kind::NotFound
        );
        assert!(Kind::Throttled.retryable() && !Kind::InvalidInput.retryable());
    }
}
