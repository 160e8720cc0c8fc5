//! The loop of lifecycle jobs, as for releases: claim what is due, move each job as far as it
//! goes now (tick, run the commands, feed the results back), store every transition fenced by the
//! lease, give the lease back. A job that waits keeps its `next_check_at`; nothing sleeps.

use amipub_domain::job::{Job, JobCommand, JobEvent, JobState, decide};
use amipub_domain::release::FailureKind;
use futures_util::StreamExt;
use tracing::Instrument;

use crate::engine::{CLAIM_LIMIT, CONCURRENCY, Engine};
use crate::job_execute::execute_job;
use crate::lifecycle_ports::{Jobs, LifecyclePorts};
use crate::ports::{PortError, PortResult, Store, TimelineEntry, lock_holder};
use crate::report::command_span;

/// Most transitions one job makes in one step (a guard against a loop of events).
const MAX_TRANSITIONS_PER_STEP: usize = 32;

impl<P: LifecyclePorts> Engine<P> {
    /// Records a new job (it is then due at once).
    pub async fn record_job(&self, job: &Job, now: i64) -> PortResult<()> {
        let entry = TimelineEntry {
            at: now,
            event: "asked".into(),
            from: "-".into(),
            to: job.state.name().into(),
            detail: match job.arg("by") {
                Some(by) => format!("{} of {} by {by}", job.kind().label(), job.request.product),
                None => format!("{} of {}", job.kind().label(), job.request.product),
            },
        };
        self.ports().jobs().record_job(job, &entry).await?;
        crate::report::asked(job);
        Ok(())
    }

