//! What happens to a release (events, the results of commands) and what it asks for (commands,
//! run by the engine through its ports).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assessment::ControlFinding;
use super::model::FailureKind;
use crate::ids::Region;
use crate::image::{Architecture, ImageState};

/// Facts about an AMI, as DescribeImages reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
    /// Owning account.
    pub owner: String,
    /// `pending`, `available`, `failed`, …
    pub state: ImageState,
    /// `x86_64`, `arm64`, `i386`.
    pub architecture: Architecture,
    /// `hvm` or `paravirtual`.
    pub virtualization: String,
    /// `ebs` or `instance-store`.
    pub root_device_type: String,
    /// ENA support.
    pub ena_support: bool,
    /// Any snapshot encrypted.
    pub encrypted: bool,
    /// Marketplace product codes already on the image.
    pub product_codes: Vec<String>,
}

/// An event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The release is due: look again.
    Tick,
    /// The source AMI was found.
    SourceInspected(ImageFacts),
    /// The source AMI does not exist or is not visible.
    SourceMissing,
    /// A copy into the seller account exists and is pending.
    MirrorStarted {
        /// The copy.
        ami: String,
    },
    /// The copy is available.
    MirrorAvailable {
        /// The copy.
        ami: String,
    },
    /// The copy ended `failed`.
    MirrorFailed {
        /// What EC2 said.
        detail: String,
    },
    /// The ingestion role exists, trusts Marketplace and has its policy.
    GrantVerified,
    /// Something of the ingestion role is missing.
    GrantMissing {
        /// What is missing.
        detail: String,
    },
    /// The product already has this version title.
    VersionListed,
    /// Another change set holds the product.
    ProductLocked {
        /// The holder.
        change_set: String,
    },
    /// Our change set was accepted.
    ChangeSetStarted {
        /// Its id.
        id: String,
        /// The versions it restricts besides adding ours (retention), by title.
        restricts: Vec<String>,
    },
    /// Our change set is still PREPARING or APPLYING.
    ChangeSetRunning,
    /// Our change set SUCCEEDED.
    ChangeSetSucceeded {
        /// The controls of its AMI security assessment (none when it has none or it could not
        /// be read).
        #[serde(default)]
        controls: Vec<ControlFinding>,
    },
    /// Our change set FAILED.
    ChangeSetFailed {
        /// (code, message) of each ErrorDetailList entry.
        errors: Vec<(String, String)>,
        /// The controls of its AMI security assessment (none when it has none or it could not
        /// be read).
        #[serde(default)]
        controls: Vec<ControlFinding>,
    },
    /// Our change set was CANCELLED (by someone else).
    ChangeSetCancelled,
    /// Second-party path: the clones of the release, as found in each Region asked about.
    ClonesSeen {
        /// Region → clone that is available.
        available: BTreeMap<Region, String>,
        /// Region → clone still being copied.
        pending: BTreeMap<Region, String>,
        /// Region → why no clone can be made or why the copy failed (with the fix).
        failed: BTreeMap<Region, String>,
    },
    /// Second-party path: every clone and snapshot reads back shared with these accounts.
    SharesVerified {
        /// The accounts.
        accounts: Vec<String>,
        /// How the list differs from the previous release's, in words, if it does.
        changed: Option<String>,
    },
    /// Second-party path: a share did not read back.
    SharesMissing {
        /// Region, resource and account of each missing share.
        detail: String,
    },
    /// Second-party path: the load form workbook is written and stored with the release.
    FormWritten {
        /// The workbook's file name.
        name: String,
    },
    /// Second-party path: the reminder that the form still waits for submission is queued.
    Reminded,
    /// Second-party path: a person attached the form to the Marketplace ticket.
    SubmissionRecorded {
        /// Where (the ticket's address).
        ticket: String,
        /// Who said so.
        by: String,
    },
    /// Second-party path: the Marketplace team refused the form.
    FormRejected {
        /// The reason the ticket gives.
        reason: String,
        /// Who recorded it.
        by: String,
    },
    /// Marketplace AMIs found, Region → AMI.
    RegionsFound {
        /// What was found in this look.
        found: BTreeMap<Region, String>,
    },
    /// The SSM parameters are written, in the Regions where the AMI is launchable, and read back.
    ParametersWritten {
        /// The check of the release's AMIs and parameters, in words.
        verified: String,
    },
    /// The announcement is in the outbox.
    AnnouncementQueued,
    /// A call failed.
    CallFailed {
        /// How.
        kind: FailureKind,
        /// What the service said.
        detail: String,
    },
    /// An operator cancels the release.
    CancelRequested {
        /// Who asked (a login name or the console's identity), for the timeline.
        by: String,
    },
    /// An operator retries a failed release.
    RetryRequested {
        /// Who asked.
        by: String,
    },
}

