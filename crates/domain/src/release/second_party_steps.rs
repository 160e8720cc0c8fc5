//! The second-party ("provided by AWS") steps of a release, part of `decide`: clone the source
//! AMI into every Region of the seller account, share the clones and their snapshots with the
//! Marketplace accounts, write the load form, wait (days) for a person to submit it and for the
//! Marketplace to publish. Pure, waits as data, every command idempotent
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/ami-products.html>).

use std::collections::BTreeMap;

use super::event::{Command, Event};
use super::model::{FailureKind, Release, State};
use super::second_party::{Clone, PUBLISH_POLL_CAP_SECS, PUBLISH_POLL_SECS, SUBMISSION_POLL_SECS};
use super::steps::{enter, fail, mirror_name, wait};
use super::timing::*;
use super::token::token;
use crate::catalog_data::partition_of;
use crate::ids::Region;

/// What a second-party transition asks of `decide`.
pub(super) enum Next {
    /// Run these commands.
    Commands(Vec<Command>),
    /// The release entered a state: run that state's command now.
    Look,
}

/// Where `region`'s clone is copied from: the source AMI when CopyImage reaches `region` from
/// the source Region (the same partition), else the build's AMI in `region`'s partition (the
/// Region itself first). `Err` says what the build lacks.
pub fn source_for(r: &Release, region: &Region) -> Result<(Region, String), String> {
    let partition = partition_of(region.as_str());
    if partition_of(r.source_region.as_str()) == partition {
        return Ok((r.source_region.clone(), r.source_ami.clone()));
    }
    let own = r
        .sources
        .get(region)
        .map(|ami| (region.clone(), ami.clone()));
    own.or_else(|| {
        r.sources
            .iter()
            .find(|(g, _)| partition_of(g.as_str()) == partition)
            .map(|(g, ami)| (g.clone(), ami.clone()))
    })
    .ok_or_else(|| {
        format!(
            "CopyImage cannot copy from {} into the {partition} partition and the build has no AMI there: upload the image to {partition} too (give it with publish --source REGION=AMI, or in the build message's regions) or leave {partition} out of the product's Regions",
            r.source_region
        )
    })
}

/// The second-party transitions; `None` when the pair is not one of them.
pub(super) fn step(r: &mut Release, event: &Event, now: i64) -> Option<Next> {
    use Event as E;
    use State as S;
    r.second_party.as_ref()?;
    let cmds = match (r.state, event) {
        (S::Admitted | S::Cloning, E::ClonesSeen { available, pending, failed }) => {
            clones_seen(r, available, pending, failed, now)
        }
        (S::Cloned, E::SharesVerified { accounts, changed }) => {
            if let Some(sp) = r.second_party.as_mut() {
                sp.shared_with = accounts.clone();
                sp.share_change = changed.clone();
            }
            enter(r, S::Shared, now);
            Next::Look
        }
        (S::Cloned, E::SharesMissing { detail }) => Next::Commands(fail(
            r,
            FailureKind::AccessDenied,
            format!("Sharing the clones with the Marketplace accounts did not hold: {detail}"),
            "Check that the seller role may call ModifyImageAttribute and ModifySnapshotAttribute (amipub iam-policy) and that no policy blocks public or cross-account sharing, then amipub retry (it shares again and reads every share back).".into(),
            now,
        )),
        (S::Shared, E::FormWritten { name }) => {
            if let Some(sp) = r.second_party.as_mut() {
                sp.form = Some(name.clone());
                sp.reminded = false;
            }
            enter(r, S::AwaitingSubmission, now);
            r.next_check_at = Some(now + SUBMISSION_POLL_SECS);
            Next::Commands(Vec::new())
        }
        (S::AwaitingSubmission, E::Reminded) => {
            if let Some(sp) = r.second_party.as_mut() {
                sp.reminded = true;
            }
            r.next_check_at = Some(now + SUBMISSION_POLL_SECS);
            Next::Commands(Vec::new())
        }
        (S::AwaitingSubmission, E::SubmissionRecorded { ticket, by }) => {
            if let Some(sp) = r.second_party.as_mut() {
                sp.ticket = Some(ticket.clone());
                sp.submitted_by = Some(by.clone());
                sp.submitted_at = Some(now);
            }
            enter(r, S::Submitted, now);
            Next::Look
        }
        (S::AwaitingSubmission | S::Submitted, E::FormRejected { reason, by }) => Next::Commands(fail(
            r,
            FailureKind::InvalidInput,
            format!("The Marketplace team rejected the load form (recorded by {by}): {reason}"),
            "Fix what the ticket asks for (a share, the spec, the template), then amipub retry: it shares again, writes a new workbook (amipub form RELEASE --out DIR) and waits for it to be submitted.".into(),
            now,
        )),
        (S::AwaitingSubmission | S::Submitted, E::RegionsFound { found }) => {
            regions_found(r, found, now)
        }
        _ => return None,
    };
    Some(cmds)
}

