//! Pacing: how long a release's waits took (each release notes its own as it goes) and when to
//! look next at a wait whose usual length is known from the product's earlier releases. With an
//! expected length the looks are sparse before it (at most the cap apart), one lands on the
//! expected end, and after it they come dense, spaced by a quarter of the lateness so far, so a
//! wait that overruns is noticed within a quarter of its overrun. Without one, plain backoff.
//! Events (`docs/usage/configuration.md`, `[events]`) wake a wait early; this is the fallback.

pub use super::durations::{Durations, expect};
use super::model::Release;
use super::timing::{LOCATE_POLL_CAP_SECS, LOCATE_POLL_SECS, backoff};
use crate::ids::Region;

/// The closest two looks come after a wait's expected end.
pub const DENSE_SECS: i64 = 10;
/// How many earlier releases of a product the expectations are taken from.
pub const HISTORY: usize = 5;

/// Seconds until the next look at a wait `elapsed` seconds old that usually takes `expected`;
/// `attempts` looks were made so far (for the backoff when nothing is expected).
pub fn next_look(elapsed: i64, expected: Option<i64>, base: i64, cap: i64, attempts: u32) -> i64 {
    let Some(expected) = expected else {
        return backoff(base, cap, attempts);
    };
    let remaining = expected - elapsed;
    if remaining > 0 {
        return remaining.min(cap);
    }
    (-remaining / 4).clamp(DENSE_SECS, cap.max(DENSE_SECS))
}

/// The Regions a look of a published release asks: those still missing whose Marketplace AMI is
/// due by now (or has no expected lag).
pub fn regions_due(r: &Release, now: i64) -> Vec<Region> {
    let elapsed = now - r.entered_at;
    missing(r)
        .filter(|region| lag_of(r, region).is_none_or(|lag| lag <= elapsed))
        .cloned()
        .collect()
}

/// Seconds until the next look for the Regions still missing: the soonest of their own schedules.
pub fn locate_next(r: &Release, now: i64) -> i64 {
    let elapsed = now - r.entered_at;
    missing(r)
        .map(|region| {
            next_look(
                elapsed,
                lag_of(r, region),
                LOCATE_POLL_SECS,
                LOCATE_POLL_CAP_SECS,
                r.attempts,
            )
        })
        .min()
        .unwrap_or(LOCATE_POLL_SECS)
}

fn missing(r: &Release) -> impl Iterator<Item = &Region> {
    r.expected_regions
        .iter()
        .filter(|x| !r.regions.contains_key(*x))
}

fn lag_of(r: &Release, region: &Region) -> Option<i64> {
    r.expected.as_ref()?.lag.get(region).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_history_looks_back_off() {
        assert_eq!(next_look(0, None, 60, 900, 0), 60);
        assert_eq!(next_look(0, None, 60, 900, 3), 480);
    }

    #[test]
    fn with_history_one_look_lands_on_the_expected_end() {
        assert_eq!(next_look(0, Some(600), 30, 300, 0), 300);
        assert_eq!(next_look(300, Some(600), 30, 300, 1), 300);
        assert_eq!(next_look(590, Some(600), 30, 300, 2), 10);
    }

    #[test]
    fn an_overrun_is_looked_at_densely_then_by_a_quarter_of_its_lateness() {
        assert_eq!(next_look(600, Some(600), 30, 300, 0), DENSE_SECS);
        assert_eq!(next_look(620, Some(600), 30, 300, 0), DENSE_SECS);
        assert_eq!(next_look(1000, Some(600), 30, 300, 0), 100);
        assert_eq!(next_look(9000, Some(600), 30, 300, 0), 300);
    }

    #[test]
    fn expectations_are_medians_of_what_was_seen() {
        let d = |copy, lag| Durations {
            copy: Some(copy),
            scan: None,
            lag: [(Region::known("eu-west-1"), lag)].into(),
        };
        let (a, b, c) = (d(600, 900), d(700, 1000), d(10_000, 950));
        let e = expect(&[&a, &b, &c]);
        assert_eq!(e.copy, Some(700));
        assert_eq!(e.scan, None);
        assert_eq!(e.lag[&Region::known("eu-west-1")], 950);
        assert!(expect(&[]).is_empty());
    }
}
