//! What the engine says about each stored transition: the typed events of `amipub-telemetry`
//! (a transition when the state changed, a call that failed and will be tried again, a product
//! locked by another change set, and one ERROR line when work fails for good).

use amipub_domain::job::{Job, JobEvent, JobState};
use amipub_domain::release::{Event, Release, State};
use amipub_telemetry::Subject;
use amipub_telemetry::events::{CallFailed, ProductLocked, Transition, WorkFailed};

/// Reports a release's stored transition.
pub fn release(before: &Release, after: &Release, event: &Event, now: i64) {
    if after.state != before.state {
        Transition {
            subject: Subject::Release,
            id: &after.id,
            product: &after.product,
            cause: event.name(),
            from: before.state.name(),
            to: after.state.name(),
            spent_seconds: Some(now - before.entered_at),
        }
        .emit();
    }
    match event {
        Event::ProductLocked { change_set } => ProductLocked {
            id: &after.id,
            product: &after.product,
            by: change_set,
        }
        .emit(),
        Event::CallFailed { kind, detail } if after.state != State::Failed => CallFailed {
            subject: Subject::Release,
            id: &after.id,
            kind: kind.label(),
            detail,
        }
        .emit(),
        _ => {}
    }
    if after.state == State::Failed
        && before.state != State::Failed
        && let Some(f) = &after.failure
    {
        WorkFailed {
            subject: Subject::Release,
            id: &after.id,
            product: &after.product,
            step: f.step.name(),
            kind: f.kind.label(),
            detail: &f.detail,
            remedy: &f.remedy,
        }
        .emit();
    }
}

/// Reports a release that was just recorded.
pub fn received(r: &Release) {
    Transition {
        subject: Subject::Release,
        id: &r.id,
        product: &r.product,
        cause: "received",
        from: "-",
        to: r.state.name(),
        spent_seconds: None,
    }
    .emit();
}

/// Reports a job's stored transition.
pub fn job(before: &Job, after: &Job, event: &JobEvent, since: Option<i64>) {
    let product = after.request.product.as_str();
    if after.state != before.state {
        Transition {
            subject: Subject::Job,
            id: &after.id,
            product,
            cause: event.name(),
            from: before.state.name(),
            to: after.state.name(),
            spent_seconds: since,
        }
        .emit();
    }
    if let JobEvent::CallFailed { kind, detail } = event
        && after.state != JobState::Failed
    {
        CallFailed {
            subject: Subject::Job,
            id: &after.id,
            kind: kind.label(),
            detail,
        }
        .emit();
    }
    if after.state == JobState::Failed
        && before.state != JobState::Failed
        && let Some(f) = &after.failure
    {
        WorkFailed {
            subject: Subject::Job,
            id: &after.id,
            product,
            step: f.step.name(),
            kind: f.kind.label(),
            detail: &f.detail,
            remedy: &f.remedy,
        }
        .emit();
    }
}

/// Reports a job that was just recorded.
pub fn asked(j: &Job) {
    Transition {
        subject: Subject::Job,
        id: &j.id,
        product: &j.request.product,
        cause: "asked",
        from: "-",
        to: j.state.name(),
        spent_seconds: None,
    }
    .emit();
}

/// The span of one command of a release or job: its name, and the call, Region and resource of
/// a failure once one is recorded (`PortError::record_on_span`).
pub fn command_span(name: &str) -> tracing::Span {
    tracing::info_span!(
        "command",
        command = name,
        call = tracing::field::Empty,
        region = tracing::field::Empty,
        resource = tracing::field::Empty
    )
}
