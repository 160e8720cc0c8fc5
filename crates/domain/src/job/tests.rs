#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;

use super::*;
use crate::changeset::ChangeSet;
use crate::release::FailureKind;

fn cs(n: &str) -> ChangeSet {
    ChangeSet {
        name: format!("amipub sync p {n}"),
        token: format!("amipub-{n:0>40}"),
        purpose: "test".into(),
        changes: Vec::new(),
    }
}

fn job() -> Job {
    Job::new(
        JobRequest {
            kind: JobKind::Sync,
            product: "p".into(),
            spec: "[product]".into(),
            args: BTreeMap::new(),
        },
        100,
    )
}

fn run(j: &Job, e: JobEvent, now: i64) -> (Job, Vec<JobCommand>) {
    decide(j, &e, now)
}

#[test]
fn a_job_plans_submits_each_change_set_in_turn_and_finishes() {
    let j = job();
    assert!(j.id.starts_with("j-") && j.id.len() == 14);
    let (j, c) = run(&j, JobEvent::Tick, 100);
    assert_eq!(c, vec![JobCommand::Plan]);
    let planned = JobEvent::Planned {
        change_sets: vec![cs("1"), cs("2")],
        notes: vec![],
        summary: vec![],
    };
    let (j, c) = run(&j, planned, 100);
    assert_eq!(j.state, JobState::Submitting);
    assert!(matches!(&c[..], [JobCommand::Start { index: 0, token }] if token.ends_with('1')));
    let (j, c) = run(&j, JobEvent::Started { id: "cs-1".into() }, 101);
    assert!(c.is_empty() && j.state == JobState::Following);
    // Not due yet: a tick asks nothing; when due, a look at the change set.
    assert!(run(&j, JobEvent::Tick, 120).1.is_empty());
    let (j, c) = run(&j, JobEvent::Tick, 101 + decide::POLL_SECS);
    assert_eq!(c, vec![JobCommand::Check { id: "cs-1".into() }]);
    let (j, _) = run(&j, JobEvent::StillRunning, 200);
    assert_eq!(j.next_check_at, Some(200 + decide::POLL_SECS));
    let (j, c) = run(&j, JobEvent::Succeeded, 300);
    assert!(matches!(&c[..], [JobCommand::Start { index: 1, .. }]));
    let (j, _) = run(&j, JobEvent::Started { id: "cs-2".into() }, 301);
    let (j, c) = run(&j, JobEvent::Succeeded, 400);
    assert_eq!(c, vec![JobCommand::Finish]);
    assert_eq!(j.done_change_sets, vec!["cs-1", "cs-2"]);
    let (j, c) = run(
        &j,
        JobEvent::Finished {
            lines: vec!["applied".into()],
        },
        401,
    );
    assert!(c.is_empty() && j.state == JobState::Done && j.outcome == ["applied"]);
    // A finished job ignores everything.
    assert_eq!(
        run(&j, JobEvent::CancelRequested { by: "ops".into() }, 500).0,
        j
    );
}

#[test]
fn a_lock_waits_as_data_and_transient_failures_back_off_then_fail() {
    let (j, _) = run(
        &job(),
        JobEvent::Planned {
            change_sets: vec![cs("1")],
            notes: vec![],
            summary: vec![],
        },
        100,
    );
    let (j, c) = run(
        &j,
        JobEvent::Locked {
            holder: "other".into(),
        },
        100,
    );
    assert!(c.is_empty());
    assert_eq!(j.blocked_by.as_deref(), Some("other"));
    assert_eq!(j.next_check_at, Some(100 + decide::LOCK_POLL_SECS));
    let mut j = j;
    let mut waits = Vec::new();
    for i in 0..decide::MAX_ATTEMPTS {
        let failed = JobEvent::CallFailed {
            kind: FailureKind::Throttled,
            detail: "slow down".into(),
        };
        j = run(&j, failed, 1000 + i64::from(i)).0;
        waits.push(j.next_check_at.map(|t| t - 1000 - i64::from(i)));
    }
    assert_eq!(waits[0], Some(decide::RETRY_SECS));
    assert_eq!(waits[1], Some(decide::RETRY_SECS * 2));
    assert_eq!(j.state, JobState::Failed, "{waits:?}");
    let f = j.failure.clone().unwrap();
    assert_eq!(
        (f.step, f.kind),
        (JobState::Submitting, FailureKind::Throttled)
    );
    // Access denied fails at once, with the permissions remedy.
    let (j2, _) = run(
        &job(),
        JobEvent::CallFailed {
            kind: FailureKind::AccessDenied,
            detail: "no".into(),
        },
        1,
    );
    assert!(j2.failure.unwrap().remedy.contains("iam-policy"));
}

#[test]
fn retry_plans_failed_change_sets_again_under_new_tokens() {
    let (j, _) = run(
        &job(),
        JobEvent::Planned {
            change_sets: vec![cs("1")],
            notes: vec![],
            summary: vec![],
        },
        100,
    );
    let first = j.token(0).unwrap();
    let (j, _) = run(&j, JobEvent::Started { id: "cs-1".into() }, 100);
    let errors = vec![("INVALID_INPUT".to_owned(), "bad title".to_owned())];
    let (j, _) = run(&j, JobEvent::ChangeSetFailed { errors }, 200);
    assert_eq!(j.state, JobState::Failed);
    assert!(j.failure.as_ref().unwrap().detail.contains("cs-1"));
    let (j, c) = run(&j, JobEvent::RetryRequested { by: "ops".into() }, 300);
    assert_eq!((j.state, c), (JobState::Queued, vec![JobCommand::Plan]));
    let (j, _) = run(
        &j,
        JobEvent::Planned {
            change_sets: vec![cs("1")],
            notes: vec![],
            summary: vec![],
        },
        300,
    );
    let again = j.token(0).unwrap();
    assert_ne!(first, again);
    assert!(again.len() <= 64);
}

#[test]
fn cancel_stops_the_job_and_its_running_change_set() {
    let (j, _) = run(
        &job(),
        JobEvent::Planned {
            change_sets: vec![cs("1")],
            notes: vec![],
            summary: vec![],
        },
        100,
    );
    let (j, _) = run(&j, JobEvent::Started { id: "cs-1".into() }, 100);
    let (j, c) = run(&j, JobEvent::CancelRequested { by: "ops".into() }, 150);
    assert_eq!(j.state, JobState::Cancelled);
    assert_eq!(c, vec![JobCommand::CancelChangeSet { id: "cs-1".into() }]);
    // Refused plans fail with the reason; a plan with nothing to submit goes to the closing work.
    let (r, _) = run(
        &job(),
        JobEvent::Refused {
            detail: "not approved".into(),
            remedy: "amipub approve".into(),
        },
        1,
    );
    assert_eq!(r.state, JobState::Failed);
    let (n, c) = run(
        &job(),
        JobEvent::Planned {
            change_sets: vec![],
            notes: vec!["matches".into()],
            summary: vec![],
        },
        1,
    );
    assert_eq!(
        (n.state, c),
        (JobState::Finishing, vec![JobCommand::Finish])
    );
}
