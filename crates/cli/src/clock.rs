//! The engine's clock. Against real AWS it is the system clock; against the sandbox it is the
//! sandbox's virtual time (read from its admin API), so that a one-hour scan at time scale 600
//! takes six real seconds and every deadline and backoff of the engine means the same thing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest real wait between looks at a release against real AWS.
const MAX_REAL_WAIT: Duration = Duration::from_secs(30);
/// Longest real wait between looks against the sandbox (its time may be moved forward).
const MAX_SANDBOX_WAIT: Duration = Duration::from_millis(500);
/// Shortest wait between looks.
const MIN_WAIT: Duration = Duration::from_millis(20);

/// Where time comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// The sandbox at this endpoint.
    Sandbox(String),
}

impl Clock {
    /// The sandbox's clock if `endpoint` is a sandbox, else the system clock; with its speed
    /// (virtual seconds per real second).
    pub async fn detect(endpoint: Option<&str>) -> (Self, f64) {
        if let Some(e) = endpoint
            && let Ok(s) = state(e).await
        {
            return (Clock::Sandbox(e.to_owned()), scale_of(&s));
        }
        (Clock::System, 1.0)
    }

    /// (epoch seconds, virtual seconds per real second).
    pub async fn now(&self) -> anyhow::Result<(i64, f64)> {
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
                    .context("the sandbox's /_sandbox/state has no time")?;
                Ok((now.timestamp(), scale_of(&s)))
            }
        }
    }

    /// How long to sleep before a release due at `due` is looked at again.
    pub fn wait(&self, now: i64, scale: f64, due: Option<i64>) -> Duration {
        let secs = due.map_or(0, |d| (d - now).max(0)) as f64 / scale.max(1e-3);
        let max = match self {
            Clock::System => MAX_REAL_WAIT,
            Clock::Sandbox(_) => MAX_SANDBOX_WAIT,
        };
        Duration::from_secs_f64(secs).clamp(MIN_WAIT, max)
    }
}

fn scale_of(state: &Value) -> f64 {
    state["scale"].as_f64().unwrap_or(1.0)
}

/// GET `/_sandbox/state` (a plain HTTP/1.1 request: no client library for one admin call).
async fn state(endpoint: &str) -> anyhow::Result<Value> {
    let host = endpoint
        .strip_prefix("http://")
        .context("the sandbox endpoint must be http://HOST:PORT")?
        .trim_end_matches('/');
    let mut s = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(host))
        .await
        .context("the sandbox did not answer")??;
    let req = format!("GET /_sandbox/state HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .context("the sandbox did not answer")??;
    let text = String::from_utf8_lossy(&buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("the sandbox sent a malformed answer");
    };
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{endpoint} is not an amipub sandbox");
    }
    Ok(serde_json::from_str(body)?)
}
