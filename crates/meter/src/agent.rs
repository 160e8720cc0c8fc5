//! The agent's loop: close finished hours, sample the sources, age out what can no longer be
//! delivered, send what is pending, compact, publish metrics, sleep. Every change is written to
//! the journal before it is acted on, so a kill at any moment loses nothing and doubles nothing:
//! on restart the same records are sent again, and the Metering Service answers an identical
//! repeat with the same record id (or "duplicate", which counts as sent).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::clock::hour_text;
use crate::config::Series;
use crate::explain::{Outcome, Scope};
use crate::journal::Journal;
use crate::ledger::{Event, HOUR, Identity, Ledger, Record, WINDOW_SECS, timestamp_of};
use crate::metering::Meter;
use crate::sources;

/// How long sending stops after a refusal a person must fix (then one record is tried again).
pub const HOLD_SECS: i64 = HOUR;
/// First wait after a transient failure; doubles up to `MAX_RETRY_SECS`.
pub const FIRST_RETRY_SECS: i64 = 30;
/// Longest wait between attempts while the service is unreachable.
pub const MAX_RETRY_SECS: i64 = 600;
/// Sent records kept in the journal after compaction.
pub const KEEP_SENT_SECS: i64 = 7 * 24 * HOUR;

/// A running agent.
pub struct Agent<M> {
    /// What is measured.
    pub series: Vec<Series>,
    /// Sampling interval.
    pub sample_secs: i64,
    /// The instance.
    pub identity: Identity,
    /// The journal.
    pub journal: Journal,
    /// What it holds.
    pub ledger: Ledger,
    /// The Metering Service.
    pub meter: M,
    /// Time.
    pub clock: Clock,
    /// Where metrics are written (Prometheus text).
    pub metrics_path: PathBuf,
    next_sample: i64,
    retry_at: i64,
    failures: u32,
    held_until: i64,
    held_dims: BTreeMap<String, i64>,
    reported: BTreeSet<String>,
    source_errors: BTreeMap<String, String>,
    sample_errors: u64,
    last_sent_at: i64,
    /// The metrics text last written (rewritten only when it changes).
    metrics: String,
}

