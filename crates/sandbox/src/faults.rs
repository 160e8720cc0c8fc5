//! Fault injection: rules that throttle, fail with a server error, reset the connection, add
//! latency, deny, or silently drop a share, by service, operation (optionally one resource) and
//! Region, with a probability; and rules that drop, duplicate or delay the change-set events
//! EventBridge delivers (service `events`), which never touch an API request. Decisions come from
//! their own seeded stream, so a run with the same seed and requests sees the same faults. How a
//! rule is written in settings, and the checks made when it is read, live in `spec`.

mod spec;

use serde::{Deserialize, Serialize};

use crate::error::AwsError;
use crate::idgen::IdGen;

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
    /// An event is never delivered. EventBridge delivers events on a best-effort basis
    /// (<https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-marketplacecatalog.html>).
    DropEvent,
    /// An event is delivered twice: two SQS messages with their own `MessageId` and the same
    /// body, as a standard queue's at-least-once delivery can hand it out
    /// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html>).
    DuplicateEvent,
    /// An event becomes receivable `delay_seconds` virtual seconds late, so a later event can
    /// overtake it (standard queues deliver out of order, same page as above).
    DelayEvent,
}

impl FaultKind {
    /// Whether the request is answered with the service's error instead of being served.
    pub fn answers_with_error(self) -> bool {
        matches!(self, Self::Throttle | Self::ServerError | Self::Deny)
    }

    /// Whether the kind acts on event delivery (service [`EVENTS_SERVICE`]) rather than on API
    /// requests.
    pub fn is_event(self) -> bool {
        matches!(
            self,
            Self::DropEvent | Self::DuplicateEvent | Self::DelayEvent
        )
    }
}

/// The `service` of event rules: EventBridge's signing name, which no request to the sandbox
/// carries, since the sandbox does not serve the EventBridge API.
pub const EVENTS_SERVICE: &str = "events";

/// The operations a [`FaultKind::DropShare`] rule applies to.
pub const SHARING_OPERATIONS: &[&str] = &["ModifyImageAttribute", "ModifySnapshotAttribute"];

/// One rule. Empty selectors match everything (but event rules always name [`EVENTS_SERVICE`]).
///
/// In settings a rule is written with the fields below plus `delay_seconds` for `delay_event`
/// (see `spec`); the Rust value keeps that delay in `latency_ms`, so the struct's fields stay
/// those code elsewhere builds rules from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "spec::RuleSpec", into = "spec::RuleSpec")]
pub struct FaultRule {
    /// SigV4 service name (`ec2`, `iam`, `sts`, `ssm`, `aws-marketplace`, `sqs`), or empty;
    /// `events` for event rules.
    pub service: String,
    /// Operation name (`CopyImage`, `StartChangeSet`, …), or empty; `Name/resource-id`
    /// (`ModifySnapshotAttribute/snap-0123…`) matches only requests naming that resource in their
    /// `ImageId` or `SnapshotId` parameter. For event rules: the event's detail type
    /// (`Change Set Succeeded`), or empty; `Detail Type/change-set-id` matches only that change
    /// set's event.
    pub operation: String,
    /// Region, or empty.
    pub region: String,
    /// Effect.
    pub kind: FaultKind,
    /// Chance per matching request or event, 0–1.
    pub probability: f64,
    /// For `latency`: milliseconds added to the answer. For `delay_event`: milliseconds the
    /// event is held back (written `delay_seconds` in settings; see [`Self::delay_seconds`]).
    pub latency_ms: u64,
}

impl FaultRule {
    /// An event rule for events of `detail_type` (empty: every event); `delay_seconds` is used
    /// by `delay_event` only.
    pub fn event(kind: FaultKind, detail_type: &str, probability: f64, delay_seconds: f64) -> Self {
        let latency_ms = if kind == FaultKind::DelayEvent {
            spec::millis(delay_seconds)
        } else {
            0
        };
        Self {
            service: EVENTS_SERVICE.to_owned(),
            operation: detail_type.to_owned(),
            region: String::new(),
            kind,
            probability,
            latency_ms,
        }
    }

    /// How many virtual seconds a `delay_event` rule holds an event back (0 for other kinds).
    pub fn delay_seconds(&self) -> f64 {
        if self.kind == FaultKind::DelayEvent {
            self.latency_ms as f64 / 1000.0
        } else {
            0.0
        }
    }

    /// Whether the rule applies to a request; `resource` is the id the request names, if any.
    /// Event rules never do.
    pub fn matches(
        &self,
        service: &str,
        operation: &str,
        region: &str,
        resource: Option<&str>,
    ) -> bool {
        !self.kind.is_event()
            && self.selects(service, operation, region, resource)
            && (self.kind != FaultKind::DropShare || SHARING_OPERATIONS.contains(&operation))
    }

    /// Whether the rule applies to the delivery of an event of `detail_type` from `region`;
    /// `resource` is the id the event's first resource ARN ends with. Only event rules do.
    pub fn matches_event(&self, detail_type: &str, region: &str, resource: Option<&str>) -> bool {
        self.kind.is_event()
            && self.service == EVENTS_SERVICE
            && self.selects(EVENTS_SERVICE, detail_type, region, resource)
    }

    /// The selectors alone: service, operation (with its optional resource) and Region.
    fn selects(
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
    }
}

/// The first rule that `applies` and whose probability fires, drawing from `rng` once for each
/// applicable rule in order (the same "first that fires applies" for requests and events, so a
/// seed replays the same faults).
pub fn first_firing<'r>(
    rules: &'r [FaultRule],
    rng: &mut IdGen,
    applies: impl Fn(&FaultRule) -> bool,
) -> Option<&'r FaultRule> {
    rules
        .iter()
        .find(|rule| applies(rule) && rng.next_f64() < rule.probability)
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

    #[test]
    fn event_rules_match_their_detail_type_and_region_only() {
        let mut r = FaultRule::event(FaultKind::DropEvent, "Change Set Failed", 1.0, 0.0);
        assert!(r.matches_event("Change Set Failed", "us-east-1", None));
        assert!(!r.matches_event("Change Set Succeeded", "us-east-1", None));
        r.region = "eu-west-1".into();
        assert!(!r.matches_event("Change Set Failed", "us-east-1", None));
        // A request rule that selects everything still never selects an event.
        let mut any = rule(FaultKind::ServerError, "");
        (any.service, any.region) = (String::new(), String::new());
        assert!(!any.matches_event("Change Set Failed", "us-east-1", None));
        assert!(any.matches("sqs", "ReceiveMessage", "us-east-1", None));
    }

    #[test]
    fn the_first_applicable_rule_that_fires_wins() {
        let never = FaultRule::event(FaultKind::DropEvent, "", 0.0, 0.0);
        let always = FaultRule::event(FaultKind::DuplicateEvent, "", 1.0, 0.0);
        let other = rule(FaultKind::Throttle, "");
        let rules = [other, never, always.clone()];
        let mut rng = IdGen::new(1);
        let got = first_firing(&rules, &mut rng, |r| r.kind.is_event());
        assert_eq!(got, Some(&always));
        // One draw per applicable rule: the throttle rule drew nothing.
        let (mut a, mut b) = (rng, IdGen::new(1));
        b.next_f64();
        b.next_f64();
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
