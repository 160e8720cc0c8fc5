//! What the bus side of the process is doing, for `/healthz` and `/metrics`: whether intake and
//! sender are connected, reconnections, deliveries by outcome, dead letters by reason,
//! announcements confirmed. Shared between tasks; every update is a lock held for a moment and
//! also moves the process's metrics registry (`amipub-telemetry`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use amipub_telemetry::events::{Announced, DeadLettered, Delivery};
use amipub_telemetry::metrics::{labels, metrics};

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
        Delivery { outcome }.emit();
    }

    /// Counts a dead letter by reason.
    pub fn dead_lettered(&self, reason: &str, detail: &str) {
        if let Ok(mut m) = self.dead.lock() {
            *m.entry(reason.to_owned()).or_default() += 1;
        }
        DeadLettered { reason, detail }.emit();
    }

    /// Counts a connection re-opened after a loss.
    pub fn reconnecting(&self, role: Role) {
        let counter = match role {
            Role::Intake => &self.intake_reconnects,
            Role::Sender => &self.sender_reconnects,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics()
            .bus_reconnects
            .get_or_create(&labels([("role", role.label())]))
            .inc();
    }

    /// Counts an announcement the broker confirmed.
    pub fn announced(&self, id: &str, topic: &str) {
        self.announcements_sent.fetch_add(1, Ordering::Relaxed);
        Announced { id, topic }.emit();
    }

    /// Deliveries so far by outcome.
    pub fn deliveries(&self) -> BTreeMap<String, u64> {
        self.deliveries
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Copies the connection flags into the registry's gauges (before a scrape).
    pub fn export(&self) {
        for (role, flag) in [
            (Role::Intake, &self.intake_connected),
            (Role::Sender, &self.sender_connected),
        ] {
            let role = labels([("role", role.label())]);
            metrics()
                .bus_connected
                .get_or_create(&role)
                .set(i64::from(flag.load(Ordering::Relaxed)));
            // Present from the start, so that a first reconnection is an increase from 0.
            let _ = metrics().bus_reconnects.get_or_create(&role);
        }
    }
}

/// A side of the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The consumer of build announcements.
    Intake,
    /// The publisher of amipub's announcements.
    Sender,
}

impl Role {
    /// `intake` or `sender`.
    pub fn label(self) -> &'static str {
        match self {
            Role::Intake => "intake",
            Role::Sender => "sender",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_reach_the_registry() {
        let before = metrics().render();
        let s = BusStatus::default();
        s.delivered("accepted");
        s.delivered("accepted");
        s.dead_lettered("not_json", "the body is not JSON");
        s.intake_connected.store(true, Ordering::Relaxed);
        s.export();
        let text = metrics().render();
        assert_ne!(before, text);
        assert_eq!(s.deliveries().get("accepted"), Some(&2));
        assert!(
            text.contains("amipub_intake_dead_letters_total{reason=\"not_json\"}"),
            "{text}"
        );
        assert!(
            text.contains("amipub_bus_connected{role=\"intake\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("amipub_bus_connected{role=\"sender\"} 0\n"),
            "{text}"
        );
    }
}
