//! In-memory ports: a store that keeps releases, timelines and the outbox in maps, for tests and
//! for running the engine without a database.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::release::{FailureKind, Release, State};

use crate::ports::{Announcement, PortError, PortResult, Store, TimelineEntry, lease_free};

#[derive(Debug, Default)]
struct Inner {
    releases: BTreeMap<String, Release>,
    leases: BTreeMap<String, (String, i64)>,
    timeline: BTreeMap<String, Vec<TimelineEntry>>,
    outbox: Vec<Announcement>,
}

/// A store in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stored release.
    pub fn get(&self, id: &str) -> Option<Release> {
        self.lock().releases.get(id).cloned()
    }

    /// Every stored release.
    pub fn all(&self) -> Vec<Release> {
        self.lock().releases.values().cloned().collect()
    }

    /// A release's timeline.
    pub fn timeline(&self, id: &str) -> Vec<TimelineEntry> {
        self.lock().timeline.get(id).cloned().unwrap_or_default()
    }

    /// The outbox.
    pub fn outbox(&self) -> Vec<Announcement> {
        self.lock().outbox.clone()
    }

    /// Writes when `holder` holds the release's lease (`None`: when nobody does, or it is new).
    fn write(
        &self,
        holder: Option<&str>,
        release: &Release,
        timeline: &[TimelineEntry],
        announcement: Option<&Announcement>,
    ) -> PortResult<()> {
        let mut g = self.lock();
        let held = g.leases.get(&release.id).map(|(w, _)| w.clone());
        if g.releases.contains_key(&release.id) && held.as_deref() != holder {
            return Err(PortError::new(
                FailureKind::ServerFault,
                format!(
                    "release {} is held by {}: nothing was written",
                    release.id,
                    held.as_deref().unwrap_or("nobody")
                ),
            ));
        }
        g.releases.insert(release.id.clone(), release.clone());
        g.timeline
            .entry(release.id.clone())
            .or_default()
            .extend(timeline.iter().cloned());
        if let Some(a) = announcement
            && !g.outbox.iter().any(|x| x.id == a.id)
        {
            g.outbox.push(a.clone());
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    async fn claim_due(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> PortResult<Vec<Release>> {
        let mut g = self.lock();
        let due: Vec<Release> = g
            .releases
            .values()
            .filter(|r| !r.state.is_terminal() && r.next_check_at.is_none_or(|t| t <= now))
            .filter(|r| {
                let lease = g.leases.get(&r.id);
                lease_free(lease.map(|l| l.0.as_str()), lease.map(|l| l.1), worker, now)
            })
            .take(limit)
            .cloned()
            .collect();
        for r in &due {
            g.leases
                .insert(r.id.clone(), (worker.to_owned(), now + lease_secs));
        }
        Ok(due)
    }

    async fn claim(
        &self,
        id: &str,
        now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> PortResult<Option<Release>> {
        let mut g = self.lock();
        let Some(r) = g
            .releases
            .get(id)
            .filter(|r| !r.state.is_terminal())
            .cloned()
        else {
            return Ok(None);
        };
        let lease = g.leases.get(id);
        if !lease_free(lease.map(|l| l.0.as_str()), lease.map(|l| l.1), worker, now) {
            return Ok(None);
        }
        g.leases
            .insert(id.to_owned(), (worker.to_owned(), now + lease_secs));
        Ok(Some(r))
    }

    async fn save(
        &self,
        release: &Release,
        timeline: &[TimelineEntry],
        announcement: Option<&Announcement>,
    ) -> PortResult<()> {
        // No clock here: any lease counts as held until it is given back.
        self.write(None, release, timeline, announcement)
    }

    async fn save_as(
        &self,
        worker: &str,
        release: &Release,
        timeline: &[TimelineEntry],
        announcement: Option<&Announcement>,
    ) -> PortResult<()> {
        self.write(Some(worker), release, timeline, announcement)
    }
    async fn release_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        let mut g = self.lock();
        if g.leases.get(id).is_some_and(|(w, _)| w == worker) {
            g.leases.remove(id);
        }
        Ok(())
    }

    async fn product_busy(&self, product: &str, except: &str) -> PortResult<Option<String>> {
        let g = self.lock();
        Ok(g.releases
            .values()
            .find(|r| r.product == product && r.id != except && r.state == State::Scanning)
            .map(|r| r.id.clone()))
    }
}
