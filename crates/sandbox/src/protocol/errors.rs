//! Error bodies in each protocol's exact shape.

use super::xml::Xml;
use crate::error::AwsError;

/// EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
pub fn ec2(e: &AwsError, request_id: &str) -> String {
    let mut x = Xml::new();
    x.open("Response")
        .open("Errors")
        .open("Error")
        .leaf("Code", &e.code)
        .leaf("Message", &e.message);
    x.close("Error")
        .close("Errors")
        .leaf("RequestID", request_id)
        .close("Response");
    x.finish()
}

/// IAM and STS: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
pub fn query(e: &AwsError, request_id: &str, ns: &str) -> String {
    let kind = if e.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    let mut x = Xml::new();
    x.open_ns("ErrorResponse", ns)
        .open("Error")
        .leaf("Type", kind)
        .leaf("Code", &e.code)
        .leaf("Message", &e.message);
    x.close("Error")
        .leaf("RequestId", request_id)
        .close("ErrorResponse");
    x.finish()
}

/// JSON protocols: `{"__type": code, "message": …}` (the `X-Amzn-ErrorType` header is added by
/// the server), with the error's `reason` member when it has one.
pub fn json(e: &AwsError) -> String {
    let mut body =
        serde_json::json!({ "__type": e.code, "message": e.message, "Message": e.message });
    if let Some(reason) = &e.reason {
        body["reason"] = serde_json::json!(reason);
    }
    body.to_string()
}
