//! The transitions. Each success moves the release one state on and asks at once for the next
//! step's command; each wait stores `next_check_at`; each failed call is retried with backoff up
//! to `MAX_CALL_ATTEMPTS`, then the release fails with an explanation and a remedy. Terminal
//! releases ignore events (a Failed one accepts `RetryRequested`); a pair with no meaning leaves
//! the release as it was and asks for nothing.

use super::assessment;
use super::event::{Command, Event, ImageFacts};
pub use super::explain::explain;
use super::explain::explain_scan;
use super::locate;
use super::model::{FailureKind, Release, State};
use super::pace::{self, Durations, next_look};
use super::second_party_steps::{self as second_party, Next};
use super::steps::{enter, fail, mirror_name, wait, wait_paced};
use super::timing::*;
use super::token::token;
use crate::image::ImageState;

/// The next release and the commands to run, for `event` at `now` (epoch seconds).
pub fn decide(release: &Release, event: &Event, now: i64) -> (Release, Vec<Command>) {
    let mut r = release.clone();
    let cmds = step(&mut r, event, now);
    (r, cmds)
}

fn step(r: &mut Release, event: &Event, now: i64) -> Vec<Command> {
    use Event as E;
    use State as S;
    if r.state == S::Failed {
        if matches!(event, E::RetryRequested { .. }) {
            let resume = r.failure.as_ref().map_or(S::Received, |f| f.step);
            r.failure = None;
            r.generation += 1;
            if resume <= S::Mirroring {
                // A failed copy cannot become available: start the mirror step afresh.
                r.mirror_ami = None;
            }
            if resume == S::Scanning {
                r.change_set = None;
            }
            let resume = match (second_party::resume(r, resume), resume) {
                (Some(sp), _) => sp,
                (None, S::Mirroring) => S::Admitted,
                (None, S::Scanning) => S::Granted,
                (None, other) => other,
            };
            enter(r, resume, now);
            return look(r, now);
        }
        return Vec::new();
    }
    if r.state.is_terminal() {
        return Vec::new();
    }
    match second_party::step(r, event, now) {
        Some(Next::Commands(cmds)) => return cmds,
        Some(Next::Look) => return look(r, now),
        None => {}
    }
    match (r.state, event) {
        (_, E::CancelRequested { .. }) => {
            let cancel = match (&r.change_set, r.state) {
                (Some(id), S::Scanning) => vec![Command::CancelChangeSet { id: id.clone() }],
                _ => Vec::new(),
            };
            enter(r, S::Cancelled, now);
            cancel
        }
        (_, E::Tick) => {
            if r.next_check_at.is_some_and(|t| t > now) {
                return Vec::new();
            }
            if let Some(deadline) = second_party::deadline(r).or(deadline(r.state))
                && now - r.entered_at >= deadline {
                    let (detail, remedy) = timeout_words(r);
                    return fail(r, FailureKind::Timeout, detail, remedy, now);
                }
            if r.state == S::Announced {
                enter(r, S::Done, now);
                return Vec::new();
            }
            look(r, now)
        }
        (_, E::CallFailed { kind, detail }) => {
            if kind.retryable() && r.failures + 1 < MAX_CALL_ATTEMPTS {
                r.failures += 1;
                r.next_check_at = Some(now + backoff(RETRY_SECS, RETRY_CAP_SECS, r.failures));
                Vec::new()
            } else {
                let remedy = remedy_for(*kind, r.state);
                fail(r, *kind, format!("{} failed: {detail}", step_words(r.state)), remedy, now)
            }
        }
        (S::Received, E::SourceInspected(facts)) => admit(r, facts, now),
        (S::Received, E::SourceMissing) => {
            r.rejection = Some(format!(
                "The source AMI {} does not exist in {} or is not visible to the seller account; publish a build that is public or shared with it.",
                r.source_ami, r.source_region
            ));
            enter(r, S::Rejected, now);
            Vec::new()
        }
        (S::Admitted | S::Mirroring, E::MirrorStarted { ami }) => {
            let pending = r.state == S::Mirroring;
            wait(r, S::Mirroring, MIRROR_POLL_SECS, MIRROR_POLL_CAP_SECS, now);
            let elapsed = now - r.entered_at;
            if pending {
                r.took.copy_missed = Some(elapsed);
            }
            let (base, cap) = (MIRROR_POLL_SECS, MIRROR_POLL_CAP_SECS);
            let gap = pace::next_in_window(elapsed, copy_window(r), base, cap, r.attempts);
            r.next_check_at = Some(now + gap);
            r.mirror_ami = Some(ami.clone());
            Vec::new()
        }
        (S::Admitted | S::Mirroring, E::MirrorAvailable { ami }) => {
            if r.state == S::Mirroring {
                r.took.copy = Some(now - r.entered_at);
            }
            r.mirror_ami = Some(ami.clone());
            enter(r, S::Mirrored, now);
            look(r, now)
        }
        (S::Admitted | S::Mirroring, E::MirrorFailed { detail }) => fail(
            r,
            FailureKind::ServerFault,
            format!("The copy of {} into the seller account failed: {detail}", r.source_ami),
            "Run amipub retry: it makes a new copy (the failed one can be deregistered).".into(),
            now,
        ),
        (S::Mirrored, E::GrantVerified) => {
            enter(r, S::Granted, now);
            look(r, now)
        }
        (S::Mirrored, E::GrantMissing { detail }) => fail(
            r,
            FailureKind::AccessDenied,
            format!("AWS Marketplace cannot read the AMI: {detail}"),
            "Run amipub init to create the ingestion role (trusting assets.marketplace.amazonaws.com, with AWSMarketplaceAmiIngestion), then amipub retry.".into(),
            now,
        ),
        (S::Granted | S::Submitting, E::VersionListed) => {
            enter(r, S::Published, now);
            look(r, now)
        }
        (S::Granted | S::Submitting, E::ProductLocked { change_set }) => {
            wait(r, S::Submitting, LOCK_POLL_SECS, LOCK_POLL_CAP_SECS, now);
            r.blocked_by = Some(change_set.clone());
            Vec::new()
        }
        (S::Granted | S::Submitting, E::ChangeSetStarted { id, restricts }) => {
            r.blocked_by = None;
            r.change_set = Some(id.clone());
            r.restricts = restricts.clone();
            enter(r, S::Scanning, now);
            let expected = expected(r, |d| d.scan);
            r.next_check_at =
                Some(now + next_look(0, expected, SCAN_POLL_SECS, SCAN_POLL_CAP_SECS, 0));
            Vec::new()
        }
        (S::Scanning, E::ChangeSetRunning) => {
            let expected = expected(r, |d| d.scan);
            wait_paced(r, S::Scanning, expected, (SCAN_POLL_SECS, SCAN_POLL_CAP_SECS), now);
            Vec::new()
        }
        (S::Scanning, E::ChangeSetSucceeded { .. }) => {
            r.took.scan = Some(now - r.entered_at);
            enter(r, S::Published, now);
            look(r, now)
        }
        (S::Scanning, E::ChangeSetFailed { errors, controls }) => {
            let (kind, detail, remedy) = explain_scan(errors, controls);
            let cmds = fail(r, kind, detail, remedy, now);
            if let Some(f) = r.failure.as_mut() {
                f.controls = assessment::failed(controls);
            }
            cmds
        }
        (S::Scanning, E::ChangeSetCancelled) => fail(
            r,
            FailureKind::InvalidInput,
            format!("Change set {} was cancelled outside amipub.", r.change_set.clone().unwrap_or_default()),
            "Run amipub retry to submit the version again.".into(),
            now,
        ),
        (S::Published, E::RegionsFound { found }) => {
            locate::note_missed(r, found, now);
            for (region, ami) in found {
                if r.expected_regions.contains(region) && !r.regions.contains_key(region) {
                    r.regions.insert(region.clone(), ami.clone());
                    r.took.lag.insert(region.clone(), now - r.entered_at);
                    r.located_at.insert(region.clone(), now);
                }
            }
            let complete = r.expected_regions.iter().all(|x| r.regions.contains_key(x));
            if complete || now - r.entered_at >= LOCATE_DEADLINE_SECS {
                enter(r, S::Located, now);
                look(r, now)
            } else {
                r.attempts += 1;
                r.failures = 0;
                r.next_check_at = Some(now + locate::next(r, now));
                Vec::new()
            }
        }
        (S::Located, E::ParametersWritten { verified }) => {
            r.verification = Some(verified.clone());
            enter(r, S::ParametersWritten, now);
            look(r, now)
        }
        (S::ParametersWritten, E::AnnouncementQueued) => {
            enter(r, S::Announced, now);
            r.next_check_at = Some(now);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The command that makes progress in the current state. It is idempotent, so running it again
/// after a crash is safe; `next_check_at` is a watchdog in case its result never comes back.
fn look(r: &mut Release, now: i64) -> Vec<Command> {
    use State as S;
    if let Some(cmd) = second_party::command(r, now) {
        r.next_check_at = Some(now + COMMAND_TIMEOUT_SECS);
        return vec![cmd];
    }
    let cmd = match r.state {
        S::Received => Command::InspectSource {
            region: r.source_region.clone(),
            ami: r.source_ami.clone(),
        },
        S::Mirroring if r.mirror_ami.is_some() => Command::CheckMirror {
            ami: r.mirror_ami.clone().unwrap_or_default(),
        },
        S::Admitted | S::Mirroring => Command::EnsureMirror {
            source_region: r.source_region.clone(),
            source_ami: r.source_ami.clone(),
            name: mirror_name(r),
            client_token: token(&r.id, "mirror", r.generation),
        },
        S::Mirrored => Command::VerifyGrant,
        S::Granted | S::Submitting => match &r.mirror_ami {
            Some(ami) => Command::SubmitVersion {
                mirror_ami: ami.clone(),
                client_request_token: token(&r.id, "submit", r.generation),
            },
            None => return Vec::new(),
        },
        S::Scanning => match &r.change_set {
            Some(id) => Command::CheckChangeSet { id: id.clone() },
            None => return Vec::new(),
        },
        S::Published => {
            let regions = locate::due(r, now);
            if regions.is_empty() {
                r.next_check_at = Some(now + locate::next(r, now));
                return Vec::new();
            }
            Command::LocateRegions { regions }
        }
        S::Located => Command::WriteParameters,
        S::ParametersWritten => Command::QueueAnnouncement,
        _ => return Vec::new(),
    };
    r.next_check_at = Some(now + COMMAND_TIMEOUT_SECS);
    vec![cmd]
}

/// When earlier copies became available: after their last missed look, by their end.
fn copy_window(r: &Release) -> Option<(i64, i64)> {
    let e = r.expected.as_ref()?;
    let hi = e.copy?;
    Some((e.copy_missed.filter(|lo| *lo < hi).unwrap_or(0), hi))
}

/// One of the waits' expected length, once the engine has looked at the product's history.
fn expected(r: &Release, which: impl Fn(&Durations) -> Option<i64>) -> Option<i64> {
    r.expected.as_ref().and_then(which)
}

fn deadline(state: State) -> Option<i64> {
    match state {
        State::Mirroring => Some(MIRROR_DEADLINE_SECS),
        State::Submitting => Some(LOCK_DEADLINE_SECS),
        State::Scanning => Some(SCAN_DEADLINE_SECS),
        _ => None,
    }
}

fn timeout_words(r: &Release) -> (String, String) {
    if let Some(words) = second_party::timeout_words(r) {
        return words;
    }
    match r.state {
        State::Mirroring => (
            format!("The copy {} was still pending after {} hours.", r.mirror_ami.clone().unwrap_or_default(), MIRROR_DEADLINE_SECS / 3600),
            "Check the copy in the EC2 console of the seller account; amipub retry starts a new copy.".into(),
        ),
        State::Submitting => (
            format!("The product stayed locked by change set {} for {} days.", r.blocked_by.clone().unwrap_or_default(), LOCK_DEADLINE_SECS / 86400),
            "Look at that change set in the Marketplace Management Portal (a visibility review can take weeks); amipub retry waits again.".into(),
        ),
        _ => (
            format!("Change set {} was still running after {} hours.", r.change_set.clone().unwrap_or_default(), SCAN_DEADLINE_SECS / 3600),
            "Ask AWS Marketplace Seller Operations about the change set; amipub retry submits the version again.".into(),
        ),
    }
}

/// Why `ami`, owned by `owner`, may not be published when only AMIs of `trusted` accounts are:
/// the one trust rule, for admission and for the bus intake alike.
pub fn untrusted(ami: &str, owner: &str, trusted: &[String]) -> Option<String> {
    (!trusted.iter().any(|t| t == owner)).then(|| {
        format!(
            "{ami} is owned by {owner}, which is not a trusted build account; only AMIs of {} are published (add the account to trust.build_accounts in amipub.toml if it should be).",
            trusted.join(", ")
        )
    })
}

/// Admission: a trusted owner and the Marketplace AMI checklist: HVM, an EBS root, unencrypted
/// snapshots and ENA
/// (<https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html>), and no
/// product code yet (`EXISTING_AMI_PRODUCT_CODE`,
/// <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>).
fn admit(r: &mut Release, f: &ImageFacts, now: i64) -> Vec<Command> {
    r.source_owner = Some(f.owner.clone()).filter(|o| !o.is_empty());
    if let Some(why) = untrusted(&r.source_ami, &f.owner, &r.trusted_owners) {
        r.rejection = Some(why);
        enter(r, State::Rejected, now);
        return Vec::new();
    }
    if f.state == ImageState::Pending {
        wait(
            r,
            State::Received,
            MIRROR_POLL_SECS,
            MIRROR_POLL_CAP_SECS,
            now,
        );
        return Vec::new();
    }
    let mut problems = Vec::new();
    if f.state != ImageState::Available {
        problems.push(format!("it is {}, not available", f.state));
    }
    if f.architecture != r.architecture {
        problems.push(format!(
            "it is {} but the product is {}",
            f.architecture, r.architecture
        ));
    }
    if f.virtualization != "hvm" {
        problems.push(format!(
            "it uses {} virtualization; Marketplace needs hvm",
            f.virtualization
        ));
    }
    if f.root_device_type != "ebs" {
        problems.push(format!(
            "its root device is {}; Marketplace needs EBS",
            f.root_device_type
        ));
    }
    if !f.ena_support {
        problems.push("it lacks ENA support, which current instance types need".to_owned());
    }
    if f.encrypted {
        problems.push(
            "its snapshots are encrypted; Marketplace needs unencrypted snapshots".to_owned(),
        );
    }
    if !f.product_codes.is_empty() {
        problems.push("it already carries a product code".to_owned());
    }
    if problems.is_empty() {
        enter(r, State::Admitted, now);
        look(r, now)
    } else {
        r.rejection = Some(format!(
            "{} fails the Marketplace AMI checklist: {}. Fix the build and publish a new AMI.",
            r.source_ami,
            problems.join("; ")
        ));
        enter(r, State::Rejected, now);
        Vec::new()
    }
}

fn step_words(state: State) -> &'static str {
    if let Some(words) = second_party::step_words(state) {
        return words;
    }
    match state {
        State::Received => "Inspecting the source AMI",
        State::Admitted | State::Mirroring => "Copying the AMI into the seller account",
        State::Mirrored => "Checking the ingestion role",
        State::Granted | State::Submitting => "Submitting the version",
        State::Scanning => "Following the change set",
        State::Published => "Locating the Marketplace AMIs",
        State::Located => "Writing the SSM parameters",
        State::ParametersWritten | State::Announced => "Announcing the release",
        _ => "The step",
    }
}

fn remedy_for(kind: FailureKind, state: State) -> String {
    match kind {
        FailureKind::Throttled => "AWS kept throttling; wait a few minutes and run amipub retry (or lower the concurrency).".into(),
        FailureKind::AccessDenied => format!("Give the seller role the permissions of `amipub iam-policy` ({} needs them), then amipub retry.", step_words(state)),
        FailureKind::InvalidCredentials => "These credentials are not valid at this endpoint (the error says where they came from); this is not a missing permission. Renew them if they expired, fix the key or the profile (`profile`, `assume_role` in amipub.toml's [partitions]), check with amipub doctor, then amipub retry.".into(),
        FailureKind::ServerFault | FailureKind::Timeout => "AWS did not answer properly; run amipub retry later.".into(),
        FailureKind::InvalidInput | FailureKind::ScanFailed => "Fix the product spec or the image, then amipub retry.".into(),
    }
}
