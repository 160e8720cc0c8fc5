//! An AWS error as the sandbox returns it: HTTP status, code and message. Each protocol module
//! renders it in its own wire shape (EC2's `<Response><Errors>`, IAM/STS `<ErrorResponse>`, JSON
//! `__type` + `X-Amzn-ErrorType`).

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// HTTP status.
    pub status: u16,
    /// The error code clients match on.
    pub code: String,
    /// A message for people.
    pub message: String,
    /// The `reason` member some JSON services add to a validation error (the Marketplace
    /// Discovery API's `ValidationExceptionReason`).
    pub reason: Option<String>,
}

impl AwsError {
    /// Any error.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            reason: None,
        }
    }

    /// The same error with a `reason` member.
    pub fn with_reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }

    /// 400 with a code.
    pub fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// A required parameter is missing.
    pub fn missing(name: &str) -> Self {
        Self::bad(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }

    /// A parameter has a bad value.
    pub fn invalid(name: &str, value: &str, why: &str) -> Self {
        Self::bad(
            "InvalidParameterValue",
            format!("Value ({value}) for parameter {name} is invalid. {why}"),
        )
    }

    /// The action does not exist for this service.
    pub fn unknown_action(action: &str) -> Self {
        Self::bad(
            "InvalidAction",
            format!("The action {action} is not valid for this web service."),
        )
    }
}

/// Results of service handlers.
pub type AwsResult<T> = Result<T, AwsError>;
