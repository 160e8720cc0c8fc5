//! A lifecycle job as stored: what was asked (kind, product, the spec as given, arguments),
//! where it stands, the change sets it plans and follows, and how it ended.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::changeset::ChangeSet;
use crate::ids::digest_hex;
use crate::release::FailureKind;

/// What a job does to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Create the product and its offer (with a first version, when given).
    Create,
    /// Bring an existing listing in line with its spec (then clean up retired mirrors).
    Sync,
    /// Limited → Public.
    Visibility,
    /// Point an SSM alias at a version in every Region where it is launchable.
    Promote,
    /// Retire, then delete, the seller-side mirrors of restricted versions.
    Cleanup,
}

impl JobKind {
    /// The stable label.
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Create => "create",
            JobKind::Sync => "sync",
            JobKind::Visibility => "visibility",
            JobKind::Promote => "promote",
            JobKind::Cleanup => "cleanup",
        }
    }

    /// Whether the job submits change sets (and so takes the product's lock).
    pub fn changes_listing(self) -> bool {
        matches!(self, JobKind::Create | JobKind::Sync | JobKind::Visibility)
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Recorded; the plan is made (from the live listing) when the product is free.
    Queued,
    /// Starting the current change set of the plan.
    Submitting,
    /// Following the current change set.
    Following,
    /// The change sets are done; the closing work runs (ids, cleanup, parameters).
    Finishing,
    /// Finished.
    Done,
    /// Stopped on a failure; `retry` resumes the failed step.
    Failed,
    /// Stopped by request.
    Cancelled,
}

impl JobState {
    /// Every state, in the order of the work.
    pub const ALL: [JobState; 7] = [
        JobState::Queued,
        JobState::Submitting,
        JobState::Following,
        JobState::Finishing,
        JobState::Done,
        JobState::Failed,
        JobState::Cancelled,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Submitting => "submitting",
            JobState::Following => "following",
            JobState::Finishing => "finishing",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Whether no worker moves it any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

/// What was asked: enough for any worker to do it, with no file of the asking machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    /// What to do.
    pub kind: JobKind,
    /// The product's slug.
    pub product: String,
    /// The product spec's text as it was when the job was asked for (ids filled in).
    pub spec: String,
    /// Kind-specific arguments (`ami`, `version`, `notes`, `cleanup`, `alias`, `parameter`,
    /// `amis`).
    pub args: BTreeMap<String, String>,
}

/// A failed step, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    /// The state whose step failed (where `retry` resumes).
    pub step: JobState,
    /// What kind of failure.
    pub kind: FailureKind,
    /// What happened.
    pub detail: String,
    /// What to do about it.
    pub remedy: String,
}

/// One lifecycle job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// `j-` and 12 hex digits.
    pub id: String,
    /// What was asked.
    pub request: JobRequest,
    /// Where it stands.
    pub state: JobState,
    /// The change sets, in submission order, once planned.
    #[serde(default)]
    pub plan: Vec<ChangeSet>,
    /// The index of the change set being submitted or followed.
    #[serde(default)]
    pub current: usize,
    /// The change set being followed.
    #[serde(default)]
    pub change_set: Option<String>,
    /// Ids of the change sets that succeeded, in order.
    #[serde(default)]
    pub done_change_sets: Vec<String>,
    /// Another change set holding the product, while waiting for it.
    #[serde(default)]
    pub blocked_by: Option<String>,
    /// What the plan cannot do, for people.
    #[serde(default)]
    pub notes: Vec<String>,
    /// What the job did, one line each (when done).
    #[serde(default)]
    pub outcome: Vec<String>,
    /// When it is due again (epoch seconds); `None`: now.
    #[serde(default)]
    pub next_check_at: Option<i64>,
    /// Failed attempts of the current step.
    #[serde(default)]
    pub attempts: u32,
    /// Why it failed.
    #[serde(default)]
    pub failure: Option<JobFailure>,
    /// Retries so far: part of every change-set token after the first try.
    #[serde(default)]
    pub generation: u32,
    /// When it was asked for.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

impl Job {
    /// A new job for `request`, asked for at `now`.
    pub fn new(request: JobRequest, now: i64) -> Self {
        let args = serde_json::to_string(&request.args).unwrap_or_default();
        let id = format!(
            "j-{}",
            digest_hex(
                &[
                    request.kind.label().as_bytes(),
                    request.product.as_bytes(),
                    request.spec.as_bytes(),
                    args.as_bytes(),
                    now.to_string().as_bytes(),
                ],
                6,
            )
        );
        Self {
            id,
            request,
            state: JobState::Queued,
            plan: Vec::new(),
            current: 0,
            change_set: None,
            done_change_sets: Vec::new(),
            blocked_by: None,
            notes: Vec::new(),
            outcome: Vec::new(),
            next_check_at: None,
            attempts: 0,
            failure: None,
            generation: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// The job's kind.
    pub fn kind(&self) -> JobKind {
        self.request.kind
    }

    /// An argument, if given.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.request.args.get(name).map(String::as_str)
    }

    /// The change set (or local lock holder) whose end it waits for, if any: the key a wake-up
    /// names.
    pub fn waits_on(&self) -> Option<&str> {
        match self.state {
            JobState::Submitting => self.blocked_by.as_deref(),
            JobState::Following => self.change_set.as_deref(),
            _ => None,
        }
    }

    /// Whether it is due at `now`.
    pub fn due(&self, now: i64) -> bool {
        self.next_check_at.is_none_or(|t| t <= now)
    }

    /// The token of change set `index` for this generation: the plan's own on the first try,
    /// then one per retry, so a retried change set is a new request (a failed one is never
    /// handed back).
    pub fn token(&self, index: usize) -> Option<String> {
        let base = &self.plan.get(index)?.token;
        Some(match self.generation {
            0 => base.clone(),
            g => format!("{base}-r{g}"),
        })
    }
}
