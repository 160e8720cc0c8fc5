//! The one metrics registry of the process, rendered as Prometheus text behind `/metrics`.
//! Counters and histograms move when an event is emitted (`crate::events`); the gauges of what
//! is stored (releases by state, the outbox backlog, …) are set by whoever serves a scrape,
//! just before rendering.

use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A metric's labels, in order.
pub type Labels = Vec<(&'static str, String)>;
/// Counters by label set.
pub type Counters = Family<Labels, Counter>;
/// Gauges by label set.
pub type Gauges = Family<Labels, Gauge>;
/// Histograms by label set.
pub type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// Declares the families once: the struct's fields, their construction, their registration
/// and the list `FAMILIES` that the documentation is checked against. Counter names carry no
/// `_total`: the encoder appends it to the samples.
macro_rules! families {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $make:expr, $name:literal, $help:literal;)*) => {
        /// Every family amipub exports.
        pub struct Metrics {
            registry: Mutex<Registry>,
            $($(#[$doc])* pub $field: $ty,)*
        }

        /// Every family's name (as registered: counters without `_total`) and help.
        pub const FAMILIES: &[(&str, &str)] = &[
            $(($name, $help),)*
            ("amipub_build_info", "The running version of amipub"),
        ];

        impl Metrics {
            fn new() -> Self {
                let m = Metrics {
                    registry: Mutex::new(Registry::default()),
                    $($field: $make,)*
                };
                if let Ok(mut r) = m.registry.lock() {
                    $(r.register($name, $help, m.$field.clone());)*
                    r.register("amipub_build_info", "The running version of amipub", build_info());
                }
                m
            }
        }
    };
}

families! {
    /// Transitions stored, by subject (`release`, `job`) and the state entered.
    transitions: Counters = Counters::default(), "amipub_transitions", "Transitions stored, by subject and the state entered";
    /// Seconds spent in a state (engine clock), by subject and state, observed when it is left.
    state_seconds: Histograms = Histograms::new_with_constructor(seconds_buckets), "amipub_state_duration_seconds", "Seconds spent in a state (engine clock), observed when it is left";
    /// Calls of a step that failed and will be tried again, by subject and failure kind.
    call_failures: Counters = Counters::default(), "amipub_call_failures", "Calls of a step that failed and will be tried again, by failure kind";
    /// Releases and jobs that failed for good, by subject and failure kind.
    failures: Counters = Counters::default(), "amipub_failures", "Releases and jobs that failed for good, by failure kind";
    /// Releases that found their product locked by another change set, by product.
    product_locked: Counters = Counters::default(), "amipub_product_locked", "Releases that found their product locked by another change set";
    /// Writes refused because the worker's lease had passed to another, by subject.
    leases_lost: Counters = Counters::default(), "amipub_leases_lost", "Writes refused because the worker's lease had passed to another";
    /// AWS calls by service, operation and outcome (`ok` or a failure kind).
    aws_calls: Counters = Counters::default(), "amipub_aws_calls", "AWS calls by service, operation and outcome";
    /// Latency of AWS calls, retries included, by service and operation.
    aws_call_seconds: Histograms = Histograms::new_with_constructor(latency_buckets), "amipub_aws_call_duration_seconds", "Latency of AWS calls, retries included";
    /// Attempts AWS answered with a throttling error, by service and operation.
    aws_throttles: Counters = Counters::default(), "amipub_aws_throttles", "Attempts AWS answered with a throttling error";
    /// Releases in the store by state (set at scrape).
    releases: Gauges = Gauges::default(), "amipub_releases", "Releases in the store by state";
    /// Lifecycle jobs in the store by state (set at scrape).
    jobs: Gauges = Gauges::default(), "amipub_jobs", "Lifecycle jobs in the store by state";
    /// Announcements waiting for the broker (set at scrape).
    outbox_backlog: Gauge = Gauge::default(), "amipub_outbox_backlog", "Announcements waiting for the broker";
    /// Inbox rows by outcome (set at scrape).
    inbox_messages: Gauges = Gauges::default(), "amipub_inbox_messages", "Inbox rows by outcome";
    /// Seconds since the oldest release still in flight was received (set at scrape).
    oldest_waiting_seconds: Gauge = Gauge::default(), "amipub_oldest_waiting_release_age_seconds", "Seconds since the oldest release in flight was received";
    /// Whether a bus role's connection is up (1) or not (0), by role.
    bus_connected: Gauges = Gauges::default(), "amipub_bus_connected", "Whether the role's AMQP connection is up";
    /// Bus connections re-opened after a loss, by role.
    bus_reconnects: Counters = Counters::default(), "amipub_bus_reconnects", "Connections re-opened after a loss";
    /// Intake deliveries by what became of them.
    deliveries: Counters = Counters::default(), "amipub_intake_deliveries", "Deliveries by what became of them";
    /// Dead-lettered deliveries by reason.
    dead_letters: Counters = Counters::default(), "amipub_intake_dead_letters", "Dead-lettered deliveries by reason";
    /// Announcements the broker confirmed.
    announcements_sent: Counter<u64, AtomicU64> = Counter::default(), "amipub_announcements_sent", "Announcements the broker confirmed";
    /// Messages read from the change-set events queue, by outcome (`stored`, `ignored`).
    change_set_events: Counters = Counters::default(), "amipub_change_set_events", "Messages read from the change-set events queue, by outcome";
    /// Waiting releases and jobs made due by stored wake-ups.
    woken: Counter<u64, AtomicU64> = Counter::default(), "amipub_woken", "Waiting releases and jobs made due by stored wake-ups";
}

fn seconds_buckets() -> Histogram {
    // 1 s to about 3 days, ×4 per bucket: scans take hours, Regions appear over days.
    Histogram::new(exponential_buckets(1.0, 4.0, 10))
}

fn latency_buckets() -> Histogram {
    // 5 ms to about 40 s, ×2 per bucket.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Metrics {
    /// The Prometheus text of every family.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(r) = self.registry.lock() {
            // Writing into a String cannot fail.
            let _ = encode(&mut out, &r);
        }
        out
    }

    /// Replaces a gauge family's samples with `rows` (label value → count), so that a label
    /// whose count dropped to nothing disappears instead of keeping its last value.
    pub fn set_all(family: &Gauges, key: &'static str, rows: &[(String, i64)]) {
        family.clear();
        for (value, n) in rows {
            family.get_or_create(&vec![(key, value.clone())]).set(*n);
        }
    }
}

fn build_info() -> Family<Labels, Gauge> {
    let f = Gauges::default();
    f.get_or_create(&vec![("version", env!("CARGO_PKG_VERSION").to_owned())])
        .set(1);
    f
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's registry.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// A label set from pairs.
pub fn labels<const N: usize>(pairs: [(&'static str, &str); N]) -> Labels {
    pairs.into_iter().map(|(k, v)| (k, v.to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_family_set_again_forgets_labels_that_went_away() {
        let f = Gauges::default();
        Metrics::set_all(&f, "state", &[("done".into(), 2), ("scanning".into(), 1)]);
        Metrics::set_all(&f, "state", &[("done".into(), 3)]);
        assert!(f.get(&labels([("state", "scanning")])).is_none());
        assert_eq!(f.get_or_create(&labels([("state", "done")])).get(), 3);
    }
}
