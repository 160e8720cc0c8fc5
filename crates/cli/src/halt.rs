//! Stopping the process at a named point of the work, for the tests that kill amipub there
//! (`AMIPUB_TEST_HALT_AT`) or freeze it there (`AMIPUB_TEST_FREEZE_AT`: the process sends
//! itself SIGSTOP and goes on where it was when the test sends SIGCONT): the engine's hook
//! points and a few of the command's own.

use std::time::Duration;

use amipub_engine::engine::Hook;

/// The environment variable naming a point where the process stops (tests kill it there): a
/// hook point such as `after:ensure_mirror`, optionally `#N` for its N-th occurrence.
pub const HALT_ENV: &str = "AMIPUB_TEST_HALT_AT";

/// The point named by `AMIPUB_TEST_HALT_AT`: (hook point, occurrence), read once.
fn halt_at() -> Option<&'static (String, usize)> {
    static AT: std::sync::OnceLock<Option<(String, usize)>> = std::sync::OnceLock::new();
    AT.get_or_init(|| {
        let wanted = std::env::var(HALT_ENV).ok()?;
        Some(match wanted.split_once('#') {
            Some((p, n)) => (p.to_owned(), n.parse::<usize>().unwrap_or(1)),
            None => (wanted, 1),
        })
    })
    .as_ref()
}

/// Stops the process for good at the point named by `AMIPUB_TEST_HALT_AT`, after saying so on
/// stderr; a no-op otherwise.
pub fn halt_point(name: &str) {
    static SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some((point, nth)) = halt_at() else {
        return;
    };
    if point != name {
        return;
    }
    if SEEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == *nth {
        eprintln!("amipub: halted at {point}#{nth}");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

/// The environment variable naming a point where the process freezes itself once.
pub const FREEZE_ENV: &str = "AMIPUB_TEST_FREEZE_AT";

/// Freezes the process (SIGSTOP to itself) the first time it reaches the point named by
/// `AMIPUB_TEST_FREEZE_AT`, after saying so on stderr.
fn freeze_point(name: &str) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if std::env::var(FREEZE_ENV).ok().as_deref() != Some(name)
        || DONE.swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    eprintln!("amipub: freezing at {name}");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status();
    eprintln!("amipub: thawed at {name}");
}

/// The hook that honours `AMIPUB_TEST_HALT_AT` and `AMIPUB_TEST_FREEZE_AT`, when one is set.
pub fn halt_hook() -> Option<Hook> {
    let freeze = std::env::var_os(FREEZE_ENV).is_some();
    match (halt_at(), freeze) {
        (None, false) => None,
        _ => Some(std::sync::Arc::new(|name: &str| {
            freeze_point(name);
            halt_point(name);
        }) as Hook),
    }
}
