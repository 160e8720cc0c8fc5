//! How long to wait between looks, and how long to wait at all. Exponential backoff with caps;
//! no jitter here (decisions stay deterministic) — the engine spreads work with its own limits.

/// Polls of a pending copy start at this interval: small copies finish in minutes.
pub const MIRROR_POLL_SECS: i64 = 30;
/// …and back off to at most this: big copies take hours.
pub const MIRROR_POLL_CAP_SECS: i64 = 300;
/// A copy still pending after this is given up (CopyImage has no SLA; 6 h is generous).
pub const MIRROR_DEADLINE_SECS: i64 = 6 * 3600;
/// Polls of a running change set start here…
pub const SCAN_POLL_SECS: i64 = 60;
/// …and back off to at most this (DescribeChangeSet allows 10 requests/s per account, but scans
/// take up to hours, so every 15 minutes is enough).
pub const SCAN_POLL_CAP_SECS: i64 = 900;
/// A change set still running after this is given up (validation "minutes to hours", the
/// peers poll for up to 48 hours).
pub const SCAN_DEADLINE_SECS: i64 = 48 * 3600;
/// A product locked by someone else's change set is looked at again after this…
pub const LOCK_POLL_SECS: i64 = 60;
/// …backing off to this.
pub const LOCK_POLL_CAP_SECS: i64 = 1800;
/// A lock held longer than this (visibility reviews take weeks) fails the release for an operator.
pub const LOCK_DEADLINE_SECS: i64 = 3 * 86400;
/// Regional Marketplace AMIs are looked for at this interval…
pub const LOCATE_POLL_SECS: i64 = 60;
/// …backing off to this: the first release of a product notes each Region's window at this
/// precision, and later releases step through those windows (`locate`).
pub const LOCATE_POLL_CAP_SECS: i64 = 300;
/// After this, the release continues with the Regions found ("N of M").
pub const LOCATE_DEADLINE_SECS: i64 = 6 * 3600;
/// A Marketplace AMI seen available this recently is taken as launchable without asking EC2
/// again (Marketplace AMIs stay available; a restriction is announced, not sudden).
pub const LOCATED_FRESH_SECS: i64 = 3600;
/// A failed call is retried after this…
pub const RETRY_SECS: i64 = 5;
/// …backing off to this…
pub const RETRY_CAP_SECS: i64 = 300;
/// …at most this many times before the step fails.
pub const MAX_CALL_ATTEMPTS: u32 = 8;
/// When a command's result has not come back after this, the (idempotent) command runs again:
/// the worker that ran it probably died.
pub const COMMAND_TIMEOUT_SECS: i64 = 600;

/// `base · 2^attempt`, at most `cap`.
pub fn backoff(base: i64, cap: i64, attempt: u32) -> i64 {
    let factor = 1i64.checked_shl(attempt.min(30)).unwrap_or(i64::MAX);
    base.saturating_mul(factor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(30, 300, 0), 30);
        assert_eq!(backoff(30, 300, 1), 60);
        assert_eq!(backoff(30, 300, 3), 240);
        assert_eq!(backoff(30, 300, 4), 300);
        assert_eq!(backoff(30, 300, 200), 300);
    }
}
