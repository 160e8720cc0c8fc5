//! A release and its states. A release is one version of one product: a source AMI travelling
//! through the pipeline until its Marketplace AMIs are announced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{Region, ReleaseId};
use crate::image::Architecture;

/// Where a release is. The order of the variants is the order of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Recorded; the source AMI is about to be inspected.
    Received,
    /// The source AMI is trusted and passes the checklist.
    Admitted,
    /// The copy into the seller account is under way.
    Mirroring,
    /// The seller-side copy is available.
    Mirrored,
    /// The ingestion role is in place.
    Granted,
    /// The version is being submitted (or waits for the product's lock).
    Submitting,
    /// The change set runs: validation and security scan.
    Scanning,
    /// Second-party path: the source AMI is being copied into every Region of the seller account.
    Cloning,
    /// Second-party path: a clone is available in every Region.
    Cloned,
    /// Second-party path: every clone and snapshot is shared with the Marketplace accounts.
    Shared,
    /// Second-party path: the load form is written; a person attaches it to the Marketplace ticket.
    AwaitingSubmission,
    /// Second-party path: the form is submitted; the Marketplace publishes (days).
    Submitted,
    /// The version is listed.
    Published,
    /// Its Marketplace AMIs are found (all Regions, or as many as appeared before the deadline).
    Located,
    /// SSM parameters point at them.
    ParametersWritten,
    /// The announcement is queued in the outbox.
    Announced,
    /// Finished.
    Done,
    /// The build matches no product (recorded, not an error).
    Ignored,
    /// The source AMI may not be published; nothing was created.
    Rejected,
    /// A step failed for good; `retry` resumes it.
    Failed,
    /// Stopped by an operator.
    Cancelled,
}

impl State {
    /// Every state, in pipeline order.
    pub const ALL: [State; 21] = [
        State::Received,
        State::Admitted,
        State::Mirroring,
        State::Mirrored,
        State::Granted,
        State::Submitting,
        State::Scanning,
        State::Cloning,
        State::Cloned,
        State::Shared,
        State::AwaitingSubmission,
        State::Submitted,
        State::Published,
        State::Located,
        State::ParametersWritten,
        State::Announced,
        State::Done,
        State::Ignored,
        State::Rejected,
        State::Failed,
        State::Cancelled,
    ];

    /// No further work happens (Failed can still be retried by an operator).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Done | State::Ignored | State::Rejected | State::Failed | State::Cancelled
        )
    }

    /// Nothing moves until a person acts (a second-party load form to attach to the
    /// Marketplace ticket): as far as a command that follows a release can take it.
    pub fn waits_for_person(self) -> bool {
        self == State::AwaitingSubmission
    }

    /// A step of the second-party path only.
    pub fn is_second_party(self) -> bool {
        matches!(
            self,
            State::Cloning
                | State::Cloned
                | State::Shared
                | State::AwaitingSubmission
                | State::Submitted
        )
    }

    /// The stable name (`mirroring`, …).
    pub fn name(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Admitted => "admitted",
            State::Mirroring => "mirroring",
            State::Mirrored => "mirrored",
            State::Granted => "granted",
            State::Submitting => "submitting",
            State::Scanning => "scanning",
            State::Cloning => "cloning",
            State::Cloned => "cloned",
            State::Shared => "shared",
            State::AwaitingSubmission => "awaiting_submission",
            State::Submitted => "submitted",
            State::Published => "published",
            State::Located => "located",
            State::ParametersWritten => "parameters_written",
            State::Announced => "announced",
            State::Done => "done",
            State::Ignored => "ignored",
            State::Rejected => "rejected",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }
}

/// Why a step failed (HOUSE_STYLE rule 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Rate limits that did not clear within the retry budget.
    Throttled,
    /// A missing permission (or a missing grant such as the ingestion role).
    AccessDenied,
    /// The credentials were refused as such (unknown key, bad signature, expired token): no
    /// permission helps, they must be fixed or renewed.
    InvalidCredentials,
    /// The request or the data is wrong.
    InvalidInput,
    /// The security scan (or Marketplace validation) refused the version.
    ScanFailed,
    /// AWS kept failing.
    ServerFault,
    /// A wait passed its deadline.
    Timeout,
}

impl FailureKind {
    /// The stable label.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Throttled => "throttled",
            FailureKind::AccessDenied => "access_denied",
            FailureKind::InvalidCredentials => "invalid_credentials",
            FailureKind::InvalidInput => "invalid_input",
            FailureKind::ScanFailed => "scan_failed",
            FailureKind::ServerFault => "server_fault",
            FailureKind::Timeout => "timeout",
        }
    }

    /// Whether trying the same call again later may help.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            FailureKind::Throttled | FailureKind::ServerFault | FailureKind::Timeout
        )
    }
}

