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
        let mut out = String::new();
        let flag = |b: &AtomicBool| u8::from(b.load(Ordering::Relaxed));
        out.push_str("# HELP amipub_bus_connected Whether the role's AMQP connection is up.\n");
        out.push_str("# TYPE amipub_bus_connected gauge\n");
        out.push_str(&format!(
            "amipub_bus_connected{{role=\"intake\"}} {}\namipub_bus_connected{{role=\"sender\"}} {}\n",
            flag(&self.intake_connected),
            flag(&self.sender_connected)
        ));
        out.push_str("# HELP amipub_bus_reconnects_total Connections re-opened after a loss.\n");
        out.push_str("# TYPE amipub_bus_reconnects_total counter\n");
        out.push_str(&format!(
            "amipub_bus_reconnects_total{{role=\"intake\"}} {}\namipub_bus_reconnects_total{{role=\"sender\"}} {}\n",
            self.intake_reconnects.load(Ordering::Relaxed),
            self.sender_reconnects.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP amipub_intake_deliveries_total Deliveries by what became of them.\n");
        out.push_str("# TYPE amipub_intake_deliveries_total counter\n");
        for (k, v) in self.deliveries() {
            out.push_str(&format!(
                "amipub_intake_deliveries_total{{outcome=\"{k}\"}} {v}\n"
            ));
        }
        out.push_str(
            "# HELP amipub_intake_dead_letters_total Dead-lettered deliveries by reason.\n",
        );
        out.push_str("# TYPE amipub_intake_dead_letters_total counter\n");
        if let Ok(m) = self.dead.lock() {
            for (k, v) in m.iter() {
                out.push_str(&format!(
                    "amipub_intake_dead_letters_total{{reason=\"{k}\"}} {v}\n"
                ));
            }
        }
        out.push_str(
            "# HELP amipub_announcements_sent_total Announcements the broker confirmed.\n",
        );
        out.push_str("# TYPE amipub_announcements_sent_total counter\n");
        out.push_str(&format!(
            "amipub_announcements_sent_total {}\n",
            self.announcements_sent.load(Ordering::Relaxed)
        ));
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
