//! The events amipub reports, one type each. Emitting one writes a log line through `tracing`
//! (with the fields a reader filters on, `event` naming the type) and moves its metrics. The
//! `event` names are stable: dashboards and alerts select on them.

use crate::metrics::{labels, metrics};

/// What a piece of work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A release (a build on its way to the Marketplace).
    Release,
    /// A lifecycle job (apply, visibility, promote, retention).
    Job,
}

impl Subject {
    /// The label: `release` or `job`.
    pub fn label(self) -> &'static str {
        match self {
            Subject::Release => "release",
            Subject::Job => "job",
        }
    }
}

/// Every event's `event` name, as logged.
pub const EVENTS: &[&str] = &[
    "transition",
    "call_failed",
    "work_failed",
    "product_locked",
    "lease_lost",
    "aws_call",
    "aws_throttled",
    "bus_connected",
    "bus_lost",
    "delivery",
    "dead_lettered",
    "announced",
    "change_set_event",
    "woken",
];

/// A release or job was stored in a new state (or stayed in its state after an event).
#[derive(Debug)]
pub struct Transition<'a> {
    /// Release or job.
    pub subject: Subject,
    /// Its id.
    pub id: &'a str,
    /// The product's slug.
    pub product: &'a str,
    /// What happened (the domain event's name).
    pub cause: &'a str,
    /// The state before.
    pub from: &'a str,
    /// The state after.
    pub to: &'a str,
    /// Seconds spent in `from` (engine clock), when the state changed.
    pub spent_seconds: Option<i64>,
}

impl Transition<'_> {
    /// Reports it.
    pub fn emit(&self) {
        let m = metrics();
        let subject = self.subject.label();
        m.transitions
            .get_or_create(&labels([("subject", subject), ("to", self.to)]))
            .inc();
        if let Some(s) = self.spent_seconds {
            m.state_seconds
                .get_or_create(&labels([("subject", subject), ("state", self.from)]))
                .observe(s.max(0) as f64);
        }
        tracing::info!(
            event = "transition",
            subject,
            id = self.id,
            product = self.product,
            cause = self.cause,
            from = self.from,
            to = self.to,
            "{subject} {}: {} → {} ({})",
            self.id,
            self.from,
            self.to,
            self.cause
        );
    }
}

/// A call of a step failed; the step will be tried again.
#[derive(Debug)]
pub struct CallFailed<'a> {
    /// Release or job.
    pub subject: Subject,
    /// Its id.
    pub id: &'a str,
    /// The failure kind's label (`throttled`, `server_fault`, …).
    pub kind: &'a str,
    /// What happened.
    pub detail: &'a str,
}

impl CallFailed<'_> {
    /// Reports it.
    pub fn emit(&self) {
        let subject = self.subject.label();
        metrics()
            .call_failures
            .get_or_create(&labels([("subject", subject), ("kind", self.kind)]))
            .inc();
        tracing::warn!(
            event = "call_failed",
            subject,
            id = self.id,
            kind = self.kind,
            detail = self.detail,
            "{subject} {}: a call failed ({}), trying again later: {}",
            self.id,
            self.kind,
            self.detail
        );
    }
}

/// A release or job failed for good: an operator has to act (the remedy says how).
#[derive(Debug)]
pub struct WorkFailed<'a> {
    /// Release or job.
    pub subject: Subject,
    /// Its id.
    pub id: &'a str,
    /// The product's slug.
    pub product: &'a str,
    /// The state whose step failed.
    pub step: &'a str,
    /// The failure kind's label.
    pub kind: &'a str,
    /// What happened.
    pub detail: &'a str,
    /// What to do about it.
    pub remedy: &'a str,
}

