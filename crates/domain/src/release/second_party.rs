//! What a release on the second-party ("provided by AWS") path records: its clones per Region,
//! whom they were shared with, its load form, the submission, and the terms it waits by. The
//! steps that fill it are `second_party_steps`; the process is described in
//! `docs/usage/second-party.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Region;

/// The accounts the load form's instructions name: AWS Marketplace's scanning and publishing
/// accounts, which need launch permission on each clone and create-volume permission on its
/// snapshots.
pub const MARKETPLACE_ACCOUNTS: [&str; 2] = ["679593333241", "684062674729"];
/// A form not submitted after this long is reminded of once (`[second_party] remind_after`).
pub const REMIND_AFTER_SECS: i64 = 86_400;
/// The Marketplace is given this long to publish after the form is submitted
/// (`[second_party] publish_deadline`; publishing takes about 4 days).
pub const PUBLISH_DEADLINE_SECS: i64 = 14 * 86_400;
/// While the form waits for a person, the Marketplace AMIs are looked for this often (the
/// release moves on by itself if they appear first).
pub const SUBMISSION_POLL_SECS: i64 = 3600;
/// After submission, looks start at this interval…
pub const PUBLISH_POLL_SECS: i64 = 1800;
/// …and back off to this: publication takes days.
pub const PUBLISH_POLL_CAP_SECS: i64 = 6 * 3600;

/// The timing terms of the second-party path, from `[second_party]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// Seconds after which a form still waiting for submission is reminded of.
    pub remind_after: i64,
    /// Seconds the Marketplace is given to publish after submission.
    pub publish_deadline: i64,
}

impl Default for Terms {
    fn default() -> Self {
        Self {
            remind_after: REMIND_AFTER_SECS,
            publish_deadline: PUBLISH_DEADLINE_SECS,
        }
    }
}

/// One Region's clone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clone {
    /// The clone's AMI id in the seller account of the Region's partition.
    pub ami: String,
    /// Whether it is available.
    pub available: bool,
}

/// The second-party progress of a release.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecondParty {
    /// The timing terms.
    pub terms: Terms,
    /// Region → clone.
    #[serde(default)]
    pub clones: BTreeMap<Region, Clone>,
    /// The accounts every clone and snapshot was shared with (read back).
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// How the share list differed from the previous release's, when it did.
    #[serde(default)]
    pub share_change: Option<String>,
    /// The stored workbook's file name.
    #[serde(default)]
    pub form: Option<String>,
    /// Whether the reminder of the current wait for submission was sent.
    #[serde(default)]
    pub reminded: bool,
    /// The Marketplace ticket the form was attached to.
    #[serde(default)]
    pub ticket: Option<String>,
    /// Who recorded the submission.
    #[serde(default)]
    pub submitted_by: Option<String>,
    /// When the submission was recorded (epoch seconds).
    #[serde(default)]
    pub submitted_at: Option<i64>,
}

impl SecondParty {
    /// A new progress record with these terms.
    pub fn new(terms: Terms) -> Self {
        Self {
            terms,
            ..Self::default()
        }
    }

    /// Regions whose clone is available, of `expected`.
    pub fn cloned_count(&self, expected: &[Region]) -> usize {
        expected
            .iter()
            .filter(|r| self.clones.get(*r).is_some_and(|c| c.available))
            .count()
    }
}
