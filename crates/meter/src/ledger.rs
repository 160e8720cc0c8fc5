//! The agent's memory as pure data: the open hour's running aggregates, each counter's last raw
//! value and fractional carry, and every closed hour's records with their delivery status. It
//! changes only by applying journal events, so replaying the journal after a crash rebuilds
//! exactly what the agent knew. The decisions — which samples belong to which hour, when an hour
//! closes, what it is worth, which records are due or aged out — are functions of the ledger, the
//! series and the time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Aggregate, Kind, Series};

/// Seconds in an hour.
pub const HOUR: i64 = 3600;
/// How late MeterUsage accepts a record: six hours after its timestamp.
pub const WINDOW_SECS: i64 = 6 * HOUR;
/// The largest quantity MeterUsage accepts.
pub const MAX_QUANTITY: i64 = 2_147_483_647;

/// The hour (epoch seconds of its start) that `t` falls in.
pub fn hour_of(t: i64) -> i64 {
    t.div_euclid(HOUR) * HOUR
}

/// The timestamp a record of `hour` is sent with: the hour's last second, so the six-hour window
/// counts from the end of the hour the usage happened in.
pub fn timestamp_of(hour: i64) -> i64 {
    hour + HOUR - 1
}

/// Usage allocations of a record: each tag set and its quantity.
pub type Allocations = Vec<(BTreeMap<String, String>, i64)>;

/// Delivery status of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Written, not yet accepted.
    Pending,
    /// Accepted; the Metering Service's record id (empty when it answered "duplicate").
    Sent {
        /// `MeteringRecordId`.
        id: String,
    },
    /// Not delivered within the six-hour window; kept for the seller to settle by hand.
    Expired {
        /// Why.
        reason: String,
    },
}

/// One hour's usage of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Hour start, epoch seconds.
    pub hour: i64,
    /// Dimension key.
    pub dimension: String,
    /// Quantity.
    pub quantity: i64,
    /// Usage allocations (tags, quantity); empty without allocations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocations: Allocations,
    /// Delivery status.
    #[serde(flatten)]
    pub status: Status,
}

impl Record {
    /// The journal key: `hour/dimension`.
    pub fn key(&self) -> String {
        key(self.hour, &self.dimension)
    }
}

fn key(hour: i64, dimension: &str) -> String {
    format!("{hour}/{dimension}")
}

/// Running aggregates of one series in the open hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Running {
    /// Samples taken.
    pub count: u32,
    /// Their sum.
    pub sum: f64,
    /// The largest.
    pub max: f64,
    /// The latest.
    pub last: f64,
    /// Counter growth seen in this hour.
    pub growth: f64,
}

/// The hour being measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Open {
    /// Hour start.
    pub hour: i64,
    /// Series id → aggregates.
    pub series: BTreeMap<String, Running>,
}

/// What the instance is (recorded once at start, for `status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Instance id.
    pub instance_id: String,
    /// Product code metered.
    pub product_code: String,
    /// Region.
    pub region: String,
}

/// Everything the journal holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// The instance.
    #[serde(default)]
    pub identity: Option<Identity>,
    /// The open hour.
    #[serde(default)]
    pub open: Option<Open>,
    /// Counter series → last raw value.
    #[serde(default)]
    pub counters: BTreeMap<String, f64>,
    /// Counter series → fraction of a unit not yet billed.
    #[serde(default)]
    pub carry: BTreeMap<String, f64>,
    /// `hour/dimension` → record.
    #[serde(default)]
    pub records: BTreeMap<String, Record>,
}

/// A change to the ledger; the journal is a sequence of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "e", rename_all = "snake_case")]
pub enum Event {
    /// The agent started on this instance.
    Started {
        /// The instance.
        identity: Identity,
    },
    /// Raw values read at `at`, counted in `hour`.
    Sample {
        /// When read.
        at: i64,
        /// The hour they count in.
        hour: i64,
        /// Series id → raw value.
        values: BTreeMap<String, f64>,
    },
    /// An hour is closed: its records, and the counters' carries after it.
    Close {
        /// Hour start.
        hour: i64,
        /// One record per dimension (status pending).
        records: Vec<Record>,
        /// Counter series → carry.
        #[serde(default)]
        carry: BTreeMap<String, f64>,
    },
    /// The Metering Service accepted a record.
    Sent {
        /// Hour.
        hour: i64,
        /// Dimension.
        dimension: String,
        /// Its record id.
        id: String,
    },
    /// A record aged out of the window.
    Expired {
        /// Hour.
        hour: i64,
        /// Dimension.
        dimension: String,
        /// Why.
        reason: String,
    },
    /// The whole ledger (the first line of a compacted journal).
    Snapshot {
        /// It.
        ledger: Box<Ledger>,
    },
}

