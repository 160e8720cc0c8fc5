//! The tables of leased work (releases, lifecycle jobs) and what differs between them: names,
//! timeline tables, how they are spoken of.

use amipub_telemetry::Subject;

/// A table of leased work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Table {
    /// `releases`.
    Releases,
    /// `jobs`.
    Jobs,
}

impl Table {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Releases => "releases",
            Table::Jobs => "jobs",
        }
    }

    /// The timeline table and its key column.
    pub(crate) fn timeline(self) -> (&'static str, &'static str) {
        match self {
            Table::Releases => ("timeline", "release_id"),
            Table::Jobs => ("job_timeline", "job_id"),
        }
    }

    pub(crate) fn subject(self) -> Subject {
        match self {
            Table::Releases => Subject::Release,
            Table::Jobs => Subject::Job,
        }
    }

    pub(crate) fn noun(self) -> &'static str {
        match self {
            Table::Releases => "release",
            Table::Jobs => "job",
        }
    }
}