impl WorkFailed<'_> {
    /// Reports it (at ERROR: exactly one line per failure).
    pub fn emit(&self) {
        let subject = self.subject.label();
        metrics()
            .failures
            .get_or_create(&labels([("subject", subject), ("kind", self.kind)]))
            .inc();
        tracing::error!(
            event = "work_failed",
            subject,
            id = self.id,
            product = self.product,
            step = self.step,
            kind = self.kind,
            remedy = self.remedy,
            "{subject} {} failed at {} ({}): {}; to do: {}",
            self.id,
            self.step,
            self.kind,
            self.detail,
            self.remedy
        );
    }
}

/// A release found its product locked by another change set and waits for it.
#[derive(Debug)]
pub struct ProductLocked<'a> {
    /// The waiting release.
    pub id: &'a str,
    /// The product's slug.
    pub product: &'a str,
    /// The change set holding the lock.
    pub by: &'a str,
}

impl ProductLocked<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .product_locked
            .get_or_create(&labels([("product", self.product)]))
            .inc();
        tracing::info!(
            event = "product_locked",
            id = self.id,
            product = self.product,
            by = self.by,
            "release {}: product {} is locked by change set {}; waiting",
            self.id,
            self.product,
            self.by
        );
    }
}

/// A worker tried to write work whose lease it no longer holds; the write was refused.
#[derive(Debug)]
pub struct LeaseLost<'a> {
    /// Release or job.
    pub subject: Subject,
    /// Its id.
    pub id: &'a str,
    /// The worker whose write was refused.
    pub worker: &'a str,
}

impl LeaseLost<'_> {
    /// Reports it.
    pub fn emit(&self) {
        let subject = self.subject.label();
        metrics()
            .leases_lost
            .get_or_create(&labels([("subject", subject)]))
            .inc();
        tracing::warn!(
            event = "lease_lost",
            subject,
            id = self.id,
            worker = self.worker,
            "{subject} {}: worker {} no longer holds the lease; its write was refused",
            self.id,
            self.worker
        );
    }
}

/// One AWS call finished (retries included).
#[derive(Debug)]
pub struct AwsCall<'a> {
    /// The service (`ec2`, `ssm`, …).
    pub service: &'a str,
    /// The operation (`CopyImage`, …).
    pub operation: &'a str,
    /// The Region the client was made for.
    pub region: &'a str,
    /// `ok`, or the failure kind's label.
    pub outcome: &'a str,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl AwsCall<'_> {
    /// Reports it (at DEBUG; the metrics always move).
    pub fn emit(&self) {
        let m = metrics();
        m.aws_calls
            .get_or_create(&labels([
                ("service", self.service),
                ("operation", self.operation),
                ("outcome", self.outcome),
            ]))
            .inc();
        m.aws_call_seconds
            .get_or_create(&labels([
                ("service", self.service),
                ("operation", self.operation),
            ]))
            .observe(self.seconds);
        tracing::debug!(
            event = "aws_call",
            service = self.service,
            operation = self.operation,
            region = self.region,
            outcome = self.outcome,
            seconds = self.seconds,
            "{} {} in {}: {} ({:.3} s)",
            self.service,
            self.operation,
            self.region,
            self.outcome,
            self.seconds
        );
    }
}

/// AWS answered one attempt of a call with a throttling error (the SDK retries it).
#[derive(Debug)]
pub struct AwsThrottled<'a> {
    /// The service.
    pub service: &'a str,
    /// The operation.
    pub operation: &'a str,
    /// The Region.
    pub region: &'a str,
}

impl AwsThrottled<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .aws_throttles
            .get_or_create(&labels([
                ("service", self.service),
                ("operation", self.operation),
            ]))
            .inc();
        tracing::debug!(
            event = "aws_throttled",
            service = self.service,
            operation = self.operation,
            region = self.region,
            "{} {} in {} was throttled",
            self.service,
            self.operation,
            self.region
        );
    }
}

/// A bus role (`intake`, `sender`) is connected.
#[derive(Debug)]
pub struct BusConnected<'a> {
    /// The role.
    pub role: &'a str,
    /// What it is connected to, in words (URLs masked).
    pub detail: &'a str,
}

