//! What validation finds: problems with their rule, field path, limit and fix, placed on a line of
//! the file they came from.

use serde::Serialize;

use crate::spec::path::{FieldPath, Locator};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be used: Marketplace would refuse it, or amipub cannot act on it.
    Error,
    /// The spec works but probably not as meant.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Stable rule id, e.g. `listing.title.length` (documented in docs/usage/product-spec.md).
    pub rule: &'static str,
    /// The field, e.g. `listing.highlights[2]`.
    pub path: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// The documented limit that applies.
    pub limit: String,
    /// How to fix it.
    pub fix: String,
}

/// Collects problems against field paths.
#[derive(Debug, Default)]
pub struct Findings {
    items: Vec<(FieldPath, Problem)>,
}

impl Findings {
    /// Records an error.
    pub fn error(
        &mut self,
        path: &FieldPath,
        rule: &'static str,
        message: impl Into<String>,
        limit: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Error, path, rule, message, limit, fix);
    }

    /// Records a warning.
    pub fn warning(
        &mut self,
        path: &FieldPath,
        rule: &'static str,
        message: impl Into<String>,
        limit: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Warning, path, rule, message, limit, fix);
    }

    fn push(
        &mut self,
        severity: Severity,
        path: &FieldPath,
        rule: &'static str,
        message: impl Into<String>,
        limit: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.items.push((
            path.clone(),
            Problem {
                severity,
                rule,
                path: path.to_string(),
                line: None,
                message: message.into(),
                limit: limit.into(),
                fix: fix.into(),
            },
        ));
    }

    /// The problems, each placed on its line of `text`, in file order.
    pub fn into_problems(self, text: &str) -> Vec<Problem> {
        let locator = Locator::new(text);
        let mut out: Vec<Problem> = self
            .items
            .into_iter()
            .map(|(path, mut p)| {
                p.line = locator.line(&path);
                p
            })
            .collect();
        out.sort_by_key(|p| (p.line.unwrap_or(0), p.severity == Severity::Warning));
        out
    }

    /// The problems without lines (for specs built in code).
    pub fn into_unplaced(self) -> Vec<Problem> {
        self.items.into_iter().map(|(_, p)| p).collect()
    }
}

/// Whether any problem is an error.
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}
