//! Time for the agent, on the clock it shares with the engine (`amipub-clock`): the system clock
//! on an instance, or the amipub sandbox's virtual clock in tests (its hours may pass in seconds,
//! so every wait is divided by its time scale); and how hours are written.

use std::time::Duration;

use amipub_clock::Bounds;
pub use amipub_clock::Clock;

use crate::config::ClockSource;

const BOUNDS: Bounds = Bounds {
    min: Duration::from_millis(5),
    // Against the system clock, so that a clock jump is noticed soon.
    max_system: Duration::from_secs(30),
    max_sandbox: Duration::from_millis(250),
};

/// The clock a configuration asks for.
pub fn from_config(source: ClockSource, endpoint: Option<&str>) -> Result<Clock, String> {
    match (source, endpoint) {
        (ClockSource::System, _) => Ok(Clock::System),
        (ClockSource::Sandbox, Some(e)) => Ok(Clock::sandbox(e)),
        (ClockSource::Sandbox, None) => Err(
            "agent.clock = \"sandbox\" needs agent.metering_endpoint (the sandbox's URL)".into(),
        ),
    }
}

/// The real time to sleep for `secs` of the clock's time.
pub fn sleep_for(clock: &Clock, secs: i64, scale: f64) -> Duration {
    clock.real(secs, scale, BOUNDS)
}

/// An hour as `2026-11-22T13:00Z`.
pub fn hour_text(hour: i64) -> String {
    chrono::DateTime::from_timestamp(hour, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_else(|| hour.to_string())
}