impl BusConnected<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .bus_connected
            .get_or_create(&labels([("role", self.role)]))
            .set(1);
        tracing::info!(
            event = "bus_connected",
            role = self.role,
            "{}: {}",
            self.role,
            self.detail
        );
    }
}

/// A bus role lost its connection or cannot open one; it tries again.
#[derive(Debug)]
pub struct BusLost<'a> {
    /// The role.
    pub role: &'a str,
    /// Why, and what happens next.
    pub detail: &'a str,
}

impl BusLost<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .bus_connected
            .get_or_create(&labels([("role", self.role)]))
            .set(0);
        tracing::warn!(
            event = "bus_lost",
            role = self.role,
            "{}: {}",
            self.role,
            self.detail
        );
    }
}

/// An intake delivery was settled (`accepted`, `duplicate`, `ignored`, `irrelevant`, `dead`,
/// `requeued`).
#[derive(Debug)]
pub struct Delivery<'a> {
    /// What became of it.
    pub outcome: &'a str,
}

impl Delivery<'_> {
    /// Reports it (metrics; the log line is the caller's when it says more).
    pub fn emit(&self) {
        metrics()
            .deliveries
            .get_or_create(&labels([("outcome", self.outcome)]))
            .inc();
        tracing::debug!(
            event = "delivery",
            outcome = self.outcome,
            "delivery {}",
            self.outcome
        );
    }
}

/// An intake delivery was dead-lettered.
#[derive(Debug)]
pub struct DeadLettered<'a> {
    /// The reason's label.
    pub reason: &'a str,
    /// What was wrong with it.
    pub detail: &'a str,
}

impl DeadLettered<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .dead_letters
            .get_or_create(&labels([("reason", self.reason)]))
            .inc();
        tracing::debug!(
            event = "dead_lettered",
            reason = self.reason,
            "intake: a delivery was dead-lettered ({}): {}",
            self.reason,
            self.detail
        );
    }
}

/// The broker confirmed an announcement.
#[derive(Debug)]
pub struct Announced<'a> {
    /// The outbox row (the message id).
    pub id: &'a str,
    /// The routing key.
    pub topic: &'a str,
}

impl Announced<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics().announcements_sent.inc();
        tracing::info!(
            event = "announced",
            id = self.id,
            topic = self.topic,
            "sender: announced {} on {}",
            self.id,
            self.topic
        );
    }
}

/// A message was read from the `[events]` queue.
#[derive(Debug)]
pub struct ChangeSetEvent<'a> {
    /// The change set it names, when it is a change-set event.
    pub change_set: Option<&'a str>,
    /// `stored` (a wake-up was stored) or `ignored` (not a change-set event).
    pub outcome: &'a str,
    /// How the change set ended, or why the message was ignored.
    pub detail: &'a str,
}

impl ChangeSetEvent<'_> {
    /// Reports it.
    pub fn emit(&self) {
        metrics()
            .change_set_events
            .get_or_create(&labels([("outcome", self.outcome)]))
            .inc();
        let change_set = self.change_set.unwrap_or("-");
        if self.outcome == "ignored" {
            tracing::warn!(
                event = "change_set_event",
                outcome = self.outcome,
                "events: a message on the queue was ignored: {}",
                self.detail
            );
        } else {
            tracing::debug!(
                event = "change_set_event",
                change_set,
                outcome = self.outcome,
                "events: change set {change_set} {}",
                self.detail
            );
        }
    }
}

/// Stored wake-ups made waiting releases and jobs due.
#[derive(Debug)]
pub struct Woken {
    /// How many.
    pub count: usize,
}

impl Woken {
    /// Reports it (nothing when none was woken).
    pub fn emit(&self) {
        if self.count == 0 {
            return;
        }
        metrics().woken.inc_by(self.count as u64);
        tracing::debug!(
            event = "woken",
            count = self.count,
            "engine: {} waiting release(s) or job(s) woken",
            self.count
        );
    }
}
