//! How long the commands and `serve` wait between looks at work due later, on the clock they
//! share with the metering agent (`amipub-clock`: the system clock, or the sandbox's virtual
//! time). Against AWS a look every 30 s at most; against the sandbox every 500 ms, since a test
//! may move its time forward.

use std::time::Duration;

use amipub_clock::Bounds;
pub use amipub_clock::Clock;

const BOUNDS: Bounds = Bounds {
    min: Duration::from_millis(20),
    max_system: Duration::from_secs(30),
    max_sandbox: Duration::from_millis(500),
};

/// How long to sleep before work due at `due` (engine clock) is looked at again.
pub fn wait(clock: &Clock, now: i64, scale: f64, due: Option<i64>) -> Duration {
    clock.real(due.map_or(0, |d| d - now), scale, BOUNDS)
}
