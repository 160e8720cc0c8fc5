//! Printing validation problems for people (`file:line: error: path: message`, then the limit
//! and the fix) and for machines (JSON).

use std::path::Path;

use amipub_domain::validate::{Problem, Severity};

/// Writes problems of one file to stderr, one block each.
pub fn print_problems(file: &Path, problems: &[Problem]) {
    for p in problems {
        let severity = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        let path = if p.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", p.path)
        };
        eprintln!(
            "{}{line}: {severity}[{}]: {path}{}",
            file.display(),
            p.rule,
            p.message
        );
        eprintln!("    limit: {}", p.limit);
        eprintln!("    fix:   {}", p.fix);
    }
}

/// Counts errors and warnings.
pub fn tally(problems: &[Problem]) -> (usize, usize) {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    (errors, problems.len() - errors)
}

/// `n thing` or `n things`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
