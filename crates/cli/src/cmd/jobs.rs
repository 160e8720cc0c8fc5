//! The release commands for lifecycle jobs (ids `j-…`): a table of jobs under `status`, one job
//! with its timeline under `show`, `retry` of a failed job from its failed step and `cancel`
//! (which also cancels the job's running change set).

use amipub_domain::job::{Job, JobEvent, JobState};
use amipub_store::SqlStore;
use anyhow::bail;
use serde_json::json;

use super::block_on;
use super::timeline::{ReleaseArgs, print_failure, print_timeline, timeline_json};
use crate::Outcome;
use crate::listing::Lifecycle;

/// The jobs as a table (nothing when there are none).
pub fn print_table(jobs: &[Job]) {
    if jobs.is_empty() {
        return;
    }
    println!();
    println!(
        "{:<15} {:<11} {:<28} {:<11}  DETAIL",
        "JOB", "KIND", "PRODUCT", "STATE"
    );
    for j in jobs {
        let detail = j
            .failure
            .as_ref()
            .map(|f| format!("{}: {}", f.kind.label(), f.detail))
            .or_else(|| j.blocked_by.as_ref().map(|b| format!("waiting for {b}")))
            .or_else(|| j.change_set.as_ref().map(|c| format!("following {c}")))
            .or_else(|| j.outcome.last().map(|l| l.trim().to_owned()))
            .unwrap_or_default();
        println!(
            "{:<15} {:<11} {:<28} {:<11}  {}",
            j.id,
            j.kind().label(),
            j.request.product,
            j.state.name(),
            detail.chars().take(80).collect::<String>()
        );
    }
}

/// One job by id or unique prefix.
async fn find(store: &SqlStore, id: &str) -> anyhow::Result<Job> {
    let found = store.find_jobs(id).await?;
    if let Some(exact) = found.iter().find(|j| j.id == id) {
        return Ok(exact.clone());
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no job {id:?}; `amipub status` lists them"),
        many => bail!("{id:?} matches {} jobs; give more of the id", many.len()),
    }
}

/// `amipub show j-…`.
pub async fn show(store: &SqlStore, id: &str, as_json: bool) -> anyhow::Result<Outcome> {
    let j = find(store, id).await?;
    let timeline = store.job_timeline(&j.id).await?;
    if as_json {
        let t = timeline_json(&timeline);
        let doc = json!({ "job": j, "timeline": t });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::Ok);
    }
    println!("job       {}", j.id);
    println!("kind      {}", j.kind().label());
    println!("product   {}", j.request.product);
    println!("state     {}", j.state.name());
    println!(
        "plan      {} change set(s), {} done",
        j.plan.len(),
        j.done_change_sets.len()
    );
    if let Some(c) = &j.change_set {
        println!("change    {c}");
    }
    if let Some(b) = &j.blocked_by {
        println!("waiting   for {b}");
    }
    if let Some(f) = &j.failure {
        print_failure(f.step.name(), f.kind, &f.detail, &f.remedy);
    }
    for line in &j.outcome {
        println!("outcome   {line}");
    }
    println!();
    print_timeline(&timeline);
    Ok(Outcome::Ok)
}

/// `amipub retry j-…`.
pub fn retry(args: ReleaseArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        let j = find(&lc.store, &args.release).await?;
        let id = j.id.clone();
        match j.state {
            JobState::Failed => {
                let (now, _) = lc.clock.now().await?;
                let after = lc
                    .engine
                    .request_job(j, JobEvent::RetryRequested { by: super::login() }, now)
                    .await?;
                eprintln!("Retrying job {} from {}", after.id, after.state.name());
            }
            s if s.is_terminal() => {
                bail!("job {} is {}; only failed jobs are retried", j.id, s.name())
            }
            s => eprintln!(
                "Job {} is still running ({}); following it.",
                j.id,
                s.name()
            ),
        }
        if args.no_wait {
            return Ok(Outcome::Ok);
        }
        let ended = crate::jobs::follow(&lc, &id).await?;
        ended.print();
        Ok(ended.outcome())
    })
}

/// `amipub cancel j-…`.
pub fn cancel(args: ReleaseArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        let j = find(&lc.store, &args.release).await?;
        if j.state.is_terminal() && j.state != JobState::Failed {
            bail!("job {} is {} already", j.id, j.state.name());
        }
        let (now, _) = lc.clock.now().await?;
        let after = lc
            .engine
            .request_job(j, JobEvent::CancelRequested { by: super::login() }, now)
            .await?;
        println!("Job {} is {}", after.id, after.state.name());
        Ok(Outcome::Ok)
    })
}