fn clones_seen(
    r: &mut Release,
    available: &BTreeMap<Region, String>,
    pending: &BTreeMap<Region, String>,
    failed: &BTreeMap<Region, String>,
    now: i64,
) -> Next {
    if let Some(sp) = r.second_party.as_mut() {
        for (region, ami) in available {
            let clone = Clone {
                ami: ami.clone(),
                available: true,
            };
            sp.clones.insert(region.clone(), clone);
        }
        for (region, ami) in pending {
            let clone = Clone {
                ami: ami.clone(),
                available: false,
            };
            sp.clones.insert(region.clone(), clone);
        }
    }
    if !failed.is_empty() {
        let words: Vec<String> = failed
            .iter()
            .map(|(g, why)| format!("{g}: {why}"))
            .collect();
        if r.state == State::Admitted {
            enter(r, State::Cloning, now);
        }
        return Next::Commands(fail(
            r,
            FailureKind::InvalidInput,
            format!(
                "{} of {} Regions cannot take a clone of {}: {}",
                failed.len(),
                r.expected_regions.len(),
                r.source_ami,
                words.join("; ")
            ),
            "Do what each Region's message says (enable the Region, raise the quota, deregister a failed copy), then amipub retry: the clones already made are found again, only the missing ones are copied.".into(),
            now,
        ));
    }
    let done = r
        .second_party
        .as_ref()
        .map_or(0, |sp| sp.cloned_count(&r.expected_regions));
    if done == r.expected_regions.len() {
        enter(r, State::Cloned, now);
        Next::Look
    } else {
        wait(
            r,
            State::Cloning,
            MIRROR_POLL_SECS,
            MIRROR_POLL_CAP_SECS,
            now,
        );
        Next::Commands(Vec::new())
    }
}

fn regions_found(r: &mut Release, found: &BTreeMap<Region, String>, now: i64) -> Next {
    for (region, ami) in found {
        if r.expected_regions.contains(region) {
            r.regions.insert(region.clone(), ami.clone());
        }
    }
    if !r.regions.is_empty() {
        // The Marketplace has started publishing: from here the catalog path's locate step
        // (poll, deadline, "N of M") takes over.
        let complete = r.expected_regions.iter().all(|x| r.regions.contains_key(x));
        enter(
            r,
            if complete {
                State::Located
            } else {
                State::Published
            },
            now,
        );
        return Next::Look;
    }
    if r.state == State::AwaitingSubmission {
        r.attempts += 1;
        r.failures = 0;
        r.next_check_at = Some(now + SUBMISSION_POLL_SECS);
    } else {
        wait(
            r,
            State::Submitted,
            PUBLISH_POLL_SECS,
            PUBLISH_POLL_CAP_SECS,
            now,
        );
    }
    Next::Commands(Vec::new())
}

/// The command of a second-party state, for `look`.
pub(super) fn command(r: &Release, now: i64) -> Option<Command> {
    let sp = r.second_party.as_ref()?;
    match r.state {
        State::Admitted | State::Cloning => Some(Command::EnsureClones {
            regions: r
                .expected_regions
                .iter()
                .filter(|g| !sp.clones.get(*g).is_some_and(|c| c.available))
                .map(|g| (g.clone(), token(&r.id, &format!("clone-{g}"), r.generation)))
                .collect(),
            name: mirror_name(r),
        }),
        State::Cloned => Some(Command::ShareClones {
            clones: sp
                .clones
                .iter()
                .map(|(g, c)| (g.clone(), c.ami.clone()))
                .collect(),
        }),
        State::Shared => Some(Command::WriteForm),
        State::AwaitingSubmission
            if !sp.reminded && now - r.entered_at >= sp.terms.remind_after =>
        {
            Some(Command::Remind)
        }
        State::AwaitingSubmission | State::Submitted => Some(Command::LocateRegions {
            regions: r.expected_regions.clone(),
        }),
        _ => None,
    }
}

/// The deadline of a second-party state: only the Marketplace's publication has one (a person's
/// submission has none; the reminder speaks for it).
pub(super) fn deadline(r: &Release) -> Option<i64> {
    match (r.state, &r.second_party) {
        (State::Submitted, Some(sp)) => Some(sp.terms.publish_deadline),
        (State::Cloning, Some(_)) => Some(MIRROR_DEADLINE_SECS),
        _ => None,
    }
}

/// Words for a second-party deadline that passed.
pub(super) fn timeout_words(r: &Release) -> Option<(String, String)> {
    let sp = r.second_party.as_ref()?;
    match r.state {
        State::Submitted => Some((
            format!(
                "The Marketplace has not published {} {} {} days after the form was submitted (ticket {}).",
                r.product,
                r.version,
                sp.terms.publish_deadline / 86_400,
                sp.ticket.clone().unwrap_or_else(|| "not recorded".into())
            ),
            "Ask the Marketplace catalog operations team on the ticket whether the form was processed and which AMI ids they published; amipub retry shares again, writes the form anew and waits again.".into(),
        )),
        State::Cloning => Some((
            format!(
                "Clones of {} were still pending after {} hours ({} of {} Regions available).",
                r.source_ami,
                MIRROR_DEADLINE_SECS / 3600,
                sp.cloned_count(&r.expected_regions),
                r.expected_regions.len()
            ),
            "Check the pending copies in the EC2 console of those Regions; amipub retry finds the finished ones and copies the rest again.".into(),
        )),
        _ => None,
    }
}

/// Where `amipub retry` resumes a second-party step that failed; a form written before is
/// forgotten with its submission, since the retry writes a new one.
pub(super) fn resume(r: &mut Release, step: State) -> Option<State> {
    let at = match step {
        State::Cloning => State::Admitted,
        State::AwaitingSubmission | State::Submitted => State::Cloned,
        State::Cloned | State::Shared => step,
        _ => return None,
    };
    if let Some(sp) = r.second_party.as_mut() {
        sp.form = None;
        sp.ticket = None;
        sp.submitted_by = None;
        sp.submitted_at = None;
        sp.reminded = false;
    }
    Some(at)
}

/// The words for a second-party step, for failure messages.
pub(super) fn step_words(state: State) -> Option<&'static str> {
    match state {
        State::Cloning => Some("Copying the AMI into every Region of the seller account"),
        State::Cloned => Some("Sharing the clones with the Marketplace accounts"),
        State::Shared => Some("Writing the load form"),
        State::AwaitingSubmission => Some("Waiting for the load form to be submitted"),
        State::Submitted => Some("Waiting for the Marketplace to publish"),
        _ => None,
    }
}
