//! In-memory ports: a store that keeps releases, timelines, the outbox and lifecycle jobs in maps,
//! for tests and for running the engine without a database.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::job::{Job, JobState};
use amipub_domain::release::{FailureKind, Release, State};

use crate::lifecycle_ports::{Created, Jobs};
use crate::ports::{Announcement, Forms, PortError, PortResult, Store, TimelineEntry, lease_free};

#[derive(Debug, Default)]
struct Inner {
    releases: BTreeMap<String, Release>,
    leases: BTreeMap<String, (String, i64)>,
    timeline: BTreeMap<String, Vec<TimelineEntry>>,
    outbox: Vec<Announcement>,
    forms: BTreeMap<String, (String, Vec<u8>)>,
    wakes: BTreeMap<String, i64>,
}

/// A store in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    jobs: Mutex<JobsInner>,
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
        announcements: &[Announcement],
    ) -> PortResult<()> {
        let mut g = self.lock();
        let held = g.leases.get(release.id.as_str()).map(|(w, _)| w.as_str());
        let stored = g.releases.contains_key(release.id.as_str());
        fence("release", &release.id, stored, held, holder)?;
        g.releases.insert(release.id.to_string(), release.clone());
        g.timeline
            .entry(release.id.to_string())
            .or_default()
            .extend(timeline.iter().cloned());
        for a in announcements {
            if !g.outbox.iter().any(|x| x.id == a.id) {
                g.outbox.push(a.clone());
            }
        }
        Ok(())
    }
}

impl Forms for MemoryStore {
    async fn save_form(&self, release: &str, name: &str, workbook: &[u8]) -> PortResult<()> {
        let form = (name.to_owned(), workbook.to_vec());
        self.lock().forms.insert(release.to_owned(), form);
        Ok(())
    }

    async fn form(&self, release: &str) -> PortResult<Option<(String, Vec<u8>)>> {
        Ok(self.lock().forms.get(release).cloned())
    }

    async fn last_share_list(
        &self,
        product: &str,
        except: &str,
    ) -> PortResult<Option<Vec<String>>> {
        let all = self.lock();
        let mut earlier: Vec<&Release> = all
            .releases
            .values()
            .filter(|r| r.product == product && r.id.as_str() != except)
            .collect();
        earlier.sort_by_key(|r| std::cmp::Reverse(r.entered_at));
        Ok(crate::second_party::latest_share_list(earlier))
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
                let lease = g.leases.get(r.id.as_str());
                lease_free(lease.map(|l| l.0.as_str()), lease.map(|l| l.1), worker, now)
            })
            .take(limit)
            .cloned()
            .collect();
        for r in &due {
            g.leases
                .insert(r.id.to_string(), (worker.to_owned(), now + lease_secs));
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
        announcements: &[Announcement],
    ) -> PortResult<()> {
        // No clock here: any lease counts as held until it is given back.
        self.write(None, release, timeline, announcements)
    }

    async fn save_as(
        &self,
        worker: &str,
        release: &Release,
        timeline: &[TimelineEntry],
        announcements: &[Announcement],
    ) -> PortResult<()> {
        self.write(Some(worker), release, timeline, announcements)
    }
    async fn release_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        let mut g = self.lock();
        if g.leases.get(id).is_some_and(|(w, _)| w == worker) {
            g.leases.remove(id);
        }
        Ok(())
    }

    async fn add_wake(&self, key: &str, now: i64) -> PortResult<()> {
        self.lock().wakes.entry(key.to_owned()).or_insert(now);
        Ok(())
    }

    async fn apply_wakes(&self, now: i64) -> PortResult<usize> {
        let mut g = self.lock();
        let mut jobs = self.jobs_lock();
        let keys: Vec<String> = g.wakes.keys().cloned().collect();
        let mut woken = 0;
        for key in keys {
            let g = &mut *g;
            let releases = g
                .releases
                .values_mut()
                .filter(|r| !r.state.is_terminal() && r.waits_on() == Some(key.as_str()));
            let held = |id: &str, leases: &BTreeMap<String, (String, i64)>| {
                leases.get(id).is_some_and(|(_, until)| *until > now)
            };
            let mut busy = false;
            for r in releases {
                if held(r.id.as_str(), &g.leases) {
                    busy = true;
                } else if r.next_check_at.is_some_and(|t| t > now) {
                    r.next_check_at = Some(now);
                    woken += 1;
                }
            }
            let jobs = &mut *jobs;
            for j in jobs
                .jobs
                .values_mut()
                .filter(|j| !j.state.is_terminal() && j.waits_on() == Some(key.as_str()))
            {
                if held(&j.id, &jobs.leases) {
                    busy = true;
                } else if j.next_check_at.is_some_and(|t| t > now) {
                    j.next_check_at = Some(now);
                    woken += 1;
                }
            }
            if !busy {
                g.wakes.remove(&key);
            }
        }
        Ok(woken)
    }

    async fn recent_done(&self, product: &str, n: usize) -> PortResult<Vec<Release>> {
        let g = self.lock();
        let mut done: Vec<Release> = g
            .releases
            .values()
            .filter(|r| r.product == product && r.state == State::Done)
            .cloned()
            .collect();
        done.sort_by_key(|r| std::cmp::Reverse(r.entered_at));
        done.truncate(n);
        Ok(done)
    }

    async fn product_busy(&self, product: &str, except: &str) -> PortResult<Option<String>> {
        let release = self
            .lock()
            .releases
            .values()
            .find(|r| r.product == product && r.id != except && r.state == State::Scanning)
            .map(|r| r.id.to_string());
        Ok(release.or_else(|| {
            self.jobs_lock()
                .jobs
                .values()
                .find(|j| {
                    j.request.product == product
                        && j.id != except
                        && matches!(j.state, JobState::Submitting | JobState::Following)
                })
                .map(|j| j.id.clone())
        }))
    }
}