/// The latest hour an event may name: 9999-12-31T23:00:00Z. Hours outside 0 to this (and
/// sample times too) were not written by the agent; the arithmetic on hours may assume them.
pub const LATEST_HOUR: i64 = 253_402_297_200;

impl Event {
    /// Whether every hour and time the event carries lies between 1970 and `LATEST_HOUR`:
    /// the journal replays only such events (a damaged number is an unreadable line).
    pub fn in_range(&self) -> bool {
        let ok = |t: &i64| (0..=LATEST_HOUR).contains(t);
        match self {
            Event::Started { .. } => true,
            Event::Sample { at, hour, .. } => ok(at) && ok(hour),
            Event::Close { hour, records, .. } => ok(hour) && records.iter().all(|r| ok(&r.hour)),
            Event::Sent { hour, .. } | Event::Expired { hour, .. } => ok(hour),
            Event::Snapshot { ledger } => {
                ledger.open.as_ref().is_none_or(|o| ok(&o.hour))
                    && ledger.records.values().all(|r| ok(&r.hour))
            }
        }
    }
}

impl Ledger {
    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Started { identity } => self.identity = Some(identity.clone()),
            Event::Sample { hour, values, .. } => {
                let open = match &mut self.open {
                    Some(o) if o.hour >= *hour => o,
                    _ => self.open.insert(Open {
                        hour: *hour,
                        series: BTreeMap::new(),
                    }),
                };
                for (id, v) in values {
                    let growth = match self.counters.get(id) {
                        None => 0.0,
                        Some(prev) if v >= prev => finite(v - prev),
                        // A counter that went down was reset: all of its value is new.
                        Some(_) => *v,
                    };
                    self.counters.insert(id.clone(), *v);
                    let r = open.series.entry(id.clone()).or_default();
                    r.max = if r.count == 0 { *v } else { r.max.max(*v) };
                    r.count = r.count.saturating_add(1);
                    r.sum = finite(r.sum + v);
                    r.last = *v;
                    r.growth = finite(r.growth + growth);
                }
            }
            Event::Close {
                hour,
                records,
                carry,
            } => {
                for r in records {
                    self.records.entry(r.key()).or_insert_with(|| r.clone());
                }
                self.carry
                    .extend(carry.iter().map(|(k, v)| (k.clone(), *v)));
                if self.open.as_ref().is_some_and(|o| o.hour <= *hour) {
                    self.open = None;
                }
            }
            Event::Sent {
                hour,
                dimension,
                id,
            } => {
                if let Some(r) = self.records.get_mut(&key(*hour, dimension)) {
                    r.status = Status::Sent { id: id.clone() };
                }
            }
            Event::Expired {
                hour,
                dimension,
                reason,
            } => {
                if let Some(r) = self.records.get_mut(&key(*hour, dimension))
                    && r.status == Status::Pending
                {
                    r.status = Status::Expired {
                        reason: reason.clone(),
                    };
                }
            }
            Event::Snapshot { ledger } => *self = (**ledger).clone(),
        }
    }

    /// The newest hour that has records.
    pub fn last_closed(&self) -> Option<i64> {
        self.records.values().map(|r| r.hour).max()
    }

    /// The hour a sample read at `now` counts in: its own hour, but never one already closed
    /// (after the clock went back, samples count in the hour being measured).
    pub fn hour_for(&self, now: i64) -> i64 {
        let floor = match (&self.open, self.last_closed()) {
            (Some(o), _) => o.hour,
            (None, Some(h)) => h + HOUR,
            (None, None) => i64::MIN,
        };
        hour_of(now).max(floor)
    }

    /// The events that close every hour before `now`'s: the open hour with its aggregates, and
    /// hours nobody measured (the agent was down) as zero records while they can still be
    /// delivered. Empty when nothing is due.
    pub fn closes_due(&self, series: &[Series], now: i64) -> Vec<Event> {
        let current = hour_of(now);
        let mut out = Vec::new();
        let mut from = self.last_closed().map(|h| h + HOUR);
        if let Some(o) = &self.open
            && o.hour < current
        {
            out.push(self.close(series, o));
            from = Some(o.hour + HOUR);
        }
        if let Some(mut h) = from {
            // Only the hours still inside the window are worth a zero record.
            h = h.max(hour_of(now - WINDOW_SECS - HOUR + 1) + HOUR);
            // `from` lies past the open hour and every closed one: these hours have no record.
            while h < current {
                out.push(zero_close(series, h));
                h += HOUR;
            }
        }
        out
    }

    fn close(&self, series: &[Series], open: &Open) -> Event {
        let mut carry = BTreeMap::new();
        let mut per_dim: BTreeMap<&str, (i64, Allocations)> = BTreeMap::new();
        for s in series {
            let running = open.series.get(&s.id).cloned().unwrap_or_default();
            let q = match s.kind {
                Kind::Gauge => gauge_quantity(&running, s.aggregate, s.scale),
                Kind::Counter => {
                    let owed = finite(
                        running.growth * s.scale + self.carry.get(&s.id).copied().unwrap_or(0.0),
                    );
                    // Whole units are billed; the fraction waits for the next hour.
                    let whole = (owed + 1e-9).floor().clamp(0.0, MAX_QUANTITY as f64);
                    carry.insert(s.id.clone(), (owed - whole).max(0.0));
                    whole as i64
                }
            };
            let e = per_dim.entry(&s.dimension).or_default();
            e.0 = (e.0 + q).min(MAX_QUANTITY);
            if !s.tags.is_empty() {
                e.1.push((s.tags.clone(), q));
            }
        }
        Event::Close {
            hour: open.hour,
            records: per_dim
                .into_iter()
                .map(|(d, (q, allocations))| Record {
                    hour: open.hour,
                    dimension: d.to_owned(),
                    quantity: q,
                    allocations,
                    status: Status::Pending,
                })
                .collect(),
            carry,
        }
    }

    /// Pending records, in no particular order.
    pub fn pending_iter(&self) -> impl Iterator<Item = &Record> {
        self.records
            .values()
            .filter(|r| r.status == Status::Pending)
    }

    /// Pending records, oldest first.
    pub fn pending(&self) -> Vec<&Record> {
        let mut v: Vec<&Record> = self.pending_iter().collect();
        v.sort_by(|a, b| (a.hour, &a.dimension).cmp(&(b.hour, &b.dimension)));
        v
    }

    /// Pending records that can no longer be delivered at `now`.
    pub fn aged_out(&self, now: i64) -> Vec<&Record> {
        self.pending_iter()
            .filter(|r| now >= timestamp_of(r.hour) + WINDOW_SECS)
            .collect()
    }

    /// Drops sent records older than `keep_secs` (expired ones are kept for good); what is left
    /// means the same.
    pub fn compact(&mut self, now: i64, keep_secs: i64) {
        self.records
            .retain(|_, r| !matches!(r.status, Status::Sent { .. }) || r.hour >= now - keep_secs);
    }

    /// Counts by status: (pending, sent, expired).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in self.records.values() {
            match r.status {
                Status::Pending => c.0 += 1,
                Status::Sent { .. } => c.1 += 1,
                Status::Expired { .. } => c.2 += 1,
            }
        }
        c
    }
}

