//! One line per event on stderr (journald adds the time when run as a service; we add it too for
//! terminals): `LEVEL role: message`. Secrets never reach here (URLs are printed masked).

/// Writes one log line.
pub fn line(level: &str, role: &str, message: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    eprintln!("{now} {level:<5} {role}: {message}");
}
