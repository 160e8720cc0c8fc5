//! The job state machine: `decide(job, event, now)` → (job, commands). Pure: the engine runs the
//! commands and feeds their results back as events; every wait is `next_check_at`, never a
//! sleeping process.

use serde::{Deserialize, Serialize};

use super::model::{Job, JobFailure, JobState};
use crate::changeset::ChangeSet;
use crate::release::{FailureKind, explain};

/// Virtual seconds between looks at a running change set (DescribeChangeSet allows 10/s; a
/// minute keeps a multi-hour review to a few hundred calls).
pub const POLL_SECS: i64 = 60;
/// Virtual seconds between looks at a product another change set holds.
pub const LOCK_POLL_SECS: i64 = 60;
/// First wait after a failed call; doubled each time, up to `RETRY_CAP_SECS`.
pub const RETRY_SECS: i64 = 30;
/// Longest wait between tries of a failing call.
pub const RETRY_CAP_SECS: i64 = 900;
/// Failed tries of one step before the job fails.
pub const MAX_ATTEMPTS: u32 = 8;

/// What happened (a result of a command, or a request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum JobEvent {
    /// Time passed.
    Tick,
    /// The plan was made from the live listing.
    Planned {
        /// The change sets to submit, in order (none: only the closing work).
        change_sets: Vec<ChangeSet>,
        /// What the plan cannot do.
        notes: Vec<String>,
        /// What the plan does, for people (the first lines of the outcome).
        summary: Vec<String>,
    },
    /// The job cannot be done as asked (approval missing, listing in the wrong state, …).
    Refused {
        /// Why.
        detail: String,
        /// What to do.
        remedy: String,
    },
    /// Another change set holds the product.
    Locked {
        /// Its id.
        holder: String,
    },
    /// StartChangeSet accepted the current change set (or handed back the same request's).
    Started {
        /// Its id.
        id: String,
    },
    /// The change set is still running.
    StillRunning,
    /// The change set succeeded.
    Succeeded,
    /// The change set failed, with (code, message) of each error.
    ChangeSetFailed {
        /// The errors.
        errors: Vec<(String, String)>,
    },
    /// The change set was cancelled (outside this job).
    ChangeSetCancelled,
    /// The closing work is done.
    Finished {
        /// What it did, one line each.
        lines: Vec<String>,
    },
    /// A call failed.
    CallFailed {
        /// Its kind.
        kind: FailureKind,
        /// What happened.
        detail: String,
    },
    /// An operator asked to stop.
    CancelRequested {
        /// Who asked, for the timeline.
        by: String,
    },
    /// An operator asked to try a failed job again.
    RetryRequested {
        /// Who asked.
        by: String,
    },
}

impl JobEvent {
    /// The stable name (timelines).
    pub fn name(&self) -> &'static str {
        match self {
            JobEvent::Tick => "tick",
            JobEvent::Planned { .. } => "planned",
            JobEvent::Refused { .. } => "refused",
            JobEvent::Locked { .. } => "locked",
            JobEvent::Started { .. } => "started",
            JobEvent::StillRunning => "still_running",
            JobEvent::Succeeded => "succeeded",
            JobEvent::ChangeSetFailed { .. } => "change_set_failed",
            JobEvent::ChangeSetCancelled => "change_set_cancelled",
            JobEvent::Finished { .. } => "finished",
            JobEvent::CallFailed { .. } => "call_failed",
            JobEvent::CancelRequested { .. } => "cancel_requested",
            JobEvent::RetryRequested { .. } => "retry_requested",
        }
    }
}

/// What the engine must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCommand {
    /// Read the listing (once the product is free) and make the plan.
    Plan,
    /// StartChangeSet of plan entry `index` with `token`.
    Start {
        /// Which change set of the plan.
        index: usize,
        /// Its `ClientRequestToken` for this try.
        token: String,
    },
    /// DescribeChangeSet.
    Check {
        /// The change set.
        id: String,
    },
    /// The closing work of the job's kind.
    Finish,
    /// CancelChangeSet (a cancelled job's running change set).
    CancelChangeSet {
        /// The change set.
        id: String,
    },
}

impl JobCommand {
    /// The stable name (hook points: `before:job_plan`, …).
    pub fn name(&self) -> &'static str {
        match self {
            JobCommand::Plan => "job_plan",
            JobCommand::Start { .. } => "job_start",
            JobCommand::Check { .. } => "job_check",
            JobCommand::Finish => "job_finish",
            JobCommand::CancelChangeSet { .. } => "job_cancel_change_set",
        }
    }
}

/// The next job and the commands to run, for `event` at `now` (epoch seconds).
pub fn decide(job: &Job, event: &JobEvent, now: i64) -> (Job, Vec<JobCommand>) {
    let mut j = job.clone();
    let cmds = step(&mut j, event, now);
    if j != *job {
        j.updated_at = now;
    }
    (j, cmds)
}

