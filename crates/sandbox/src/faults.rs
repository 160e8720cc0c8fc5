//! Fault injection: rules that throttle, fail with a server error, reset the connection, add
//! latency, deny, or silently drop a share, by service, operation (optionally one resource) and
//! Region, with a probability. Decisions come from their own seeded stream, so a run with the same
//! seed and requests sees the same faults.

use serde::{Deserialize, Serialize};

use crate::error::AwsError;

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The service's throttling error.
    Throttle,
    /// A 5xx server error.
    ServerError,
    /// The connection is cut before a response is complete.
    Reset,
    /// The request is answered normally after a delay.
    Latency,
    /// The caller lacks a permission: the service's own access-denied answer (what a missing
    /// IAM permission looks like).
    Deny,
    /// A sharing operation (`ModifyImageAttribute`, `ModifySnapshotAttribute`) answers success
    /// but the launch or create-volume permission is not recorded, so only the caller's read-back
    /// (`DescribeImageAttribute`, `DescribeSnapshotAttribute`) finds it missing. Rules of this
    /// kind match no other operation.
    DropShare,
}

impl FaultKind {
    /// Whether the request is answered with the service's error instead of being served.
    pub fn answers_with_error(self) -> bool {
        matches!(self, Self::Throttle | Self::ServerError | Self::Deny)
    }
}

/// The operations a [`FaultKind::DropShare`] rule applies to.
pub const SHARING_OPERATIONS: &[&str] = &["ModifyImageAttribute", "ModifySnapshotAttribute"];

/// One rule. Empty selectors match everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// SigV4 service name (`ec2`, `iam`, `sts`, `ssm`, `aws-marketplace`, `sqs`), or empty.
    #[serde(default)]
    pub service: String,
    /// Operation name (`CopyImage`, `StartChangeSet`, …), or empty; `Name/resource-id`
    /// (`ModifySnapshotAttribute/snap-0123…`) matches only requests naming that resource in their
    /// `ImageId` or `SnapshotId` parameter.
    #[serde(default)]
    pub operation: String,
    /// Region, or empty.
    #[serde(default)]
    pub region: String,
    /// Effect.
    pub kind: FaultKind,
    /// Chance per matching request, 0–1.
    pub probability: f64,
    /// For latency: milliseconds added.
    #[serde(default)]
    pub latency_ms: u64,
}

impl FaultRule {
    /// Whether the rule applies to a request; `resource` is the id the request names, if any.
    pub fn matches(
        &self,
        service: &str,
        operation: &str,
        region: &str,
        resource: Option<&str>,
    ) -> bool {
        let (op, wanted) = match self.operation.split_once('/') {
            Some((op, id)) => (op, Some(id)),
            None => (self.operation.as_str(), None),
        };
        (self.service.is_empty() || self.service == service)
            && (op.is_empty() || op == operation)
            && wanted.is_none_or(|id| resource == Some(id))
            && (self.region.is_empty() || self.region == region)
            && (self.kind != FaultKind::DropShare || SHARING_OPERATIONS.contains(&operation))
    }
}

/// The error a throttle, server-error or deny fault answers with, in the service's own words.
pub fn error(kind: FaultKind, service: &str) -> AwsError {
    match (kind, service) {
        // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
        (FaultKind::Deny, "ec2") => AwsError::new(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        (FaultKind::Deny, "iam" | "sts") => AwsError::new(
            403,
            "AccessDenied",
            "User is not authorized to perform this operation because no identity-based policy allows it.",
        ),
        (FaultKind::Deny, "aws-marketplace") => AwsError::new(
            403,
            "AccessDeniedException",
            "User is not authorized to perform this operation because no identity-based policy allows it.",
        ),
        (FaultKind::Deny, _) => AwsError::new(
            400,
            "AccessDeniedException",
            "User is not authorized to perform this operation because no identity-based policy allows it.",
        ),
        (FaultKind::Throttle, "ec2") => {
            AwsError::new(503, "RequestLimitExceeded", "Request limit exceeded.")
        }
        (FaultKind::Throttle, "iam" | "sts") => AwsError::new(400, "Throttling", "Rate exceeded"),
        (FaultKind::Throttle, "aws-marketplace") => {
            AwsError::new(429, "ThrottlingException", "Rate exceeded.")
        }
        (FaultKind::Throttle, _) => AwsError::new(400, "ThrottlingException", "Rate exceeded"),
        (_, "ec2") => AwsError::new(500, "InternalError", "An internal error has occurred."),
        (_, "iam" | "sts") => AwsError::new(
            500,
            "ServiceFailure",
            "The request processing has failed because of an unknown error.",
        ),
        (_, "aws-marketplace") => AwsError::new(
            500,
            "InternalServiceException",
            "There was an internal service exception.",
        ),
        _ => AwsError::new(
            500,
            "InternalServerError",
            "An internal server error occurred.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: FaultKind, operation: &str) -> FaultRule {
        FaultRule {
            service: "ec2".into(),
            operation: operation.into(),
            region: "eu-west-1".into(),
            kind,
            probability: 1.0,
            latency_ms: 0,
        }
    }

    #[test]
    fn a_resource_selector_matches_only_that_resource() {
        let r = rule(FaultKind::DropShare, "ModifySnapshotAttribute/snap-1");
        let op = "ModifySnapshotAttribute";
        assert!(r.matches("ec2", op, "eu-west-1", Some("snap-1")));
        assert!(!r.matches("ec2", op, "eu-west-1", Some("snap-2")));
        assert!(!r.matches("ec2", op, "eu-west-1", None));
        assert!(!r.matches("ec2", op, "us-east-1", Some("snap-1")));
    }

    #[test]
    fn drop_share_rules_match_only_sharing_operations() {
        let r = rule(FaultKind::DropShare, "");
        assert!(r.matches("ec2", "ModifyImageAttribute", "eu-west-1", None));
        assert!(r.matches("ec2", "ModifySnapshotAttribute", "eu-west-1", None));
        assert!(!r.matches("ec2", "CopyImage", "eu-west-1", None));
        assert!(rule(FaultKind::Throttle, "").matches("ec2", "CopyImage", "eu-west-1", None));
    }
}
