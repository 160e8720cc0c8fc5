//! Retention: which versions retire, and when the seller-side images of retired versions go.
//!
//! Versions: the newest `keep_latest` live versions stay (a version being added counts as the
//! newest); older live ones are restricted, as are versions of a release past its end of life. A
//! version belongs to release R when its title is R or starts with R followed by a character
//! that is not a digit (`41.20241027.0` belongs to 41, not to 4). The version being added is never
//! restricted.
//!
//! Images: the seller-side AMI of a restricted version is first retired (sharing removed, tagged
//! with the time), and once the grace period has passed since then, deregistered with its
//! snapshots. An AMI that a live version uses, or that a release still in flight made, is never
//! touched; AMIs amipub did not make are never looked at (callers pass only tagged mirrors).

use std::collections::{BTreeMap, BTreeSet};

use super::live::LiveVersion;
use crate::spec::Retention;

/// Seconds in a day, for `grace_days`.
pub const DAY_SECS: i64 = 86_400;

/// `YYYY-MM-DD` (UTC) of an epoch second, the form end-of-life dates take.
pub fn date_of(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// When a mirror retired at `retired_at` may be deleted.
pub fn grace_end(retired_at: i64, grace_days: i64) -> i64 {
    retired_at + grace_days.max(0) * DAY_SECS
}

/// Whether `title` is a version of `release`.
pub fn belongs_to(title: &str, release: &str) -> bool {
    match title.strip_prefix(release) {
        Some(rest) => rest.chars().next().is_none_or(|c| !c.is_ascii_digit()),
        None => false,
    }
}

/// Whether version `title` belongs to a release whose end of life (`[[retention.end_of_life]]`)
/// is `today` (`YYYY-MM-DD`) or earlier.
pub fn past_end_of_life(policy: &Retention, title: &str, today: &str) -> bool {
    policy
        .end_of_life
        .iter()
        .any(|e| e.date.as_str() <= today && belongs_to(title, &e.release))
}

/// The delivery option ids to restrict when `adding` (a title not yet listed, if any) joins
/// `versions`, on `today` (`YYYY-MM-DD`).
pub fn to_restrict(
    policy: &Retention,
    versions: &[LiveVersion],
    adding: Option<&str>,
    today: &str,
) -> Vec<String> {
    let mut live: Vec<&LiveVersion> = versions
        .iter()
        .filter(|v| !v.restricted && Some(v.title.as_str()) != adding)
        .collect();
    // Newest first: creation time, then title for versions created in the same second.
    live.sort_by(|a, b| b.created.cmp(&a.created).then(b.title.cmp(&a.title)));
    let keep = usize::try_from(policy.keep_latest.max(1)).unwrap_or(1);
    let keep_old = keep.saturating_sub(usize::from(adding.is_some()));
    let expired = |v: &LiveVersion| past_end_of_life(policy, &v.title, today);
    // Versions past their release's end of life go first; keep-N counts only the others, so an
    // expired version never takes the place of one the policy keeps.
    let newest = live.first().map(|v| v.id.clone());
    let live_count = live.len();
    let (gone, current): (Vec<&LiveVersion>, Vec<&LiveVersion>) =
        live.into_iter().partition(|v| expired(v));
    let mut out: Vec<&LiveVersion> = gone;
    out.extend(current.iter().skip(keep_old));
    // Without a version being added, the newest live one always stays: a listing is never left
    // with nothing to buy.
    if adding.is_none() && out.len() == live_count {
        out.retain(|v| Some(&v.id) != newest.as_ref());
    }
    out.into_iter()
        .filter_map(|v| v.option_id.clone())
        .collect()
}

/// A seller-side AMI amipub made for the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The AMI.
    pub ami: String,
    /// Its snapshots.
    pub snapshots: Vec<String>,
    /// When it was retired (epoch seconds, from its tag), if it was.
    pub retired_at: Option<i64>,
    /// The release it was made for (from its `amipub:release` tag), if known.
    pub release: Option<String>,
    /// Its Region (the seller's home Region).
    pub region: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// Until when a retired mirror that is past its grace period is kept because it was launched
/// within the last `idle_days` (`last_launched`, epoch seconds); `None`: delete it now.
pub fn kept_while_launched(last_launched: Option<i64>, idle_days: i64, now: i64) -> Option<i64> {
    let until = last_launched? + idle_days.max(0) * 86_400;
    (until > now).then_some(until)
}

/// What to do with one mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleanup {
    /// Remove its sharing and tag it as retired now.
    Retire,
    /// Deregister it and delete its snapshots.
    Delete,
    /// Retired, waiting out the grace period until this time.
    Waiting(i64),
}

