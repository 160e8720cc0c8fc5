//! The release commands that read or steer stored releases: `status` (a table), `show RELEASE`
//! (fields and the timeline with durations and errors), `retry RELEASE` (resume a failed release
//! from its failed step, with fresh idempotency tokens) and `cancel RELEASE`.

use std::path::PathBuf;

use amipub_domain::release::{Event, State};
use serde_json::json;

use super::timeline::{ReleaseArgs, print_failure, print_timeline, timeline_json};
use crate::Outcome;
use crate::cmd::block_on;
use crate::config;
use crate::runtime::{self, Runtime};
use amipub_store::SqlStore;

/// Arguments of `amipub status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// How many releases, newest first.
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

async fn open(config_path: Option<&std::path::Path>) -> anyhow::Result<Option<Runtime>> {
    let Some((settings, _)) = config::load(config_path)? else {
        return Ok(None);
    };
    Ok(Some(Runtime::open(settings, &[]).await?))
}

/// The state database alone: `status` and `show` only read it.
async fn open_store(config_path: Option<&std::path::Path>) -> anyhow::Result<Option<SqlStore>> {
    let Some((settings, _)) = config::load(config_path)? else {
        return Ok(None);
    };
    Ok(Some(runtime::open_store(&settings).await?))
}

/// `amipub status`.
pub fn status(args: StatusArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some(store) = open_store(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        let releases = store.list(args.limit).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&releases)?);
            return Ok(Outcome::Ok);
        }
        let jobs = store.list_jobs(args.limit).await?;
        if releases.is_empty() {
            println!("No releases yet. `amipub publish` or `amipub demo` makes one.");
            super::jobs::print_table(&jobs);
            return Ok(Outcome::Ok);
        }
        println!(
            "{:<15} {:<28} {:<22} {:<19} {:>7}  DETAIL",
            "RELEASE", "PRODUCT", "VERSION", "STATE", "REGIONS"
        );
        for r in releases {
            let detail = r
                .failure
                .as_ref()
                .map(|f| format!("{}: {}", f.kind.label(), f.detail))
                .or_else(|| r.rejection.clone())
                .or_else(|| r.blocked_by.as_ref().map(|b| format!("waiting for {b}")))
                .or_else(|| second_party_detail(&r))
                .unwrap_or_default();
            println!(
                "{:<15} {:<28} {:<22} {:<19} {:>7}  {}",
                r.id,
                r.product,
                r.version,
                r.state.name(),
                format!("{}/{}", r.regions.len(), r.expected_regions.len()),
                detail.chars().take(120).collect::<String>()
            );
        }
        super::jobs::print_table(&jobs);
        Ok(Outcome::Ok)
    })
}

/// `amipub show RELEASE`.
pub fn show(args: ReleaseArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some(store) = open_store(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        if args.release.starts_with("j-") {
            return super::jobs::show(&store, &args.release, args.json).await;
        }
        let r = runtime::find(&store, &args.release).await?;
        let timeline = store.timeline(&r.id).await?;
        if args.json {
            let t = timeline_json(&timeline);
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({ "release": r, "timeline": t }))?
            );
            return Ok(Outcome::Ok);
        }
        println!("release   {}", r.id);
        println!("product   {}  version {}", r.product, r.version);
        println!("source    {} in {}", r.source_ami, r.source_region);
        println!("state     {}", r.state.name());
        if let Some(m) = &r.mirror_ami {
            println!("mirror    {m}");
        }
        if let Some(c) = &r.change_set {
            println!("change    {c}");
        }
        println!("regions   {}/{}", r.regions.len(), r.expected_regions.len());
        if let Some(sp) = &r.second_party {
            let cloned = sp.cloned_count(&r.expected_regions);
            println!("clones    {cloned}/{} Regions", r.expected_regions.len());
            if !sp.shared_with.is_empty() {
                println!("shared    with {}", sp.shared_with.join(", "));
            }
            if let Some(change) = &sp.share_change {
                println!("          {change}");
            }
            if let Some(form) = &sp.form {
                println!("form      {form} (amipub form {} --out DIR)", r.id);
            }
            if let Some(ticket) = &sp.ticket {
                let by = sp.submitted_by.as_deref().unwrap_or("?");
                println!("ticket    {ticket} (recorded by {by})");
            }
        }
        if let Some(f) = &r.failure {
            print_failure(f.step.name(), f.kind, &f.detail, &f.remedy);
        }
        if let Some(why) = &r.rejection {
            println!("rejected  {why}");
        }
        println!();
        print_timeline(&timeline);
        Ok(Outcome::Ok)
    })
}

/// `amipub retry RELEASE`.
pub fn retry(args: ReleaseArgs) -> anyhow::Result<Outcome> {
    if args.release.starts_with("j-") {
        return super::jobs::retry(args);
    }
    block_on(async move {
        let Some(rt) = open(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        let r = rt.find(&args.release).await?;
        if r.state != State::Failed {
            if r.state.is_terminal() {
                anyhow::bail!(
                    "release {} is {}; only failed releases are retried",
                    r.id,
                    r.state.name()
                );
            }
            eprintln!(
                "Release {} is still running ({}); following it.",
                r.id,
                r.state.name()
            );
        } else {
            let (now, _) = rt.clock.now().await?;
            let after = rt
                .engine
                .request(r.clone(), Event::RetryRequested { by: super::login() }, now)
                .await?;
            eprintln!(
                "Retrying release {} from {} (attempt {})",
                after.id,
                after.state.name(),
                after.generation + 1
            );
        }
        if args.no_wait {
            return Ok(Outcome::Ok);
        }
        crate::cmd::publish::finish(&rt, &r.id).await
    })
}

/// `amipub cancel RELEASE`.
pub fn cancel(args: ReleaseArgs) -> anyhow::Result<Outcome> {
    if args.release.starts_with("j-") {
        return super::jobs::cancel(args);
    }
    block_on(async move {
        let Some(rt) = open(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        let r = rt.find(&args.release).await?;
        if r.state.is_terminal() && r.state != State::Failed {
            anyhow::bail!("release {} is {} already", r.id, r.state.name());
        }
        let (now, _) = rt.clock.now().await?;
        let after = rt
            .engine
            .request(r, Event::CancelRequested { by: super::login() }, now)
            .await?;
        println!("Release {} is {}", after.id, after.state.name());
        Ok(Outcome::Ok)
    })
}

/// What a second-party release waits for, in words.
fn second_party_detail(r: &amipub_domain::release::Release) -> Option<String> {
    let sp = r.second_party.as_ref()?;
    let since = chrono::DateTime::from_timestamp(r.entered_at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    Some(match r.state {
        State::Cloning => format!(
            "{} of {} Regions cloned",
            sp.cloned_count(&r.expected_regions),
            r.expected_regions.len()
        ),
        State::AwaitingSubmission => format!(
            "{}form waits since {since}: attach it, then amipub submitted {} --ticket URL",
            if sp.reminded { "REMINDED: " } else { "" },
            r.id
        ),
        State::Submitted => format!(
            "submitted {since} ({}); the Marketplace publishes in about 4 days",
            sp.ticket.as_deref().unwrap_or("no ticket")
        ),
        _ => return None,
    })
}