fn step(j: &mut Job, event: &JobEvent, now: i64) -> Vec<JobCommand> {
    use JobEvent as E;
    use JobState as S;
    match (j.state, event) {
        (S::Failed, E::RetryRequested { .. }) => retry(j, now),
        (S::Failed, E::CancelRequested { .. }) => {
            j.state = S::Cancelled;
            j.next_check_at = None;
            Vec::new()
        }
        (s, _) if s.is_terminal() => Vec::new(),
        (s, E::CancelRequested { .. }) => {
            let running = j.change_set.clone().filter(|_| s == S::Following);
            j.state = S::Cancelled;
            j.next_check_at = None;
            running
                .map(|id| vec![JobCommand::CancelChangeSet { id }])
                .unwrap_or_default()
        }
        (_, E::Tick) if j.due(now) => commands(j),
        (_, E::Tick) => Vec::new(),
        (_, E::CallFailed { kind, detail }) => call_failed(j, *kind, detail, now),
        (
            S::Queued,
            E::Planned {
                change_sets,
                notes,
                summary,
            },
        ) => {
            j.plan = change_sets.clone();
            j.notes = notes.clone();
            j.outcome = summary.clone();
            j.current = 0;
            advance(j, now)
        }
        (S::Queued, E::Refused { detail, remedy }) => {
            fail(j, FailureKind::InvalidInput, detail.clone(), remedy.clone());
            Vec::new()
        }
        (S::Queued | S::Submitting, E::Locked { holder }) => {
            j.blocked_by = Some(holder.clone());
            j.attempts = 0;
            j.next_check_at = Some(now + LOCK_POLL_SECS);
            Vec::new()
        }
        (S::Submitting, E::Started { id }) => {
            j.state = S::Following;
            j.change_set = Some(id.clone());
            j.blocked_by = None;
            j.attempts = 0;
            j.next_check_at = Some(now + POLL_SECS);
            Vec::new()
        }
        (S::Following, E::StillRunning) => {
            j.attempts = 0;
            j.next_check_at = Some(now + POLL_SECS);
            Vec::new()
        }
        (S::Following, E::Succeeded) => {
            j.done_change_sets.extend(j.change_set.take());
            j.current += 1;
            advance(j, now)
        }
        (S::Following, E::ChangeSetFailed { errors }) => {
            let (kind, detail, remedy) = explain(errors);
            let id = j.change_set.clone().unwrap_or_default();
            fail(j, kind, format!("change set {id}: {detail}"), remedy);
            Vec::new()
        }
        (S::Following, E::ChangeSetCancelled) => {
            let id = j.change_set.clone().unwrap_or_default();
            fail(
                j,
                FailureKind::ServerFault,
                format!("change set {id} was cancelled outside amipub"),
                "Run amipub retry to submit it again, or amipub cancel to drop the job.".into(),
            );
            Vec::new()
        }
        (S::Finishing, E::Finished { lines }) => {
            j.outcome.extend(lines.iter().cloned());
            j.state = S::Done;
            j.next_check_at = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// On to the next change set of the plan, or to the closing work when none is left.
fn advance(j: &mut Job, now: i64) -> Vec<JobCommand> {
    j.state = if j.current < j.plan.len() {
        JobState::Submitting
    } else {
        JobState::Finishing
    };
    j.blocked_by = None;
    j.attempts = 0;
    j.next_check_at = Some(now);
    commands(j)
}

/// What the current state asks for.
fn commands(j: &Job) -> Vec<JobCommand> {
    match j.state {
        JobState::Queued => vec![JobCommand::Plan],
        JobState::Submitting => j
            .token(j.current)
            .map(|token| {
                vec![JobCommand::Start {
                    index: j.current,
                    token,
                }]
            })
            .unwrap_or_default(),
        JobState::Following => j
            .change_set
            .clone()
            .map(|id| vec![JobCommand::Check { id }])
            .unwrap_or_default(),
        JobState::Finishing => vec![JobCommand::Finish],
        _ => Vec::new(),
    }
}

fn call_failed(j: &mut Job, kind: FailureKind, detail: &str, now: i64) -> Vec<JobCommand> {
    if kind.retryable() && j.attempts + 1 < MAX_ATTEMPTS {
        let wait = RETRY_SECS
            .saturating_mul(1 << j.attempts.min(10))
            .min(RETRY_CAP_SECS);
        j.attempts += 1;
        j.next_check_at = Some(now + wait);
        return Vec::new();
    }
    let remedy = match kind {
        FailureKind::AccessDenied => {
            "Give amipub the permissions of `amipub iam-policy`, then amipub retry.".to_owned()
        }
        FailureKind::InvalidCredentials => {
            "The credentials were refused: renew or correct them (amipub doctor), then amipub retry.".to_owned()
        }
        FailureKind::InvalidInput | FailureKind::ScanFailed => {
            "Fix what the error names (the spec or the listing), then amipub retry.".to_owned()
        }
        _ => "AWS kept failing; run amipub retry later.".to_owned(),
    };
    fail(j, kind, detail.to_owned(), remedy);
    Vec::new()
}

fn fail(j: &mut Job, kind: FailureKind, detail: String, remedy: String) {
    j.failure = Some(JobFailure {
        step: j.state,
        kind,
        detail,
        remedy,
    });
    j.state = JobState::Failed;
    j.next_check_at = None;
}

/// Back to the step that failed; a failed change set is planned again from the live listing
/// (what it changed, or did not, is read afresh).
fn retry(j: &mut Job, now: i64) -> Vec<JobCommand> {
    let step = j.failure.take().map_or(JobState::Queued, |f| f.step);
    j.generation += 1;
    j.attempts = 0;
    j.change_set = None;
    j.blocked_by = None;
    if step == JobState::Finishing {
        j.state = JobState::Finishing;
    } else {
        j.plan.clear();
        j.current = 0;
        j.state = JobState::Queued;
    }
    j.next_check_at = Some(now);
    commands(j)
}
