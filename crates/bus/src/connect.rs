//! Opening a connection, and saying in plain words why one failed: a refused TCP connection, a
//! TLS handshake the broker rejected (a client certificate it does not trust), a login it refused.
//! Reconnection pacing lives here too: 1 s doubling to 30 s, reset by a connection that worked.

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};

use amipub_telemetry::events::BusLost;

use crate::config::BusConfig;

/// First wait before reconnecting.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between reconnection attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Longest time opening a connection and setting it up may take (a broker that accepts TCP and
/// then stalls must not hang the process).
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The wait before reconnection attempt `n` (0-based).
pub fn backoff(n: u32) -> Duration {
    let secs = amipub_domain::release::timing::backoff(
        BACKOFF_FIRST.as_secs() as i64,
        BACKOFF_CAP.as_secs() as i64,
        n,
    );
    Duration::from_secs(secs.max(0) as u64)
}

/// How long a connection must have worked before the backoff starts again from its first step.
const HEALTHY: Duration = Duration::from_secs(60);

/// The reconnection pacing of one role (intake or sender): the wait grows with each failure in a
/// row and starts again after a connection that worked; the same failure is logged once.
#[derive(Debug)]
pub struct Pacing {
    role: &'static str,
    attempt: u32,
    said: String,
}

impl Pacing {
    /// Pacing for `role` (the log's prefix).
    pub fn new(role: &'static str) -> Self {
        Self {
            role,
            attempt: 0,
            said: String::new(),
        }
    }

    /// After a failed session that was connected (`was_up`) or lasted `lasted`: logs `error` with
    /// `then` (what happens meanwhile) unless it was just said, and returns the wait.
    pub fn failed(
        &mut self,
        error: String,
        was_up: bool,
        lasted: Duration,
        then: &str,
    ) -> Duration {
        if was_up || lasted > HEALTHY {
            self.attempt = 0;
        }
        let wait = backoff(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        if error != self.said {
            let detail = format!("{error}; {then}");
            BusLost {
                role: self.role,
                detail: &detail,
            }
            .emit();
            self.said = error;
        }
        wait
    }
}

/// Connects to the broker, naming the connection `name` (at most `SETUP_TIMEOUT`).
pub async fn connect(cfg: &BusConfig, name: &str) -> Result<Connection, String> {
    let props = ConnectionProperties::default()
        .with_connection_name(format!("{}-{name}", cfg.connection_name).into());
    let runtime = lapin::runtime::default_runtime().map_err(|e| e.to_string())?;
    let opening = Connection::connect_with_config(&cfg.url, props, cfg.tls_config(), runtime);
    match tokio::time::timeout(SETUP_TIMEOUT, opening).await {
        Ok(result) => result.map_err(|e| explain(cfg, &e.to_string())),
        Err(_) => Err(explain(
            cfg,
            &format!("no answer within {} s", SETUP_TIMEOUT.as_secs()),
        )),
    }
}

/// A connection error in words that say what to check.
pub fn explain(cfg: &BusConfig, error: &str) -> String {
    let tls = cfg.url.starts_with("amqps://");
    format!(
        "cannot connect to {}: {error} ({})",
        cfg.safe_url(),
        hint(error, tls)
    )
}

/// What to check for a connection error. Over TLS 1.3 a broker that refuses the client's
/// certificate says so after the client already counts the handshake as done, so the client may
/// see its connection reset or closed instead of the alert
/// (<https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2.4>): over `amqps` that, too, points at
/// the certificates.
fn hint(error: &str, tls: bool) -> &'static str {
    let lower = error.to_lowercase();
    let cut_off = ["reset", "broken pipe", "eof", "closed"]
        .iter()
        .any(|w| lower.contains(w));
    if lower.contains("refused") && !lower.contains("access_refused") {
        "nothing listens there: is the broker running, and are host and port right?"
    } else if lower.contains("certificate")
        || lower.contains("alert")
        || lower.contains("tls")
        || (tls && cut_off)
    {
        "the TLS handshake failed or the broker closed the connection right after it: check that ca_file signed the broker's certificate and that the broker trusts cert_file (a wrong or expired client certificate is refused)"
    } else if lower.contains("access_refused") || lower.contains("auth") || lower.contains("login")
    {
        "the broker refused the login: check the user, password_env, or that the certificate's name is a broker user"
    } else if lower.contains("vhost") || lower.contains("not_allowed") {
        "the virtual host does not exist or the user may not use it"
    } else {
        "check bus.url and that the broker is reachable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_grows_and_starts_again_after_a_good_connection() {
        let mut p = Pacing::new("test");
        let short = Duration::from_secs(1);
        assert_eq!(
            p.failed("down".into(), false, short, "waiting"),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.failed("down".into(), false, short, "waiting"),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.failed("down".into(), false, short, "waiting"),
            Duration::from_secs(4)
        );
        assert_eq!(
            p.failed("lost".into(), true, short, "waiting"),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.failed("lost".into(), false, HEALTHY * 2, "waiting"),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_connection_cut_off_over_tls_points_at_the_certificates() {
        let reset = "IO error: Connection reset by peer (os error 104)";
        assert!(hint(reset, true).contains("TLS handshake failed"));
        assert!(hint(reset, false).contains("bus.url"));
        assert!(hint("invalid peer certificate: UnknownIssuer", true).contains("ca_file"));
        assert!(hint("Connection refused (os error 111)", true).contains("nothing listens"));
        assert!(hint("ACCESS_REFUSED - Login was refused", false).contains("login"));
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(5), BACKOFF_CAP);
        assert_eq!(backoff(40), BACKOFF_CAP);
    }
}
