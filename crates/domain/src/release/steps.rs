//! The moves every step makes on a release: entering a state, waiting in one, failing with an
//! explanation; and the name of a release's copies.

use super::event::Command;
use super::model::{Failure, FailureKind, Release, State};
use super::pace::next_look;
use super::timing::backoff;

/// Waits in `state`, entering it first if the release is not there yet: AWS answered, so the
/// retries of a call start over, and one more poll lengthens the wait.
pub(crate) fn wait(r: &mut Release, state: State, base: i64, cap: i64, now: i64) {
    if r.state == state {
        r.attempts += 1;
    } else {
        enter(r, state, now);
    }
    r.failures = 0;
    r.next_check_at = Some(now + backoff(base, cap, r.attempts));
}

/// Waits like `wait`, with the next look placed by the wait's expected length (`pace`).
pub(crate) fn wait_paced(
    r: &mut Release,
    state: State,
    expected: Option<i64>,
    (base, cap): (i64, i64),
    now: i64,
) {
    wait(r, state, base, cap, now);
    let elapsed = now - r.entered_at;
    r.next_check_at = Some(now + next_look(elapsed, expected, base, cap, r.attempts));
}

/// Enters a state: attempts, failures and waiting start over.
pub(crate) fn enter(r: &mut Release, state: State, now: i64) {
    r.state = state;
    r.entered_at = now;
    r.attempts = 0;
    r.failures = 0;
    r.next_check_at = None;
}

pub(crate) fn fail(
    r: &mut Release,
    kind: FailureKind,
    detail: String,
    remedy: String,
    now: i64,
) -> Vec<Command> {
    r.failure = Some(Failure {
        step: r.state,
        kind,
        detail,
        remedy,
        controls: Vec::new(),
    });
    enter(r, State::Failed, now);
    Vec::new()
}

/// The seller-side copy's name: recognisable, unique per release, within EC2's 128 characters.
pub fn mirror_name(r: &Release) -> String {
    let name = format!("amipub-{}-{}", r.product, r.version);
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect()
}