impl<M: Meter> Agent<M> {
    /// An agent over an opened journal.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        series: Vec<Series>,
        sample_secs: i64,
        identity: Identity,
        journal: Journal,
        ledger: Ledger,
        meter: M,
        clock: Clock,
        metrics_path: PathBuf,
    ) -> Self {
        Self {
            series,
            sample_secs,
            identity,
            journal,
            ledger,
            meter,
            clock,
            metrics_path,
            next_sample: 0,
            retry_at: 0,
            failures: 0,
            held_until: 0,
            held_dims: BTreeMap::new(),
            reported: BTreeSet::new(),
            source_errors: BTreeMap::new(),
            sample_errors: 0,
            last_sent_at: 0,
            metrics: String::new(),
        }
    }

    fn record(&mut self, events: Vec<Event>) -> Result<(), String> {
        self.journal.append(&events)?;
        for e in &events {
            self.ledger.apply(e);
        }
        Ok(())
    }

    /// Runs until `shutdown` completes; the journal is consistent whenever it returns.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), String> {
        if self.ledger.identity.as_ref() != Some(&self.identity) {
            self.record(vec![Event::Started {
                identity: self.identity.clone(),
            }])?;
        }
        let (p, s, e) = self.ledger.counts();
        tracing::info!(
            "metering product {} on {} in {}: {} dimension series, journal has {p} pending, {s} sent, {e} expired",
            self.identity.product_code,
            self.identity.instance_id,
            self.identity.region,
            self.series.len()
        );
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let wait = match self.clock.now().await {
                Ok((now, scale)) => {
                    let due = self.turn(now).await?;
                    crate::clock::sleep_for(&self.clock, due - now, scale)
                }
                Err(e) => {
                    tracing::warn!("cannot read the clock: {e}");
                    std::time::Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("stopping; the journal is up to date");
                    return Ok(());
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass at `now`; returns when the next pass is due.
    pub async fn turn(&mut self, now: i64) -> Result<i64, String> {
        let closes = self.ledger.closes_due(&self.series, now);
        for c in &closes {
            if let Event::Close { hour, records, .. } = c {
                let words: Vec<String> = records
                    .iter()
                    .map(|r| format!("{}={}", r.dimension, r.quantity))
                    .collect();
                tracing::info!("hour {} closed: {}", hour_text(*hour), words.join(" "));
            }
        }
        self.record(closes)?;

        if now >= self.next_sample {
            self.sample(now).await?;
            self.next_sample = (now.div_euclid(self.sample_secs) + 1) * self.sample_secs;
        }

        let aged: Vec<Event> = self
            .ledger
            .aged_out(now)
            .into_iter()
            .map(|r| {
                tracing::error!("usage of {} for the hour {} (quantity {}) was not accepted within six hours and can no longer be reported; it stays in the journal (amipub-meter status) for the seller to settle", r.dimension, hour_text(r.hour), r.quantity);
                Event::Expired {
                    hour: r.hour,
                    dimension: r.dimension.clone(),
                    reason: "not delivered within six hours".into(),
                }
            })
            .collect();
        self.record(aged)?;

        self.send(now).await?;

        if self.journal.wants_compaction() {
            self.ledger.compact(now, KEEP_SENT_SECS);
            self.journal.compact(&self.ledger)?;
        }
        self.write_metrics(now);

        let next_hour = (now.div_euclid(HOUR) + 1) * HOUR;
        let send_due = self
            .ledger
            .pending_iter()
            .map(|r| self.held_dims.get(&r.dimension).copied().unwrap_or(0))
            .min()
            .map_or(i64::MAX, |dim| dim.max(self.retry_at).max(self.held_until));
        Ok(self.next_sample.min(next_hour).min(send_due).max(now + 1))
    }

    async fn sample(&mut self, now: i64) -> Result<(), String> {
        let mut values = BTreeMap::new();
        for s in &self.series {
            match sources::read(s).await {
                Ok(v) => {
                    if self.source_errors.remove(&s.id).is_some() {
                        tracing::info!("{}: the source works again", s.id);
                    }
                    values.insert(s.id.clone(), v);
                }
                Err(e) => {
                    self.sample_errors += 1;
                    if self.source_errors.get(&s.id) != Some(&e) {
                        tracing::warn!("{}: no sample ({e})", s.id);
                        self.source_errors.insert(s.id.clone(), e);
                    }
                }
            }
        }
        if values.is_empty() {
            return Ok(());
        }
        let hour = self.ledger.hour_for(now);
        self.record(vec![Event::Sample {
            at: now,
            hour,
            values,
        }])
    }

    async fn send(&mut self, now: i64) -> Result<(), String> {
        if now < self.retry_at || now < self.held_until {
            return Ok(());
        }
        let pending: Vec<_> = self.ledger.pending().into_iter().cloned().collect();
        for r in pending {
            if self.held_dims.get(&r.dimension).is_some_and(|t| now < *t) {
                continue;
            }
            let outcome = self
                .meter
                .send(&self.identity.product_code, &r, false)
                .await;
            match outcome {
                Outcome::Accepted(id) => self.sent(now, &r, id)?,
                Outcome::Duplicate(words) => {
                    tracing::warn!(
                        "the Metering Service already holds a record of {} for the hour {} ({words}); counted as sent",
                        r.dimension,
                        hour_text(r.hour)
                    );
                    self.sent(now, &r, String::new())?;
                }
                Outcome::DryRunOk => {}
                Outcome::Retry(words) => {
                    self.failures += 1;
                    let wait =
                        (FIRST_RETRY_SECS << (self.failures - 1).min(10)).min(MAX_RETRY_SECS);
                    self.retry_at = now + wait;
                    if self.failures == 1 || self.failures.is_multiple_of(10) {
                        tracing::warn!(
                            "cannot deliver usage yet ({words}); {} record(s) wait in the journal, next try in {wait} s (attempt {})",
                            self.ledger.counts().0,
                            self.failures
                        );
                    }
                    return Ok(());
                }
                Outcome::TooLate(words) => {
                    if now >= timestamp_of(r.hour) + WINDOW_SECS - 15 * 60 {
                        tracing::error!(
                            "usage of {} for the hour {} (quantity {}) was refused as too late ({words}); kept in the journal",
                            r.dimension,
                            hour_text(r.hour),
                            r.quantity
                        );
                        self.record(vec![Event::Expired {
                            hour: r.hour,
                            dimension: r.dimension.clone(),
                            reason: words,
                        }])?;
                    } else {
                        self.hold(now, Scope::Agent, "TimestampOutOfBounds", &format!(
                            "the Metering Service finds the hour {} out of bounds although it is recent ({words}); check the instance's clock (chrony/NTP)",
                            hour_text(r.hour)
                        ), &r.dimension);
                        return Ok(());
                    }
                }
                Outcome::Refused { scope, code, words } => {
                    self.hold(now, scope, &code, &words, &r.dimension);
                    if scope == Scope::Agent {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// A record got through: its holds and the refusals reported for its dimension end.
    fn sent(&mut self, now: i64, r: &Record, id: String) -> Result<(), String> {
        let before = self.reported.len();
        let suffix = format!("/{}", r.dimension);
        self.reported
            .retain(|k| k.contains('/') && !k.ends_with(&suffix));
        if self.failures > 0 || self.reported.len() < before {
            tracing::info!("the Metering Service accepts records again");
        }
        self.failures = 0;
        self.held_dims.remove(&r.dimension);
        self.last_sent_at = now;
        self.record(vec![Event::Sent {
            hour: r.hour,
            dimension: r.dimension.clone(),
            id,
        }])
    }

    fn hold(&mut self, now: i64, scope: Scope, code: &str, words: &str, dimension: &str) {
        // Said once per refusal: agent-wide ones by their code alone, others per dimension.
        let key = match scope {
            Scope::Agent => code.to_owned(),
            Scope::Dimension => format!("{code}/{dimension}"),
        };
        if self.reported.insert(key) {
            tracing::error!(
                "usage cannot be reported: {words}. Records stay in the journal; the agent tries again in {} minutes",
                HOLD_SECS / 60
            );
        }
        match scope {
            Scope::Agent => self.held_until = now + HOLD_SECS,
            Scope::Dimension => {
                self.held_dims.insert(dimension.to_owned(), now + HOLD_SECS);
            }
        }
    }

    fn write_metrics(&mut self, now: i64) {
        let (pending, sent, expired) = self.ledger.counts();
        let oldest = self
            .ledger
            .pending_iter()
            .map(|r| r.hour)
            .min()
            .map_or(0, |h| (now - timestamp_of(h)).max(0));
        let text = format!(
            "# HELP amipub_meter_records Usage records in the journal, by delivery status.\n\
             # TYPE amipub_meter_records gauge\n\
             amipub_meter_records{{status=\"pending\"}} {pending}\n\
             amipub_meter_records{{status=\"sent\"}} {sent}\n\
             amipub_meter_records{{status=\"expired\"}} {expired}\n\
             # HELP amipub_meter_oldest_pending_age_seconds Age of the oldest undelivered record.\n\
             # TYPE amipub_meter_oldest_pending_age_seconds gauge\n\
             amipub_meter_oldest_pending_age_seconds {oldest}\n\
             # HELP amipub_meter_last_sent_timestamp_seconds When a record was last accepted.\n\
             # TYPE amipub_meter_last_sent_timestamp_seconds gauge\n\
             amipub_meter_last_sent_timestamp_seconds {}\n\
             # HELP amipub_meter_sample_errors_total Source reads that failed.\n\
             # TYPE amipub_meter_sample_errors_total counter\n\
             amipub_meter_sample_errors_total {}\n",
            self.last_sent_at, self.sample_errors
        );
        if text == self.metrics {
            return;
        }
        let tmp = self.metrics_path.with_extension("prom.tmp");
        if std::fs::write(&tmp, &text).is_ok() && std::fs::rename(&tmp, &self.metrics_path).is_ok()
        {
            self.metrics = text;
        }
    }
}
