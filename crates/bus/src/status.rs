//! What the bus side of the process is doing, for `/healthz` and `/metrics`: whether intake and
//! sender are connected, reconnections, deliveries by outcome, dead letters by reason,
//! announcements confirmed. Shared between tasks; every update is a lock held for a moment.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters and flags.
#[derive(Debug, Default)]
pub struct BusStatus {
    /// The intake consumer is connected and consuming.
    pub intake_connected: AtomicBool,
    /// The sender is connected.
    pub sender_connected: AtomicBool,
    /// Reconnections of the intake.
    pub intake_reconnects: AtomicU64,
    /// Reconnections of the sender.
    pub sender_reconnects: AtomicU64,
    /// Announcements confirmed by the broker.
    pub announcements_sent: AtomicU64,
    deliveries: Mutex<BTreeMap<String, u64>>,
    dead: Mutex<BTreeMap<String, u64>>,
}

impl BusStatus {
    /// Counts a delivery with its outcome (`accepted`, `duplicate`, `ignored`, `irrelevant`,
    /// `dead`, `requeued`).
    pub fn delivered(&self, outcome: &str) {
        if let Ok(mut m) = self.deliveries.lock() {
            *m.entry(outcome.to_owned()).or_default() += 1;
        }
    }

    /// Counts a dead letter by reason.
    pub fn dead_lettered(&self, reason: &str) {
        if let Ok(mut m) = self.dead.lock() {
            *m.entry(reason.to_owned()).or_default() += 1;
        }
    }

    /// Deliveries so far by outcome.
    pub fn deliveries(&self) -> BTreeMap<String, u64> {
        self.deliveries
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// The Prometheus text of these counters.
    pub fn prometheus(&self) -> String {
        let flag = |b: &AtomicBool| u64::from(b.load(Ordering::Relaxed));
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let roles = |intake: u64, sender: u64| {
            vec![
                ("role=\"intake\"".to_owned(), intake),
                ("role=\"sender\"".to_owned(), sender),
            ]
        };
        let labelled = |key: &str, m: BTreeMap<String, u64>| {
            m.into_iter()
                .map(|(k, v)| (format!("{key}=\"{k}\""), v))
                .collect::<Vec<_>>()
        };
        let dead = self.dead.lock().map(|m| m.clone()).unwrap_or_default();
        let mut out = String::new();
        for (name, kind, help, rows) in [
            (
                "amipub_bus_connected",
                "gauge",
                "Whether the role's AMQP connection is up.",
                roles(flag(&self.intake_connected), flag(&self.sender_connected)),
            ),
            (
                "amipub_bus_reconnects_total",
                "counter",
                "Connections re-opened after a loss.",
                roles(
                    count(&self.intake_reconnects),
                    count(&self.sender_reconnects),
                ),
            ),
            (
                "amipub_intake_deliveries_total",
                "counter",
                "Deliveries by what became of them.",
                labelled("outcome", self.deliveries()),
            ),
            (
                "amipub_intake_dead_letters_total",
                "counter",
                "Dead-lettered deliveries by reason.",
                labelled("reason", dead),
            ),
            (
                "amipub_announcements_sent_total",
                "counter",
                "Announcements the broker confirmed.",
                vec![(String::new(), count(&self.announcements_sent))],
            ),
        ] {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, v) in rows {
                if labels.is_empty() {
                    out.push_str(&format!("{name} {v}\n"));
                } else {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_the_metrics_text() {
        let s = BusStatus::default();
        s.delivered("accepted");
        s.delivered("accepted");
        s.dead_lettered("not_json");
        s.intake_connected.store(true, Ordering::Relaxed);
        let text = s.prometheus();
        assert!(text.contains("amipub_intake_deliveries_total{outcome=\"accepted\"} 2\n"));
        assert!(text.contains("amipub_intake_dead_letters_total{reason=\"not_json\"} 1\n"));
        assert!(text.contains("amipub_bus_connected{role=\"intake\"} 1\n"));
        assert!(text.contains("amipub_bus_connected{role=\"sender\"} 0\n"));
    }
}
