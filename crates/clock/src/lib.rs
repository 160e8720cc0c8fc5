//! The time amipub works in, for the engine and the metering agent alike: the system clock
//! against AWS, or the amipub sandbox's virtual clock (read from its `/_sandbox/state`), so that
//! a one-hour scan at time scale 600 takes six real seconds and every deadline and backoff
//! means the same thing in a rehearsal. How long each process sleeps between looks is its own
//! policy (`Bounds`); what time it is, is this crate's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the sandbox may take to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClockError(String);

/// Where time comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// The sandbox at this endpoint (`http://HOST:PORT`).
    Sandbox(String),
}

/// The shortest and longest real waits between looks: against the system clock, and against
/// the sandbox (whose time may be moved forward by a test, so it is looked at more often).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The shortest wait.
    pub min: Duration,
    /// The longest wait against the system clock.
    pub max_system: Duration,
    /// The longest wait against the sandbox.
    pub max_sandbox: Duration,
}

impl Clock {
    /// The sandbox at `endpoint`.
    pub fn sandbox(endpoint: &str) -> Self {
        Clock::Sandbox(endpoint.trim_end_matches('/').to_owned())
    }

    /// The sandbox's clock if `endpoint` is a sandbox that answers, else the system clock; with
    /// its speed (virtual seconds per real second).
    pub async fn detect(endpoint: Option<&str>) -> (Self, f64) {
        if let Some(e) = endpoint
            && let Ok(s) = state(e).await
        {
            return (Clock::sandbox(e), scale_of(&s));
        }
        (Clock::System, 1.0)
    }

    /// Now (epoch seconds) and how many of its seconds pass per real second.
    pub async fn now(&self) -> Result<(i64, f64), ClockError> {
        match self {
            Clock::System => Ok((
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
                1.0,
            )),
            Clock::Sandbox(e) => {
                let s = state(e).await?;
                let now = s["now"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .ok_or_else(|| fail("the sandbox's /_sandbox/state has no time"))?;
                Ok((now.timestamp(), scale_of(&s)))
            }
        }
    }

    /// The real time to wait for `secs` of this clock's time at `scale`, within `bounds`.
    pub fn real(&self, secs: i64, scale: f64, bounds: Bounds) -> Duration {
        let max = match self {
            Clock::System => bounds.max_system,
            Clock::Sandbox(_) => bounds.max_sandbox,
        };
        Duration::from_secs_f64(secs.max(0) as f64 / scale.max(1e-3)).clamp(bounds.min, max)
    }
}

fn fail(what: &str) -> ClockError {
    ClockError(what.to_owned())
}

fn scale_of(state: &Value) -> f64 {
    state["scale"].as_f64().unwrap_or(1.0).max(1e-3)
}

/// GET `/_sandbox/state` (a plain HTTP/1.1 request: no client library for one admin call).
async fn state(endpoint: &str) -> Result<Value, ClockError> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| fail("the sandbox endpoint must be http://HOST:PORT"))?
        .trim_end_matches('/');
    let silent = |_| fail("the sandbox did not answer");
    let mut s = tokio::time::timeout(ANSWER_TIMEOUT, tokio::net::TcpStream::connect(host))
        .await
        .map_err(silent)?
        .map_err(|e| ClockError(format!("cannot reach the sandbox at {host}: {e}")))?;
    let req = format!("GET /_sandbox/state HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| ClockError(format!("cannot ask the sandbox: {e}")))?;
    let mut buf = Vec::new();
    tokio::time::timeout(ANSWER_TIMEOUT, s.read_to_end(&mut buf))
        .await
        .map_err(silent)?
        .map_err(|e| ClockError(format!("the sandbox's answer broke off: {e}")))?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail("the sandbox sent a malformed answer"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(ClockError(format!("{endpoint} is not an amipub sandbox")));
    }
    serde_json::from_str(body)
        .map_err(|e| ClockError(format!("the sandbox's state is not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        min: Duration::from_millis(20),
        max_system: Duration::from_secs(30),
        max_sandbox: Duration::from_millis(500),
    };

    #[test]
    fn waits_are_virtual_time_over_scale_within_bounds() {
        let sandbox = Clock::sandbox("http://127.0.0.1:1/");
        assert_eq!(sandbox, Clock::Sandbox("http://127.0.0.1:1".into()));
        assert_eq!(sandbox.real(60, 600.0, BOUNDS), Duration::from_millis(100));
        assert_eq!(sandbox.real(3600, 1.0, BOUNDS), BOUNDS.max_sandbox);
        assert_eq!(Clock::System.real(3600, 1.0, BOUNDS), BOUNDS.max_system);
        assert_eq!(Clock::System.real(-5, 1.0, BOUNDS), BOUNDS.min);
    }

    #[tokio::test]
    async fn a_closed_port_is_not_a_sandbox() {
        let (clock, speed) = Clock::detect(Some("http://127.0.0.1:1")).await;
        assert_eq!((clock, speed), (Clock::System, 1.0));
        let err = Clock::sandbox("http://127.0.0.1:1")
            .now()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
        let err = Clock::sandbox("https://x").now().await.unwrap_err();
        assert!(err.to_string().contains("http://HOST:PORT"), "{err}");
    }
}
