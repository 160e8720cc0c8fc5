//! Worker names and lease holders. A worker is `host:pid:role`; a lease held by a process of this
//! host that no longer runs is free at once (a `publish` killed mid-step resumes without waiting
//! for the lease to expire), any other lease only when its time is up. Lease times are read off
//! the wall clock.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// This machine's name (`/proc/sys/kernel/hostname`, else `localhost`).
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The name of a worker of this process: `host:pid:role`.
pub fn worker_id(role: &str) -> String {
    format!("{}:{}:{role}", host(), std::process::id())
}

/// Whether `owner` names a process of this host that has exited.
pub fn holder_gone(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(h), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    if h != host() || pid.parse::<u32>().is_err() {
        return false;
    }
    // Without /proc (not Linux) nothing can be told: the lease runs its time.
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// The wall clock in epoch seconds (lease times and bookkeeping columns).
pub(crate) fn wall_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_not() {
        assert!(!holder_gone(&worker_id("test")));
        // Pids are bounded by pid_max (at most 2^22); this one cannot exist.
        assert!(holder_gone(&format!("{}:4294967295:test", host())));
        // Another host's lease is never judged from here.
        assert!(!holder_gone("elsewhere:4294967295:test"));
        assert!(!holder_gone("garbage"));
    }
}
