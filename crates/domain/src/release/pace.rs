//! Pacing: how long a release's waits took (each release notes its own as it goes) and when to
//! look next at a wait whose usual length is known from the product's earlier releases. With an
//! expected length the looks are sparse before it (at most the cap apart), one lands on the
//! expected end, and after it they come dense, spaced by a quarter of the lateness so far, so a
//! wait that overruns is noticed within a quarter of its overrun. Without one, plain backoff.
//! Events (`docs/usage/configuration.md`, `[events]`) wake a wait early; this is the fallback.
//! A published version's Regions are placed by `locate`, from the same history.

pub use super::durations::{Durations, expect};
use super::timing::backoff;

/// The closest two looks come after a wait's expected end.
pub const DENSE_SECS: i64 = 10;
/// How many earlier releases of a product the expectations are taken from.
pub const HISTORY: usize = 5;
/// How far apart the looks through a wait's window (from its last missed look to its end, as
/// earlier releases saw them) are.
pub const STEP_SECS: i64 = 30;

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

/// Seconds until the next look at a wait `elapsed` seconds old whose end earlier releases saw
/// between `lo` (a look missed it) and `hi` (a look found it): looks step through that window
/// `STEP_SECS` apart, at most the cap apart before it, and come dense after it. Without a window,
/// plain backoff.
pub fn next_in_window(
    elapsed: i64,
    window: Option<(i64, i64)>,
    base: i64,
    cap: i64,
    attempts: u32,
) -> i64 {
    let Some((lo, hi)) = window else {
        return backoff(base, cap, attempts);
    };
    if elapsed >= hi {
        return next_look(elapsed, Some(hi), base, cap, attempts);
    }
    let target = (lo.max(elapsed) + STEP_SECS).min(hi);
    (target - elapsed).clamp(1, cap.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Region;

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
    fn a_window_is_stepped_through_then_looked_past_densely() {
        // Before the window: at most the cap apart, then a step past its start.
        assert_eq!(next_in_window(0, Some((450, 750)), 30, 300, 0), 300);
        assert_eq!(next_in_window(300, Some((450, 750)), 30, 300, 1), 180);
        assert_eq!(next_in_window(480, Some((450, 750)), 30, 300, 2), STEP_SECS);
        assert_eq!(next_in_window(740, Some((450, 750)), 30, 300, 3), 10);
        assert_eq!(
            next_in_window(750, Some((450, 750)), 30, 300, 4),
            DENSE_SECS
        );
        assert_eq!(next_in_window(0, None, 30, 300, 2), 120);
    }

    #[test]
    fn expectations_are_medians_of_what_was_seen() {
        let d = |copy, lag| Durations {
            copy: Some(copy),
            lag: [(Region::known("eu-west-1"), lag)].into(),
            ..Durations::default()
        };
        let (a, b, c) = (d(600, 900), d(700, 1000), d(10_000, 950));
        let e = expect(&[&a, &b, &c]);
        assert_eq!(e.copy, Some(700));
        assert_eq!(e.scan, None);
        assert_eq!(e.lag[&Region::known("eu-west-1")], 950);
        assert!(expect(&[]).is_empty());
    }
}
