//! The sandbox's clock: virtual AWS time that runs `scale` times faster than the wall clock and
//! can be moved forward through the admin API. Every duration the sandbox simulates (copies,
//! scans, regional lags) is in virtual seconds, so a one-hour scan at scale 1800 takes two real
//! seconds.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// Virtual time.
#[derive(Debug, Clone)]
pub struct Clock {
    started: Instant,
    base: DateTime<Utc>,
    scale: f64,
    offset_secs: f64,
}

impl Clock {
    /// A clock that starts at `base` and runs `scale` times faster than real time.
    pub fn new(base: DateTime<Utc>, scale: f64) -> Self {
        Self {
            started: Instant::now(),
            base,
            scale: scale.max(0.0),
            offset_secs: 0.0,
        }
    }

    /// Seconds of virtual time since the sandbox started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.scale + self.offset_secs
    }

    /// The current virtual time.
    pub fn now(&self) -> DateTime<Utc> {
        self.at(self.elapsed())
    }

    /// The wall-clock-independent instant `secs` virtual seconds after the start.
    pub fn at(&self, secs: f64) -> DateTime<Utc> {
        self.base + Duration::milliseconds((secs * 1000.0) as i64)
    }

    /// Moves virtual time forward.
    pub fn advance(&mut self, secs: f64) {
        self.offset_secs += secs.max(0.0);
    }

    /// How many virtual seconds pass per real second.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Changes the speed, keeping the current virtual time.
    pub fn set_scale(&mut self, scale: f64) {
        let now = self.elapsed();
        self.started = Instant::now();
        self.scale = scale.max(0.0);
        self.offset_secs = now;
    }

    /// Virtual seconds since the start at a given time (for restoring saved state).
    pub fn secs_of(&self, t: DateTime<Utc>) -> f64 {
        (t - self.base).num_milliseconds() as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_virtual_time_only_forward() {
        let mut c = Clock::new(DateTime::UNIX_EPOCH, 0.0);
        assert_eq!(c.elapsed(), 0.0);
        c.advance(3600.0);
        c.advance(-10.0);
        assert_eq!(c.elapsed(), 3600.0);
        assert_eq!(c.now(), DateTime::UNIX_EPOCH + Duration::hours(1));
    }

    #[test]
    fn changing_scale_keeps_the_current_time() {
        let mut c = Clock::new(DateTime::UNIX_EPOCH, 0.0);
        c.advance(100.0);
        c.set_scale(0.0);
        assert_eq!(c.elapsed(), 100.0);
    }
}
