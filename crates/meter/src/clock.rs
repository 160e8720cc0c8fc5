//! Time for the agent: the system clock on an instance, or the amipub sandbox's virtual clock in
//! tests (its hours may pass in seconds, so every wait is divided by its time scale).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::ClockSource;

/// Longest real sleep in one go against the sandbox.
const MAX_SANDBOX_SLEEP: Duration = Duration::from_millis(250);
/// Longest real sleep in one go against the system clock (so a clock jump is noticed soon).
const MAX_SYSTEM_SLEEP: Duration = Duration::from_secs(30);

/// A clock.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// The sandbox at this endpoint.
    Sandbox(String),
}

impl Clock {
    /// The clock a configuration asks for.
    pub fn new(source: ClockSource, endpoint: Option<&str>) -> Result<Self, String> {
        match (source, endpoint) {
            (ClockSource::System, _) => Ok(Clock::System),
            (ClockSource::Sandbox, Some(e)) => {
                Ok(Clock::Sandbox(e.trim_end_matches('/').to_owned()))
            }
            (ClockSource::Sandbox, None) => Err(
                "agent.clock = \"sandbox\" needs agent.metering_endpoint (the sandbox's URL)"
                    .into(),
            ),
        }
    }

    /// Now (epoch seconds) and how many of its seconds pass per real second.
    pub async fn now(&self) -> Result<(i64, f64), String> {
        match self {
            Clock::System => Ok((
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
                1.0,
            )),
            Clock::Sandbox(e) => {
                let r = crate::http::request(
                    "GET",
                    &format!("{e}/_sandbox/state"),
                    &[],
                    Duration::from_secs(5),
                )
                .await?;
                let v: serde_json::Value = serde_json::from_slice(&r.body)
                    .map_err(|e| format!("the sandbox's state is not JSON: {e}"))?;
                let now = v["now"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .ok_or("the sandbox's /_sandbox/state has no time")?;
                Ok((
                    now.timestamp(),
                    v["scale"].as_f64().unwrap_or(1.0).max(1e-3),
                ))
            }
        }
    }

    /// The real time to sleep for `secs` of this clock's time.
    pub fn real(&self, secs: i64, scale: f64) -> Duration {
        let max = match self {
            Clock::System => MAX_SYSTEM_SLEEP,
            Clock::Sandbox(_) => MAX_SANDBOX_SLEEP,
        };
        Duration::from_secs_f64(secs.max(0) as f64 / scale).clamp(Duration::from_millis(5), max)
    }
}
/// An hour as `2026-11-22T13:00Z`.
pub fn hour_text(hour: i64) -> String {
    chrono::DateTime::from_timestamp(hour, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_else(|| hour.to_string())
}
