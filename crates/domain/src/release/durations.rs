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
    /// The change set, from StartChangeSet to its success being seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<i64>,
    /// Per Region, from the change set's success being seen to the Marketplace AMI found there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lag: BTreeMap<Region, i64>,
}

impl Durations {
    /// Whether nothing was measured.
    pub fn is_empty(&self) -> bool {
        self.copy.is_none() && self.scan.is_none() && self.lag.is_empty()
    }
}

/// What to expect from the durations of earlier releases (newest first): the median of each.
pub fn expect(history: &[&Durations]) -> Durations {
    let mut lag: BTreeMap<Region, Vec<i64>> = BTreeMap::new();
    for d in history {
        for (region, secs) in &d.lag {
            lag.entry(region.clone()).or_default().push(*secs);
        }
    }
    Durations {
        copy: median(history.iter().filter_map(|d| d.copy).collect()),
        scan: median(history.iter().filter_map(|d| d.scan).collect()),
        lag: lag
            .into_iter()
            .filter_map(|(region, v)| Some((region, median(v)?)))
            .collect(),
    }
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}