/// A command for the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// DescribeImages of the source AMI.
    InspectSource {
        /// Region.
        region: Region,
        /// AMI.
        ami: String,
    },
    /// Find the seller-side copy by tag, or CopyImage with the token.
    EnsureMirror {
        /// Source Region.
        source_region: Region,
        /// Source AMI.
        source_ami: String,
        /// Name of the copy.
        name: String,
        /// CopyImage `ClientToken`.
        client_token: String,
    },
    /// DescribeImages of the copy.
    CheckMirror {
        /// The copy.
        ami: String,
    },
    /// Check the ingestion role.
    VerifyGrant,
    /// Look for the version, check the product's lock, else StartChangeSet with the token.
    SubmitVersion {
        /// The seller-side AMI.
        mirror_ami: String,
        /// `ClientRequestToken`.
        client_request_token: String,
    },
    /// DescribeChangeSet.
    CheckChangeSet {
        /// Change set id.
        id: String,
    },
    /// CancelChangeSet (while it is still PREPARING).
    CancelChangeSet {
        /// Change set id.
        id: String,
    },
    /// Find the version's Marketplace AMI in each Region not found yet.
    LocateRegions {
        /// Regions still missing.
        regions: Vec<Region>,
    },
    /// Second-party path: find each Region's clone by tag, or CopyImage with the Region's token.
    EnsureClones {
        /// Region → CopyImage `ClientToken`, for the Regions without an available clone.
        regions: BTreeMap<Region, String>,
        /// Name of the clones.
        name: String,
    },
    /// Second-party path: share every clone and its snapshots, then read the shares back.
    ShareClones {
        /// Region → clone.
        clones: BTreeMap<Region, String>,
    },
    /// Second-party path: fill the load form from the operator's template and store it.
    WriteForm,
    /// Second-party path: queue the reminder that the form waits for submission.
    Remind,
    /// Write the SSM parameters for the found Regions.
    WriteParameters,
    /// Put the announcement in the outbox.
    QueueAnnouncement,
}

impl Event {
    /// A short name for logs and tables.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Tick => "tick",
            Event::SourceInspected(_) => "source_inspected",
            Event::SourceMissing => "source_missing",
            Event::MirrorStarted { .. } => "mirror_started",
            Event::MirrorAvailable { .. } => "mirror_available",
            Event::MirrorFailed { .. } => "mirror_failed",
            Event::GrantVerified => "grant_verified",
            Event::GrantMissing { .. } => "grant_missing",
            Event::VersionListed => "version_listed",
            Event::ProductLocked { .. } => "product_locked",
            Event::ChangeSetStarted { .. } => "change_set_started",
            Event::ChangeSetRunning => "change_set_running",
            Event::ChangeSetSucceeded { .. } => "change_set_succeeded",
            Event::ChangeSetFailed { .. } => "change_set_failed",
            Event::ChangeSetCancelled => "change_set_cancelled",
            Event::ClonesSeen { .. } => "clones_seen",
            Event::SharesVerified { .. } => "shares_verified",
            Event::SharesMissing { .. } => "shares_missing",
            Event::FormWritten { .. } => "form_written",
            Event::Reminded => "reminded",
            Event::SubmissionRecorded { .. } => "submission_recorded",
            Event::FormRejected { .. } => "form_rejected",
            Event::RegionsFound { .. } => "regions_found",
            Event::ParametersWritten { .. } => "parameters_written",
            Event::AnnouncementQueued => "announcement_queued",
            Event::CallFailed { .. } => "call_failed",
            Event::CancelRequested { .. } => "cancel_requested",
            Event::RetryRequested { .. } => "retry_requested",
        }
    }
}

impl Command {
    /// A short name for logs, hooks and tables.
    pub fn name(&self) -> &'static str {
        match self {
            Command::InspectSource { .. } => "inspect_source",
            Command::EnsureMirror { .. } => "ensure_mirror",
            Command::CheckMirror { .. } => "check_mirror",
            Command::VerifyGrant => "verify_grant",
            Command::SubmitVersion { .. } => "submit_version",
            Command::CheckChangeSet { .. } => "check_change_set",
            Command::CancelChangeSet { .. } => "cancel_change_set",
            Command::LocateRegions { .. } => "locate_regions",
            Command::EnsureClones { .. } => "ensure_clones",
            Command::ShareClones { .. } => "share_clones",
            Command::WriteForm => "write_form",
            Command::Remind => "remind",
            Command::WriteParameters => "write_parameters",
            Command::QueueAnnouncement => "queue_announcement",
        }
    }
}
