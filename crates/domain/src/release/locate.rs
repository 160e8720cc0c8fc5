//! Locating a published version: which Regions a look asks, and when the next look is. Only the
//! Region whose Marketplace AMI appears last decides when the release ends, so the looks are
//! spent there. Each Region has a window from the product's history (`Durations::lag_missed` to
//! `Durations::lag`, counted from the change set's success being seen), narrowed by this
//! release's own missed looks. The release cannot end before the latest lower end of those
//! windows (the floor), so no Region is asked before it. The leader, the missing Region whose
//! window ends last, is stepped through its window `STEP_SECS` apart; every other Region is asked
//! once, when its window has closed. When the leader is found, the next one leads, so the last
//! Region is found within a step of its appearance at about one call per Region. A Region past
//! its window is looked at densely (`pace::next_look`); one without history on the plain backoff.

use std::collections::BTreeMap;

use super::model::Release;
use super::pace::{STEP_SECS, next_look};
use super::timing::{LOCATE_POLL_CAP_SECS, LOCATE_POLL_SECS};
use crate::ids::Region;

/// When a Region's Marketplace AMI is expected: after `lo` (a look missed it then), by `hi`.
#[derive(Debug, Clone, Copy)]
struct Window {
    lo: i64,
    hi: i64,
}

/// The Regions a look at `now` asks: those still missing that are due.
pub fn due(r: &Release, now: i64) -> Vec<Region> {
    let elapsed = now - r.entered_at;
    let (floor, leader) = (floor(r), leader(r));
    missing(r)
        .filter(|region| due_at(r, region, floor, leader).is_none_or(|at| at <= elapsed))
        .cloned()
        .collect()
}

/// Seconds until the next look: the soonest Region's, at most the cap away.
pub fn next(r: &Release, now: i64) -> i64 {
    let elapsed = now - r.entered_at;
    let (floor, leader) = (floor(r), leader(r));
    missing(r)
        .map(|region| match due_at(r, region, floor, leader) {
            Some(at) => (at - elapsed).clamp(1, LOCATE_POLL_CAP_SECS),
            None => next_look(
                elapsed,
                None,
                LOCATE_POLL_SECS,
                LOCATE_POLL_CAP_SECS,
                r.attempts,
            ),
        })
        .min()
        .unwrap_or(LOCATE_POLL_SECS)
}

/// Notes, for each Region the look at `now` asked and did not find, that it was still missing.
/// Call before the found Regions are added: the look asked what was due then.
pub fn note_missed(r: &mut Release, found: &BTreeMap<Region, String>, now: i64) {
    let elapsed = now - r.entered_at;
    for region in due(r, now) {
        if !found.contains_key(&region) {
            r.took.lag_missed.insert(region, elapsed);
        }
    }
}

/// When (seconds into the wait) `region` is next due; `None` when it has no history (then every
/// look asks it).
fn due_at(r: &Release, region: &Region, floor: i64, leader: Option<&Region>) -> Option<i64> {
    let w = window(r, region)?;
    if w.lo >= w.hi {
        // Past its window: dense looks, spaced by a quarter of the lateness.
        let gap = next_look(w.lo, Some(w.hi), LOCATE_POLL_SECS, LOCATE_POLL_CAP_SECS, 0);
        return Some(w.lo + gap);
    }
    if leader == Some(region) {
        return Some(floor.max((w.lo + STEP_SECS).min(w.hi)));
    }
    Some(floor.max(w.hi))
}

/// The missing Region whose window ends last (then starts last; then the last by name).
fn leader(r: &Release) -> Option<&Region> {
    missing(r)
        .filter_map(|region| Some((window(r, region)?, region)))
        .max_by_key(|(w, region)| (w.hi, w.lo, *region))
        .map(|(_, region)| region)
}

/// The latest lower end of the missing Regions' windows: no look before it can end the release.
fn floor(r: &Release) -> i64 {
    missing(r)
        .filter_map(|region| window(r, region))
        .map(|w| w.lo)
        .max()
        .unwrap_or(0)
}

fn window(r: &Release, region: &Region) -> Option<Window> {
    let expected = r.expected.as_ref()?;
    let hi = *expected.lag.get(region)?;
    let before = expected
        .lag_missed
        .get(region)
        .copied()
        .filter(|lo| *lo < hi)
        .unwrap_or(0);
    let own = r.took.lag_missed.get(region).copied().unwrap_or(0);
    Some(Window {
        lo: before.max(own),
        hi,
    })
}

fn missing(r: &Release) -> impl Iterator<Item = &Region> {
    r.expected_regions
        .iter()
        .filter(|x| !r.regions.contains_key(*x))
}

#[cfg(test)]
mod tests;