    /// Moves every due job, a few at a time; returns how many were looked at.
    pub async fn step_jobs(&self, now: i64) -> PortResult<usize> {
        let woken = self.ports().store().apply_wakes(now).await?;
        amipub_telemetry::events::Woken { count: woken }.emit();
        let jobs = self.ports().jobs();
        let due = jobs
            .claim_due_jobs(now, self.worker(), self.lease_secs(), CLAIM_LIMIT)
            .await?;
        let n = due.len();
        let results: Vec<PortResult<Job>> = futures_util::stream::iter(due)
            .map(|mut j| async move {
                // The store found it due: a wake-up moves only the stored row's time.
                j.next_check_at = j.next_check_at.map(|t| t.min(now));
                let id = j.id.clone();
                let span = span_of(&j);
                let result = self.advance_job(j, now).instrument(span).await;
                let released = jobs.release_job_lease(&id, self.worker()).await;
                released.and(result)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    /// Moves one job if it is due and no other worker holds it; returns it as stored afterwards
    /// (`None`: finished, or held by another worker).
    pub async fn step_job(&self, id: &str, now: i64) -> PortResult<Option<Job>> {
        let jobs = self.ports().jobs();
        let Some(j) = jobs
            .claim_job(id, now, self.worker(), self.lease_secs())
            .await?
        else {
            return Ok(None);
        };
        let result = if j.due(now) {
            let span = span_of(&j);
            self.advance_job(j, now).instrument(span).await
        } else {
            Ok(j)
        };
        jobs.release_job_lease(id, self.worker()).await?;
        result.map(Some)
    }

    /// An operator's request (retry or cancel) on a stored job, with the rules of releases: a
    /// finished job is changed only while nobody holds it, one in flight is claimed first (and
    /// the request refused while a worker is in the middle of it).
    pub async fn request_job(&self, job: Job, event: JobEvent, now: i64) -> PortResult<Job> {
        let jobs = self.ports().jobs();
        if job.state.is_terminal() {
            let (next, _) = decide(&job, &event, now);
            self.persist_job(None, &job, &next, &event, now).await?;
            return Ok(self.step_job(&job.id, now).await?.unwrap_or(next));
        }
        let Some(current) = jobs
            .claim_job(&job.id, now, self.worker(), self.lease_secs())
            .await?
        else {
            return Err(PortError::new(
                FailureKind::ServerFault,
                format!(
                    "job {} is being moved by another worker right now (or has just finished); nothing was changed: look at it with amipub show and ask again",
                    job.id
                ),
            ));
        };
        let (next, cmds) = decide(&current, &event, now);
        let result = match self
            .persist_job(Some(self.worker()), &current, &next, &event, now)
            .await
        {
            Ok(()) => {
                let span = span_of(&next);
                self.run_job(next, cmds, now).instrument(span).await
            }
            Err(e) => Err(e),
        };
        let released = jobs.release_job_lease(&job.id, self.worker()).await;
        released.and(result)
    }

    async fn advance_job(&self, job: Job, now: i64) -> PortResult<Job> {
        let (next, cmds) = decide(&job, &JobEvent::Tick, now);
        if next != job {
            self.persist_job(Some(self.worker()), &job, &next, &JobEvent::Tick, now)
                .await?;
        }
        self.run_job(next, cmds, now).await
    }

    async fn run_job(&self, mut j: Job, mut queue: Vec<JobCommand>, now: i64) -> PortResult<Job> {
        let mut transitions = 0;
        while let Some(cmd) = queue.pop() {
            transitions += 1;
            if transitions > MAX_TRANSITIONS_PER_STEP {
                break;
            }
            let step = async {
                self.point("before", cmd.name());
                let event = execute_job(self.ports(), &j, &cmd, now).await;
                self.point("after", cmd.name());
                let Some(event) = event else {
                    return Ok(None);
                };
                let (next, more) = decide(&j, &event, now);
                self.persist_job(Some(self.worker()), &j, &next, &event, now)
                    .await?;
                Ok::<_, PortError>(Some((next, more)))
            };
            if let Some((next, more)) = step.instrument(command_span(cmd.name())).await? {
                j = next;
                queue.extend(more);
            }
        }
        Ok(j)
    }

    /// Stores a job's transition: as `holder` (fenced by its lease), or as nobody.
    async fn persist_job(
        &self,
        holder: Option<&str>,
        before: &Job,
        after: &Job,
        event: &JobEvent,
        now: i64,
    ) -> PortResult<()> {
        let entry = TimelineEntry {
            at: now,
            event: event.name().into(),
            from: before.state.name().into(),
            to: after.state.name().into(),
            detail: job_detail(event, after),
        };
        let jobs = self.ports().jobs();
        match holder {
            Some(w) => jobs.save_job_as(w, after, &[entry]).await?,
            None => jobs.save_job(after, &[entry]).await?,
        }
        crate::report::job(before, after, event, None);
        let holds = |j: &Job| matches!(j.state, JobState::Submitting | JobState::Following);
        if holds(before) && !holds(after) {
            // The product's lock is free: whatever queued behind this job goes at once.
            let store = self.ports().store();
            store.add_wake(&lock_holder(&after.id), now).await?;
            if let Some(cs) = &before.change_set {
                store.add_wake(cs, now).await?;
            }
        }
        if after.state != before.state {
            self.point("saved", &format!("job_{}", after.state.name()));
        }
        Ok(())
    }
}

/// The span of work on one job.
fn span_of(j: &Job) -> tracing::Span {
    tracing::info_span!("job", id = %j.id, kind = j.kind().label(), product = %j.request.product)
}

fn job_detail(event: &JobEvent, j: &Job) -> String {
    match event {
        JobEvent::Planned { change_sets, .. } => format!("{} change set(s)", change_sets.len()),
        JobEvent::Started { id } => id.clone(),
        JobEvent::Locked { holder } => format!("waiting for {holder}"),
        JobEvent::CallFailed { kind, detail } => format!("{}: {detail}", kind.label()),
        JobEvent::ChangeSetFailed { errors } => errors
            .iter()
            .map(|(c, m)| format!("{c}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        JobEvent::Refused { detail, .. } => detail.clone(),
        JobEvent::Finished { lines } => lines.join("; "),
        JobEvent::CancelRequested { by } | JobEvent::RetryRequested { by } => format!("by {by}"),
        _ => j
            .failure
            .as_ref()
            .map(|f| f.detail.clone())
            .unwrap_or_default(),
    }
}
