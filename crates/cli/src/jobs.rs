//! Asking for a lifecycle job and following it: the job is recorded in the store (or, when the
//! same kind of job for the product is already in flight, that one is followed), then moved by
//! this process until it ends, with a line per step on stderr. `--detach` returns once it is
//! recorded; Ctrl-C leaves it in the store, where `amipub serve` (or the same command again)
//! carries it on. The end is said as the job recorded it.

use std::time::Duration;

use amipub_domain::job::{Job, JobRequest, JobState};
use amipub_domain::release::FailureKind;
use amipub_engine::ports::TimelineEntry;
use anyhow::Context;

use crate::Outcome;
use crate::listing::Lifecycle;

/// How a followed job ended, for the command's exit code.
pub struct Ended {
    /// The job as stored at the end.
    pub job: Job,
    /// Ctrl-C (or `--detach`): the job goes on without this process.
    pub left: bool,
    /// `--detach`: leaving was asked for.
    pub detached: bool,
}

impl Ended {
    /// The exit code: 0 done, 2 refused (the input or the listing's state is wrong), 1
    /// otherwise; `kept:` lines of a done job (Regions left alone) make it 1 too.
    pub fn outcome(&self) -> Outcome {
        match (self.left, self.job.state, &self.job.failure) {
            (true, _, _) if self.detached => Outcome::Ok,
            (true, _, _) => Outcome::Interrupted,
            (false, JobState::Done, _) if self.kept().next().is_some() => Outcome::Failed,
            (false, JobState::Done, _) => Outcome::Ok,
            (false, JobState::Failed, Some(f))
                if f.step == JobState::Queued && f.kind == FailureKind::InvalidInput =>
            {
                Outcome::Invalid
            }
            _ => Outcome::Failed,
        }
    }

    fn kept(&self) -> impl Iterator<Item = &str> {
        self.job
            .outcome
            .iter()
            .filter_map(|l| l.strip_prefix("kept: "))
    }

    /// Prints the end: the outcome on stdout (Regions left alone on stderr), or the failure
    /// with its fix.
    pub fn print(&self) {
        let j = &self.job;
        if self.left {
            if self.detached {
                // The id alone on stdout, for scripts.
                println!("{}", j.id);
            }
            eprintln!(
                "{}: job {} goes on without this command (`amipub show {}` says where it stands; amipub serve, or the same command again, carries it on)",
                j.request.product, j.id, j.id
            );
            return;
        }
        match (j.state, &j.failure) {
            (JobState::Done, _) => {
                for line in j.outcome.iter().filter(|l| !l.starts_with("kept: ")) {
                    println!("{line}");
                }
                let kept: Vec<&str> = self.kept().collect();
                if !kept.is_empty() {
                    eprintln!("left unchanged (never pointed at an image buyers cannot launch):");
                    for k in kept {
                        eprintln!("  {k}");
                    }
                }
            }
            (JobState::Failed, Some(f)) if matches!(self.outcome(), Outcome::Invalid) => {
                eprintln!("refused: {}", f.detail);
                eprintln!("fix:     {}", f.remedy);
            }
            (JobState::Failed, Some(f)) => {
                println!("{} job {} failed", j.kind().label(), j.id);
                println!("  step:   {}", f.step.name());
                println!("  why:    {} — {}", f.kind.label(), f.detail);
                println!("  fix:    {}", f.remedy);
                println!("  then:   amipub retry {}", j.id);
            }
            _ => println!("{} job {} is {}", j.kind().label(), j.id, j.state.name()),
        }
    }
}

/// Records the job `request` asks for (or finds the one in flight) and follows it to its end,
/// unless `detach`.
pub async fn ask(lc: &Lifecycle, mut request: JobRequest, detach: bool) -> anyhow::Result<Ended> {
    request
        .args
        .entry("by".to_owned())
        .or_insert_with(crate::cmd::login);
    let kind = request.kind.label();
    let product = request.product.clone();
    let id = match lc.store.active_job(kind, &product).await? {
        Some(j) => {
            eprintln!(
                "{product}: a {kind} job is already in flight ({}, {}): following it",
                j.id,
                j.state.name()
            );
            j.id
        }
        None => {
            let (now, _) = lc.clock.now().await?;
            let job = Job::new(request, now);
            lc.engine.record_job(&job, now).await?;
            eprintln!("{product}: {kind} job {}", job.id);
            job.id
        }
    };
    if detach {
        let job = stored(lc, &id).await?;
        return Ok(Ended {
            job,
            left: true,
            detached: true,
        });
    }
    follow(lc, &id).await
}

async fn stored(lc: &Lifecycle, id: &str) -> anyhow::Result<Job> {
    lc.store
        .find_jobs(id)
        .await?
        .into_iter()
        .find(|j| j.id == id)
        .with_context(|| format!("job {id} vanished from the store"))
}

/// Moves job `id` until it ends (or Ctrl-C), with a line per timeline entry.
pub async fn follow(lc: &Lifecycle, id: &str) -> anyhow::Result<Ended> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut shown = 0usize;
    let mut notes_said = false;
    loop {
        let (now, scale) = lc.clock.now().await?;
        let moved = lc.engine.step_job(id, now).await;
        if let Err(e) = &moved {
            eprintln!("  will try again: {e}");
        }
        let job = stored(lc, id).await?;
        let timeline = lc.store.job_timeline(id).await?;
        for e in timeline.iter().skip(shown) {
            say(e);
        }
        shown = timeline.len();
        // The notes come with the plan: said once, when the job has left the queue.
        if !notes_said && job.state != JobState::Queued {
            for n in &job.notes {
                eprintln!("note: {n}");
            }
            notes_said = true;
        }
        if job.state.is_terminal() {
            // What the job announced: printed here without a bus; with one, `serve` sends it.
            if lc.settings.bus.is_none() {
                let files = crate::outbox::FeedFiles::of(&lc.settings);
                // The job is done whatever happens here: what is not printed stays queued.
                if let Err(e) = crate::outbox::deliver(&lc.store, &files).await {
                    eprintln!("warning: announcements not all printed ({e:#}); they stay queued");
                }
            }
            return Ok(Ended {
                job,
                left: false,
                detached: false,
            });
        }
        let wait = match moved {
            Err(_) => Duration::from_secs(1),
            Ok(_) => crate::clock::wait(&lc.clock, now, scale, job.next_check_at),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut ctrl_c => {
                return Ok(Ended {
                    job,
                    left: true,
                    detached: false,
                });
            }
        }
    }
}

/// One timeline entry as a line of progress.
fn say(e: &TimelineEntry) {
    match e.event.as_str() {
        "started" => eprintln!("  change set {} started", e.detail),
        "locked" => eprintln!("  waiting: the product is held by {}", strip(&e.detail)),
        "succeeded" => eprintln!("  change set succeeded"),
        "still_running" => {}
        "call_failed" if e.to != "failed" => eprintln!("  will try again: {}", e.detail),
        _ if e.from != e.to => eprintln!("  {} → {} ({})", e.from, e.to, e.event),
        _ => {}
    }
}

fn strip(detail: &str) -> &str {
    detail.strip_prefix("waiting for ").unwrap_or(detail)
}
