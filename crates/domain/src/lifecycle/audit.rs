//! The rows of `amipub verify`: one per product and Region (or per product for the listing),
//! each with a status, what was expected and what was found. The checks run in the CLI; this
//! module owns the vocabulary, the per-AMI and per-parameter judgements, and the summary.

use serde::Serialize;

/// How one checked thing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// As the spec and the releases say.
    Correct,
    /// Present with the wrong value.
    Incorrect,
    /// Absent though expected.
    Missing,
    /// Present though nothing expects it (a leftover).
    Unexpected,
    /// Could not be looked at (no answer, no credentials).
    Unreachable,
}

impl Status {
    /// Every status, in the order of `Ord`.
    pub const ALL: [Status; 5] = [
        Status::Correct,
        Status::Incorrect,
        Status::Missing,
        Status::Unexpected,
        Status::Unreachable,
    ];

    /// The status a printed word names.
    pub fn from_word(word: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.word() == word)
    }

    /// The word printed.
    pub fn word(self) -> &'static str {
        match self {
            Status::Correct => "Correct",
            Status::Incorrect => "Incorrect",
            Status::Missing => "Missing",
            Status::Unexpected => "Unexpected",
            Status::Unreachable => "Unreachable",
        }
    }
}

/// One audited thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The product's slug.
    pub product: String,
    /// The Region, or `-` for the listing (which lives in us-east-1's Catalog).
    pub region: String,
    /// What was checked: `listing.title`, `ami 41.20241027.0`, `ssm /fedora/…/latest`, …
    pub item: String,
    /// The verdict.
    pub status: Status,
    /// What should be there.
    pub expected: String,
    /// What is there.
    pub actual: String,
}

impl Row {
    /// A row.
    pub fn new(
        product: &str,
        region: &str,
        item: impl Into<String>,
        status: Status,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            product: product.to_owned(),
            region: region.to_owned(),
            item: item.into(),
            status,
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

/// How an SSM parameter stands: `value` is what it holds (if it exists), `allowed` the AMIs it
/// may point at (the live versions' Marketplace AMIs in that Region), `launchable` whether the
/// AMI it holds is available there.
pub fn parameter_status(value: Option<&str>, allowed: &[String], launchable: bool) -> Status {
    match value {
        None => Status::Missing,
        Some(v) if allowed.iter().any(|a| a == v) && launchable => Status::Correct,
        Some(_) => Status::Incorrect,
    }
}

/// Counts per status, for the summary line.
pub fn summary(rows: &[Row]) -> String {
    let mut counts: std::collections::BTreeMap<Status, usize> = Default::default();
    for r in rows {
        *counts.entry(r.status).or_default() += 1;
    }
    if counts.is_empty() {
        return "nothing to check".to_owned();
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.word().to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether every row is Correct.
pub fn all_correct(rows: &[Row]) -> bool {
    rows.iter().all(|r| r.status == Status::Correct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_judged_by_value_and_launchability() {
        let allowed = vec!["ami-1".to_owned(), "ami-2".to_owned()];
        assert_eq!(parameter_status(None, &allowed, false), Status::Missing);
        assert_eq!(
            parameter_status(Some("ami-2"), &allowed, true),
            Status::Correct
        );
        assert_eq!(
            parameter_status(Some("ami-2"), &allowed, false),
            Status::Incorrect
        );
        assert_eq!(
            parameter_status(Some("ami-9"), &allowed, true),
            Status::Incorrect
        );
    }

    #[test]
    fn the_summary_counts_each_status() {
        let rows = [
            Row::new("p", "-", "a", Status::Correct, "", ""),
            Row::new("p", "-", "b", Status::Correct, "", ""),
            Row::new("p", "r", "c", Status::Missing, "x", ""),
        ];
        assert_eq!(summary(&rows), "2 correct, 1 missing");
        assert!(!all_correct(&rows));
        assert!(all_correct(&rows[..2]));
    }
}