/// Jobs in memory, leased like releases (by the engine's `now`).
#[derive(Debug, Default)]
struct JobsInner {
    jobs: BTreeMap<String, Job>,
    leases: BTreeMap<String, (String, i64)>,
    timeline: BTreeMap<String, Vec<TimelineEntry>>,
    ids: BTreeMap<String, (Created, Option<String>)>,
}

impl MemoryStore {
    fn jobs_lock(&self) -> std::sync::MutexGuard<'_, JobsInner> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stored job.
    pub fn job(&self, id: &str) -> Option<Job> {
        self.jobs_lock().jobs.get(id).cloned()
    }

    /// A job's timeline.
    pub fn job_timeline(&self, id: &str) -> Vec<TimelineEntry> {
        self.jobs_lock()
            .timeline
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// The ids recorded for a product: (what was created, its product code).
    pub fn ids(&self, product: &str) -> Option<(Created, Option<String>)> {
        self.jobs_lock().ids.get(product).cloned()
    }

    fn write_job(
        &self,
        holder: Option<&str>,
        job: &Job,
        timeline: &[TimelineEntry],
    ) -> PortResult<()> {
        let mut g = self.jobs_lock();
        let held = g.leases.get(&job.id).map(|(w, _)| w.as_str());
        fence("job", &job.id, g.jobs.contains_key(&job.id), held, holder)?;
        g.jobs.insert(job.id.clone(), job.clone());
        g.timeline
            .entry(job.id.clone())
            .or_default()
            .extend(timeline.iter().cloned());
        Ok(())
    }

    fn take_job(&self, id: &str, now: i64, worker: &str, lease_secs: i64) -> Option<Job> {
        let mut g = self.jobs_lock();
        let j = g.jobs.get(id).filter(|j| !j.state.is_terminal()).cloned()?;
        let lease = g.leases.get(id);
        if !lease_free(lease.map(|l| l.0.as_str()), lease.map(|l| l.1), worker, now) {
            return None;
        }
        g.leases
            .insert(id.to_owned(), (worker.to_owned(), now + lease_secs));
        Some(j)
    }
}

impl Jobs for MemoryStore {
    async fn record_job(&self, job: &Job, entry: &TimelineEntry) -> PortResult<()> {
        if self.jobs_lock().jobs.contains_key(&job.id) {
            return Ok(());
        }
        self.write_job(None, job, std::slice::from_ref(entry))
    }

    async fn claim_due_jobs(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> PortResult<Vec<Job>> {
        let ids: Vec<String> = self
            .jobs_lock()
            .jobs
            .values()
            .filter(|j| !j.state.is_terminal() && j.due(now))
            .map(|j| j.id.clone())
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| self.take_job(id, now, worker, lease_secs))
            .take(limit)
            .collect())
    }

    async fn claim_job(
        &self,
        id: &str,
        now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> PortResult<Option<Job>> {
        Ok(self.take_job(id, now, worker, lease_secs))
    }

    async fn save_job(&self, job: &Job, timeline: &[TimelineEntry]) -> PortResult<()> {
        self.write_job(None, job, timeline)
    }

    async fn save_job_as(
        &self,
        worker: &str,
        job: &Job,
        timeline: &[TimelineEntry],
    ) -> PortResult<()> {
        self.write_job(Some(worker), job, timeline)
    }

    async fn release_job_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        let mut g = self.jobs_lock();
        if g.leases.get(id).is_some_and(|(w, _)| w == worker) {
            g.leases.remove(id);
        }
        Ok(())
    }

    async fn in_flight_mirrors(&self, product: &str) -> PortResult<Vec<String>> {
        Ok(self
            .all()
            .into_iter()
            .filter(|r| r.product == product && !r.state.is_terminal())
            .filter_map(|r| r.mirror_ami)
            .collect())
    }

    async fn done_release(&self, product: &str, version: &str) -> PortResult<Option<Release>> {
        Ok(self
            .all()
            .into_iter()
            .find(|r| r.product == product && r.version == version && r.state == State::Done))
    }

    async fn announce(&self, _release_id: &str, a: &Announcement, _now: i64) -> PortResult<()> {
        let mut g = self.lock();
        if !g.outbox.iter().any(|x| x.id == a.id) {
            g.outbox.push(a.clone());
        }
        Ok(())
    }

    async fn record_ids(
        &self,
        product: &str,
        _spec: &str,
        created: &Created,
        product_code: Option<&str>,
    ) -> PortResult<()> {
        self.jobs_lock().ids.insert(
            product.to_owned(),
            (created.clone(), product_code.map(str::to_owned)),
        );
        Ok(())
    }
}

/// The lease fence of both tables: a stored row is replaced only by the worker holding it (or,
/// with `holder` None, while nobody does).
fn fence(
    noun: &str,
    id: &str,
    stored: bool,
    held: Option<&str>,
    holder: Option<&str>,
) -> PortResult<()> {
    if stored && held != holder {
        return Err(PortError::new(
            FailureKind::ServerFault,
            format!(
                "{noun} {id} is held by {}: nothing was written",
                held.unwrap_or("nobody")
            ),
        ));
    }
    Ok(())
}
