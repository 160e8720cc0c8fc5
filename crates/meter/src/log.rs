//! Log lines on standard error, one per event, with a level word first (journald stores them
//! with the unit's name and a timestamp). Never credentials: only ids, quantities and reasons.

/// Writes one line.
pub fn log(level: Level, msg: &str) {
    eprintln!("{} {msg}", level.word());
}

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Normal progress.
    Info,
    /// Something to look at.
    Warn,
    /// Revenue is at stake.
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// An hour as `2026-11-22T13:00Z`.
pub fn hour_text(hour: i64) -> String {
    chrono::DateTime::from_timestamp(hour, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_else(|| hour.to_string())
}
