//! `amipub catch-up --since 2h`: takes the build messages the bus carried while nobody listened,
//! from datagrepper (`[bus] datagrepper_url`), through the same intake as `serve`. New releases
//! are recorded for the workers (`amipub serve`) to carry; messages already taken are
//! duplicates. Prints a line per page and what the messages came to.

use std::path::PathBuf;

use amipub_domain::messages::datagrepper::DEFAULT_URL;
use amipub_domain::second_party::settings::seconds;
use tokio::sync::Notify;

use crate::Outcome;
use crate::catch_up::catch_up;
use crate::config;
use crate::intake::StoreIntake;
use crate::runtime::Runtime;

/// Arguments of `amipub catch-up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// From when: a time (RFC 3339, `2026-12-04T08:00:00Z`) or how long ago (`2h`, `90m`, `1d`).
    #[arg(long)]
    since: String,
    /// Until when (same forms); default now.
    #[arg(long)]
    until: Option<String>,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(run_async(args))
}

/// An epoch second from RFC 3339 or a duration before `now`.
pub fn when(text: &str, now: i64) -> Result<i64, String> {
    if let Some(ago) = seconds(text) {
        return Ok(now - ago);
    }
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp())
        .map_err(|_| {
            format!(
                "{text:?} is neither a time (2026-12-04T08:00:00Z) nor a duration (2h, 90m, 1d)"
            )
        })
}

async fn run_async(args: Args) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    let now = chrono::Utc::now().timestamp();
    let window = match (
        when(&args.since, now),
        args.until.as_deref().map(|u| when(u, now)),
    ) {
        (Ok(s), None) => (s, now),
        (Ok(s), Some(Ok(u))) if s < u => (s, u),
        (Ok(_), Some(Ok(_))) => {
            eprintln!("error: --since must be before --until");
            return Ok(Outcome::Invalid);
        }
        (Err(e), _) | (_, Some(Err(e))) => {
            eprintln!("error: --since/--until: {e}");
            return Ok(Outcome::Invalid);
        }
    };
    let base = settings
        .bus
        .as_ref()
        .map_or(DEFAULT_URL.to_owned(), |b| b.datagrepper_url.clone());
    let trusted = settings.trust.build_accounts.clone();
    let rt = Runtime::open(settings, &[]).await?;
    let specs = crate::cmd::serve::intake_specs(&rt);
    if specs.is_empty() {
        eprintln!("no product has an [intake] rule with a listing: nothing to catch up");
        return Ok(Outcome::Ok);
    }
    let wake = Notify::new();
    let intake = StoreIntake {
        rt: &rt,
        specs,
        trusted,
        wake: &wake,
    };
    let tally = catch_up(&intake, &base, window, |t, pages| {
        eprintln!("catch-up: page {} of {pages}: {}", t.pages, t.words());
    })
    .await;
    rt.store.close().await;
    let tally = tally?;
    println!("{}", tally.words());
    let accepted = tally.outcomes.get("accepted").copied().unwrap_or(0);
    if accepted > 0 {
        println!(
            "{accepted} message(s) became releases: amipub serve carries them (amipub status lists them)"
        );
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_times_and_durations_and_names_the_forms_otherwise() {
        assert_eq!(when("2h", 10_000), Ok(2_800));
        assert_eq!(when("2026-12-04T08:00:00Z", 0), Ok(1_796_371_200));
        let e = when("yesterday", 0).unwrap_err();
        assert!(e.contains("2h"), "{e}");
    }
}
