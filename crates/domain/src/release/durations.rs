//! How long a release's waits took: the copy, the change set and each Region's Marketplace AMI,
//! noted on each release as its waits end, and what a new release should expect from the
//! product's earlier ones (the median of each). `pace` places the looks by them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Region;

/// How long the waits of one release took, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durations {
    /// The seller-side copy, from CopyImage to available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<i64>,
    /// From CopyImage to the last look that found the copy still pending: with `copy`, the
    /// window it became available in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_missed: Option<i64>,
    /// The change set, from StartChangeSet to its success being seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<i64>,
    /// Per Region, from the change set's success being seen to the Marketplace AMI found there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lag: BTreeMap<Region, i64>,
    /// Per Region, from the same start to the last look that did not find it yet: with `lag`,
    /// the window its Marketplace AMI appeared in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lag_missed: BTreeMap<Region, i64>,
}

impl Durations {
    /// Whether nothing was measured.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What to expect from the durations of earlier releases (newest first): the median of each.
/// A duration is noted when a look finds the wait over, so it is an upper bound; of an even
/// number the lower middle is taken. A missed look is a lower bound; of those the upper middle.
/// With two releases that makes the window their overlap.
pub fn expect(history: &[&Durations]) -> Durations {
    Durations {
        copy: lower_median(history.iter().filter_map(|d| d.copy).collect()),
        copy_missed: upper_median(history.iter().filter_map(|d| d.copy_missed).collect()),
        scan: lower_median(history.iter().filter_map(|d| d.scan).collect()),
        lag: per_region(history, |d| &d.lag, lower_median),
        lag_missed: per_region(history, |d| &d.lag_missed, upper_median),
    }
}

fn per_region(
    history: &[&Durations],
    which: impl Fn(&Durations) -> &BTreeMap<Region, i64>,
    middle: fn(Vec<i64>) -> Option<i64>,
) -> BTreeMap<Region, i64> {
    let mut seen: BTreeMap<Region, Vec<i64>> = BTreeMap::new();
    for d in history {
        for (region, secs) in which(d) {
            seen.entry(region.clone()).or_default().push(*secs);
        }
    }
    seen.into_iter()
        .filter_map(|(region, v)| Some((region, middle(v)?)))
        .collect()
}

fn lower_median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

fn upper_median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(lo: i64, hi: i64) -> Durations {
        let region = Region::known("eu-west-1");
        Durations {
            copy: Some(hi),
            lag: [(region.clone(), hi)].into(),
            lag_missed: [(region, lo)].into(),
            ..Durations::default()
        }
    }

    #[test]
    fn two_releases_give_the_overlap_of_their_windows() {
        let (a, b) = (seen(1320, 1620), seen(1460, 1500));
        let e = expect(&[&a, &b]);
        let region = Region::known("eu-west-1");
        assert_eq!((e.lag_missed[&region], e.lag[&region]), (1460, 1500));
        assert_eq!(e.copy, Some(1500));
    }
}