/// A failed step, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The state whose step failed (where `retry` resumes).
    pub step: State,
    /// What kind of failure.
    pub kind: FailureKind,
    /// What happened, in plain words.
    pub detail: String,
    /// What to do about it.
    pub remedy: String,
    /// The AMI security controls a failed scan failed, each with its remedy (empty for every
    /// other failure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<super::assessment::ControlFinding>,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Stable id (also the root of every idempotency token).
    pub id: ReleaseId,
    /// The product's slug.
    pub product: String,
    /// The Marketplace version title.
    pub version: String,
    /// The release notes (rendered from the product's template when the release was made).
    pub notes: String,
    /// The build's template variables (`release`, `arch`, `subvariant`, `compose_id`, …), for
    /// SSM names and announcements.
    pub vars: BTreeMap<String, String>,
    /// Region of the source AMI.
    pub source_region: Region,
    /// The source AMI.
    pub source_ami: String,
    /// The build's AMIs in other Regions (Region → AMI): the second-party path clones a
    /// partition CopyImage cannot reach from `source_region` (GovCloud) from the build's AMI there.
    #[serde(default)]
    pub sources: BTreeMap<Region, String>,
    /// Accounts whose AMIs may be published.
    pub trusted_owners: Vec<String>,
    /// The product's architecture (`x86_64` or `arm64`).
    pub architecture: Architecture,
    /// Where it is.
    pub state: State,
    /// The seller-side copy in us-east-1.
    pub mirror_ami: Option<String>,
    /// The change set that adds the version.
    pub change_set: Option<String>,
    /// A change set of someone else that holds the product's lock.
    pub blocked_by: Option<String>,
    /// Regions the version should appear in.
    pub expected_regions: Vec<Region>,
    /// Region → Marketplace AMI found so far.
    pub regions: BTreeMap<Region, String>,
    /// Region → when its Marketplace AMI was last seen available (epoch seconds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub located_at: BTreeMap<Region, i64>,
    /// Polls of the current step (how long it has been waiting), for the poll backoff.
    pub attempts: u32,
    /// Calls of the current step that failed in a row; the step fails when this reaches
    /// `MAX_CALL_ATTEMPTS`. Kept apart from `attempts` so a long, healthy wait (a product lock
    /// held by other releases) does not use up the retries of a call.
    #[serde(default)]
    pub failures: u32,
    /// How many times an operator retried the release; part of every idempotency token, so a
    /// retry makes fresh requests while a restart repeats the same ones.
    pub generation: u32,
    /// When the engine should look at the release again (epoch seconds); `None`: now.
    pub next_check_at: Option<i64>,
    /// When the current state was entered (epoch seconds), for deadlines.
    pub entered_at: i64,
    /// Why it failed.
    pub failure: Option<Failure>,
    /// Why it was rejected.
    pub rejection: Option<String>,
    /// What the check at the end of the release found (its Marketplace AMIs launchable, its
    /// SSM parameters holding them), once it ran.
    #[serde(default)]
    pub verification: Option<String>,
    /// The second-party ("provided by AWS") path's progress; `None` on the catalog path.
    #[serde(default)]
    pub second_party: Option<super::second_party::SecondParty>,
    /// How long this release's waits took, noted as they end (the history later releases of the
    /// product are paced by).
    #[serde(default, skip_serializing_if = "super::durations::Durations::is_empty")]
    pub took: super::durations::Durations,
    /// What its waits are expected to take, from the product's earlier releases; `None` until
    /// the engine looked (`pace::expect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<super::durations::Durations>,
    /// The versions its change set restricts besides adding this one (the product's
    /// retention), by title: announced, with this version as their replacement, once it is live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restricts: Vec<String>,
    /// The account that owns the source AMI, once inspected (a provenance tag of the copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_owner: Option<String>,
}

impl Release {
    /// The change set (or local lock holder) whose end it waits for, if any: the key a wake-up
    /// names.
    pub fn waits_on(&self) -> Option<&str> {
        match self.state {
            State::Submitting => self.blocked_by.as_deref(),
            State::Scanning => self.change_set.as_deref(),
            _ => None,
        }
    }

    /// A new release, Received at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &str,
        product: &str,
        version: &str,
        source_region: &str,
        source_ami: &str,
        trusted_owners: Vec<String>,
        architecture: &str,
        expected_regions: Vec<String>,
        now: i64,
    ) -> Self {
        Self {
            id: ReleaseId::known(id),
            product: product.to_owned(),
            version: version.to_owned(),
            notes: String::new(),
            vars: BTreeMap::new(),
            source_region: Region::known(source_region),
            source_ami: source_ami.to_owned(),
            sources: BTreeMap::new(),
            trusted_owners,
            architecture: Architecture::from(architecture),
            state: State::Received,
            mirror_ami: None,
            change_set: None,
            blocked_by: None,
            expected_regions: expected_regions.iter().map(|r| Region::known(r)).collect(),
            regions: BTreeMap::new(),
            located_at: BTreeMap::new(),
            attempts: 0,
            failures: 0,
            generation: 0,
            next_check_at: None,
            entered_at: now,
            failure: None,
            rejection: None,
            verification: None,
            second_party: None,
            took: Default::default(),
            expected: None,
            restricts: Vec::new(),
            source_owner: None,
        }
    }
}