/// `x` kept finite, an infinity becoming the largest value of its sign: the journal is JSON,
/// which has no infinities, so a ledger holding one could not be written to it (its compaction
/// snapshot would be unreadable, and with it every record).
fn finite(x: f64) -> f64 {
    x.clamp(f64::MIN, f64::MAX)
}

fn zero_close(series: &[Series], hour: i64) -> Event {
    let mut dims: BTreeMap<&str, Allocations> = BTreeMap::new();
    for s in series {
        let e = dims.entry(&s.dimension).or_default();
        if !s.tags.is_empty() {
            e.push((s.tags.clone(), 0));
        }
    }
    Event::Close {
        hour,
        records: dims
            .into_iter()
            .map(|(d, allocations)| Record {
                hour,
                dimension: d.to_owned(),
                quantity: 0,
                allocations,
                status: Status::Pending,
            })
            .collect(),
        carry: BTreeMap::new(),
    }
}

fn gauge_quantity(r: &Running, aggregate: Aggregate, scale: f64) -> i64 {
    if r.count == 0 {
        return 0;
    }
    let v = match aggregate {
        Aggregate::Max => r.max,
        Aggregate::Average => r.sum / f64::from(r.count),
        Aggregate::Last => r.last,
    } * scale;
    v.round().clamp(0.0, MAX_QUANTITY as f64) as i64
}

#[cfg(test)]
mod tests;
