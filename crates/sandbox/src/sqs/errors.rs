//! SQS errors and how they travel. SQS speaks AWS JSON 1.0 with the `awsQueryCompatible`
//! trait: the body's `__type` names the modeled error (`QueueDoesNotExist`) and the
//! `x-amzn-query-error` header carries the code the older query protocol used, with `Sender`
//! or `Receiver`; query-compatible SDKs (botocore, the AWS CLI) report that header code
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html>).

use axum::body::Body;
use axum::http::{HeaderValue, Response};

use crate::error::AwsError;

/// Modeled error → its query-protocol code, where the two differ. The query codes are the ones
/// AWS's SQS models carried before the move to JSON (the `AWS.SimpleQueueService.*` family).
const QUERY_CODES: [(&str, &str); 11] = [
    (
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    ),
    (
        "QueueDeletedRecently",
        "AWS.SimpleQueueService.QueueDeletedRecently",
    ),
    ("QueueNameExists", "QueueAlreadyExists"),
    (
        "PurgeQueueInProgress",
        "AWS.SimpleQueueService.PurgeQueueInProgress",
    ),
    (
        "BatchEntryIdsNotDistinct",
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    ),
    (
        "BatchRequestTooLong",
        "AWS.SimpleQueueService.BatchRequestTooLong",
    ),
    (
        "EmptyBatchRequest",
        "AWS.SimpleQueueService.EmptyBatchRequest",
    ),
    (
        "InvalidBatchEntryId",
        "AWS.SimpleQueueService.InvalidBatchEntryId",
    ),
    (
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    ),
    (
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
    ),
    (
        "MessageNotInflight",
        "AWS.SimpleQueueService.MessageNotInflight",
    ),
];

/// The query-protocol code of an error.
pub fn query_code(code: &str) -> &str {
    QUERY_CODES
        .iter()
        .find(|(modeled, _)| *modeled == code)
        .map_or(code, |(_, query)| query)
}

/// The `x-amzn-query-error` value: `Code;Sender` for the caller's faults, `Code;Receiver` for
/// the service's.
pub fn query_error(e: &AwsError) -> String {
    let fault = if e.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!("{};{fault}", query_code(&e.code))
}

/// Adds `x-amzn-query-error` to an error answer of an SQS (`AmazonSQS.*`) request.
pub fn mark_query_error(response: &mut Response<Body>, target: Option<&str>, e: &AwsError) {
    if !target.is_some_and(|t| t.starts_with("AmazonSQS.")) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&query_error(e)) {
        response.headers_mut().insert("x-amzn-query-error", value);
    }
}

/// The queue named does not exist (400).
pub fn no_queue() -> AwsError {
    AwsError::bad("QueueDoesNotExist", "The specified queue does not exist.")
}

/// A receipt handle the service never issued for this queue.
pub fn bad_receipt(handle: &str) -> AwsError {
    AwsError::bad(
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

/// A request parameter with a value the service refuses.
pub fn bad_value(why: impl Into<String>) -> AwsError {
    AwsError::bad("InvalidParameterValue", why)
}

/// A queue attribute the operation does not know or may not set.
pub fn unknown_attribute(name: &str) -> AwsError {
    AwsError::bad("InvalidAttributeName", format!("Unknown Attribute {name}."))
}

/// A queue attribute with a value out of its range.
pub fn bad_attribute(name: &str) -> AwsError {
    AwsError::bad(
        "InvalidAttributeValue",
        format!("Invalid value for the parameter {name}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_carries_the_query_code_and_the_side_at_fault() {
        assert_eq!(
            query_error(&no_queue()),
            "AWS.SimpleQueueService.NonExistentQueue;Sender"
        );
        assert_eq!(
            query_error(&AwsError::new(500, "InternalError", "x")),
            "InternalError;Receiver"
        );
        assert_eq!(query_code("QueueNameExists"), "QueueAlreadyExists");
        assert_eq!(
            query_code("ReceiptHandleIsInvalid"),
            "ReceiptHandleIsInvalid"
        );
    }
}