/// The cleanup step for each mirror that has one: restricted versions' AMIs only, never one a
/// live version or an in-flight release uses.
pub fn cleanup(
    mirrors: &[Mirror],
    versions: &[LiveVersion],
    in_flight: &BTreeSet<String>,
    grace_days: i64,
    now: i64,
) -> Vec<(Mirror, Cleanup)> {
    let used = |ami: &str, restricted: bool| {
        versions
            .iter()
            .any(|v| v.restricted == restricted && v.source_ami.as_deref() == Some(ami))
    };
    mirrors
        .iter()
        .filter(|m| used(&m.ami, true) && !used(&m.ami, false) && !in_flight.contains(&m.ami))
        .map(|m| {
            let step = match m.retired_at {
                None => Cleanup::Retire,
                Some(t) if grace_end(t, grace_days) <= now => Cleanup::Delete,
                Some(t) => Cleanup::Waiting(grace_end(t, grace_days)),
            };
            (m.clone(), step)
        })
        .collect()
}

/// Whether a mirror is a leftover the audit reports, as (expected, actual): used by no version
/// (and no release in flight), or retired for every version that uses it and past its grace
/// period (the next cleanup deletes it).
pub fn leftover(
    mirror: &Mirror,
    versions: &[LiveVersion],
    in_flight: &BTreeSet<String>,
    grace_days: i64,
    now: i64,
) -> Option<(&'static str, &'static str)> {
    let of: Vec<&LiveVersion> = versions
        .iter()
        .filter(|v| v.source_ami.as_deref() == Some(mirror.ami.as_str()))
        .collect();
    if of.is_empty() {
        return (!in_flight.contains(&mirror.ami)).then_some(("none", "used by no version"));
    }
    let overdue = of.iter().all(|v| v.restricted)
        && mirror
            .retired_at
            .is_some_and(|t| grace_end(t, grace_days) <= now);
    overdue.then_some((
        "deleted after the grace period",
        "still there (amipub apply deletes it)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::EndOfLife;

    fn v(title: &str, created: &str, restricted: bool) -> LiveVersion {
        LiveVersion {
            id: format!("v-{title}"),
            title: title.into(),
            created: created.into(),
            option_id: Some(format!("opt-{title}")),
            restricted,
            source_ami: Some(format!("ami-{title}")),
        }
    }

    fn keep(n: i64) -> Retention {
        Retention {
            keep_latest: n,
            grace_days: 30,
            idle_days: 30,
            end_of_life: Vec::new(),
        }
    }

    #[test]
    fn the_new_version_counts_as_the_newest_kept() {
        let vs = [
            v("1", "2026-01-01", false),
            v("2", "2026-02-01", false),
            v("3", "2026-03-01", false),
        ];
        assert_eq!(
            to_restrict(&keep(3), &vs, Some("4"), "2026-04-01"),
            ["opt-1"]
        );
        assert!(to_restrict(&keep(3), &vs, None, "2026-04-01").is_empty());
        assert_eq!(
            to_restrict(&keep(1), &vs, None, "2026-04-01"),
            ["opt-2", "opt-1"]
        );
        // Already restricted versions are not restricted again; a re-run of the same version
        // does not count it twice.
        let vs = [
            v("1", "2026-01-01", true),
            v("2", "2026-02-01", false),
            v("3", "2026-03-01", false),
            v("4", "2026-04-01", false),
        ];
        assert_eq!(to_restrict(&keep(3), &vs, Some("5"), "x"), ["opt-2"]);
        assert!(to_restrict(&keep(3), &vs, Some("4"), "x").is_empty());
    }

    #[test]
    fn end_of_life_restricts_by_release() {
        let mut p = keep(10);
        p.end_of_life.push(EndOfLife {
            release: "40".into(),
            date: "2025-05-13".into(),
        });
        let vs = [
            v("40.1", "2025-01-01", false),
            v("400.1", "2025-01-02", false),
            v("41.1", "2025-01-03", false),
        ];
        assert!(to_restrict(&p, &vs, None, "2025-05-12").is_empty());
        assert_eq!(to_restrict(&p, &vs, None, "2025-05-13"), ["opt-40.1"]);
        assert!(belongs_to("41", "41") && !belongs_to("410", "41") && !belongs_to("4", "41"));
    }

    #[test]
    fn expired_versions_do_not_take_the_places_keep_n_holds() {
        let mut p = keep(3);
        p.end_of_life.push(EndOfLife {
            release: "40".into(),
            date: "2025-05-13".into(),
        });
        let vs = [
            v("41.1", "2025-01-01", false),
            v("41.2", "2025-01-02", false),
            v("40.9", "2025-01-03", false),
        ];
        // Adding 41.3: 40.9 expires; 41.3, 41.2 and 41.1 are the three kept.
        assert_eq!(
            to_restrict(&p, &vs, Some("41.3"), "2025-06-01"),
            ["opt-40.9"]
        );
        // Every live version expired and none added: the newest stays.
        let old = [
            v("40.1", "2025-01-01", false),
            v("40.2", "2025-01-02", false),
        ];
        assert_eq!(to_restrict(&p, &old, None, "2025-06-01"), ["opt-40.1"]);
    }

    #[test]
    fn cleanup_retires_first_and_deletes_after_the_grace_period() {
        let vs = [v("1", "a", true), v("2", "b", false)];
        let m = |ami: &str, at: Option<i64>| Mirror {
            ami: ami.into(),
            snapshots: vec![format!("snap-{ami}")],
            retired_at: at,
            release: None,
            region: "us-east-1".into(),
            tags: BTreeMap::new(),
        };
        let none = BTreeSet::new();
        let steps = |ms: &[Mirror], now| {
            cleanup(ms, &vs, &none, 1, now)
                .into_iter()
                .map(|(m, s)| (m.ami, s))
                .collect::<Vec<_>>()
        };
        // The live version's AMI and an unknown one are never touched.
        let all = [m("ami-1", None), m("ami-2", None), m("ami-x", None)];
        assert_eq!(steps(&all, 0), [("ami-1".to_owned(), Cleanup::Retire)]);
        assert_eq!(
            steps(&[m("ami-1", Some(100))], 100 + DAY_SECS - 1),
            [("ami-1".to_owned(), Cleanup::Waiting(100 + DAY_SECS))]
        );
        assert_eq!(
            steps(&[m("ami-1", Some(100))], 100 + DAY_SECS),
            [("ami-1".to_owned(), Cleanup::Delete)]
        );
        // An AMI a live version also uses stays; so does one an in-flight release made.
        let shared = [v("1", "a", true), v("2", "b", false)].map(|mut x| {
            x.source_ami = Some("ami-s".into());
            x
        });
        assert!(cleanup(&[m("ami-s", Some(0))], &shared, &none, 0, 10).is_empty());
        let flying: BTreeSet<String> = ["ami-1".to_owned()].into();
        assert!(cleanup(&[m("ami-1", Some(0))], &vs, &flying, 0, 10).is_empty());
    }

    #[test]
    fn leftovers_are_unused_mirrors_and_retired_ones_past_their_grace() {
        let vs = [v("1", "a", true), v("2", "b", false)];
        let m = |ami: &str, at| Mirror {
            ami: ami.into(),
            snapshots: vec![],
            retired_at: at,
            release: None,
            region: "us-east-1".into(),
            tags: BTreeMap::new(),
        };
        let none = BTreeSet::new();
        let unused = leftover(&m("ami-x", None), &vs, &none, 1, 0);
        assert_eq!(unused.map(|l| l.1), Some("used by no version"));
        let flying: BTreeSet<String> = ["ami-x".to_owned()].into();
        assert!(leftover(&m("ami-x", None), &vs, &flying, 1, 0).is_none());
        assert!(leftover(&m("ami-2", Some(0)), &vs, &none, 1, 10 * DAY_SECS).is_none());
        assert!(leftover(&m("ami-1", Some(0)), &vs, &none, 1, DAY_SECS - 1).is_none());
        let overdue = leftover(&m("ami-1", Some(0)), &vs, &none, 1, DAY_SECS);
        assert_eq!(overdue.map(|l| l.0), Some("deleted after the grace period"));
    }

    #[test]
    fn a_mirror_launched_lately_is_kept_until_it_rested_idle_days() {
        let day = DAY_SECS;
        assert_eq!(kept_while_launched(None, 30, 100 * day), None);
        assert_eq!(
            kept_while_launched(Some(90 * day), 30, 100 * day),
            Some(120 * day)
        );
        assert_eq!(kept_while_launched(Some(60 * day), 30, 100 * day), None);
        assert_eq!(kept_while_launched(Some(99 * day), 0, 100 * day), None);
    }
}
