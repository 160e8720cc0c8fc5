//! What a person reads on a page, in words: how old something is, why a release or job waits
//! ("product locked by change set X since 14:02", "scan running, usually ends in ~40 min") and
//! where its time went (seconds per state, from its timeline). Pure; pages and the API call it.

use amipub_domain::job::{Job, JobState};
use amipub_domain::release::{Release, State};
use amipub_engine::ports::TimelineEntry;

/// `90` → `1 min`, `7300` → `2 h 1 min`, `200000` → `2 d 7 h`.
pub fn span(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

/// An epoch second as `2026-12-04 14:02 UTC`.
pub fn clock(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| at.to_string())
}

/// Whether an id may go into a URL as it is: AWS ids, Region codes and amipub's release and
/// job ids are letters, digits and dashes; anything else gets no link.
pub fn plain(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// How many Regions are done: clones while the second-party path clones and shares, else
/// Marketplace AMIs found.
pub fn found(r: &Release) -> usize {
    match r.state {
        State::Cloning | State::Cloned | State::Shared => r
            .second_party
            .as_ref()
            .map_or(0, |sp| sp.cloned_count(&r.expected_regions)),
        _ => r.regions.len(),
    }
}

/// "N of M Regions".
pub fn regions(r: &Release) -> String {
    format!("{} of {} Regions", found(r), r.expected_regions.len())
}

/// "usually ends in ~N" from what earlier releases took and how long this one has waited.
fn usually(expected: Option<i64>, waited: i64) -> String {
    match expected {
        Some(e) if e > waited => format!(", usually ends in ~{}", span(e - waited)),
        Some(_) => ", taking longer than usual".to_owned(),
        None => String::new(),
    }
}

/// Why a release is where it is, in words (empty for a finished one).
pub fn release_why(r: &Release, now: i64) -> String {
    let waited = now - r.entered_at;
    let since = clock(r.entered_at);
    let expected = r.expected.as_ref();
    match r.state {
        State::Received | State::Admitted => "checking the source AMI and its owner".to_owned(),
        State::Mirroring => format!(
            "copying into the seller account{}",
            usually(expected.and_then(|e| e.copy), waited)
        ),
        State::Mirrored | State::Granted => "granting the Marketplace access to the copy".into(),
        State::Submitting => match &r.blocked_by {
            Some(cs) => format!("product locked by change set {cs} since {since}"),
            None => "submitting the version to the Marketplace".to_owned(),
        },
        State::Scanning => format!(
            "scan running ({}){}",
            r.change_set.as_deref().unwrap_or("change set"),
            usually(expected.and_then(|e| e.scan), waited)
        ),
        State::Published => format!("waiting for Marketplace AMIs: {} found", regions(r)),
        State::Located => "writing the SSM parameters".to_owned(),
        State::ParametersWritten => "queueing the announcement".to_owned(),
        State::Announced => "sending the announcement".to_owned(),
        State::Cloning => format!("cloning: {} done", regions(r)),
        State::Cloned => "sharing the clones with the Marketplace accounts".to_owned(),
        State::Shared => "writing the second-party load form".to_owned(),
        State::AwaitingSubmission => format!(
            "waiting for the second-party form to be submitted (since {since}): attach it to the \
             Marketplace ticket, then amipub submitted {} --ticket URL",
            r.id
        ),
        State::Submitted => {
            format!("the Marketplace's catalog team publishes it (submitted {since}; about 4 days)")
        }
        State::Failed => r
            .failure
            .as_ref()
            .map(|f| format!("failed at {}: {}", f.step.name(), f.detail))
            .unwrap_or_else(|| "failed".to_owned()),
        State::Rejected => r.rejection.clone().unwrap_or_default(),
        State::Done | State::Ignored | State::Cancelled => String::new(),
    }
}

/// Why a job is where it is, in words.
pub fn job_why(j: &Job, now: i64) -> String {
    let waited = now - j.updated_at;
    match j.state {
        JobState::Queued => "queued for a worker".to_owned(),
        JobState::Submitting => match &j.blocked_by {
            Some(h) => format!("product locked by {h} for {}", span(waited)),
            None => format!(
                "submitting change set {} of {}",
                j.current + 1,
                j.plan.len().max(1)
            ),
        },
        JobState::Following => format!(
            "change set {} running for {}",
            j.change_set.as_deref().unwrap_or("?"),
            span(waited)
        ),
        JobState::Finishing => "checking the result".to_owned(),
        JobState::Failed => j
            .failure
            .as_ref()
            .map(|f| format!("failed at {}: {}", f.step.name(), f.detail))
            .unwrap_or_else(|| "failed".to_owned()),
        JobState::Done | JobState::Cancelled => String::new(),
    }
}

/// Seconds spent in each state, in the order first entered, from a timeline (oldest first);
/// the last state counts up to `until` when it is still current.
pub fn phases(timeline: &[TimelineEntry], until: Option<i64>) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for (i, e) in timeline.iter().enumerate() {
        let end = match timeline.get(i + 1) {
            Some(next) => next.at,
            None => match until {
                Some(u) => u,
                None => continue,
            },
        };
        let secs = (end - e.at).max(0);
        match out.iter_mut().find(|(s, _)| *s == e.to) {
            Some(slot) => slot.1 += secs,
            None => out.push((e.to.clone(), secs)),
        }
    }
    out
}

#[cfg(test)]
mod tests;
