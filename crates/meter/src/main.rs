//! `amipub-meter`: the metering agent for paid AMI products. Runs on the buyer's instance,
//! measures each pricing dimension from local sources, writes every hour to a durable journal and
//! reports it with MeterUsage. `check` explains what would stop reporting; `status` shows the
//! journal.

mod agent;
mod check;
mod clock;
mod config;
mod explain;
mod http;
mod imds;
mod journal;
mod ledger;
mod metering;
mod sources;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::Config;

/// Where the configuration is read from by default.
const DEFAULT_CONFIG: &str = "/etc/amipub-meter/config.toml";

const USAGE: &str = "amipub-meter — reports the usage of a paid AWS Marketplace AMI every hour

usage:
  amipub-meter [run] [--config PATH]        measure and report until stopped (SIGTERM)
  amipub-meter check [--config PATH]        explain anything that would stop reporting (DryRun)
  amipub-meter status [--config PATH] [--json] [--all]
                                            show the journal: hours, quantities, delivery
  amipub-meter --version

The configuration defaults to /etc/amipub-meter/config.toml (see dist/amipub-meter.toml).
Exit codes: 0 done, 1 a problem to fix (said on stderr), 2 wrong usage or configuration.";

struct Args {
    command: String,
    config: PathBuf,
    json: bool,
    all: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        command: "run".into(),
        config: PathBuf::from(DEFAULT_CONFIG),
        json: false,
        all: false,
    };
    let mut it = std::env::args().skip(1);
    let mut first = true;
    while let Some(a) = it.next() {
        match a.as_str() {
            "run" | "check" | "status" if first => args.command = a,
            "--config" | "-c" => {
                args.config = it
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--config needs a path")?;
            }
            "--json" => args.json = true,
            "--all" => args.all = true,
            "--help" | "-h" | "help" => args.command = "help".into(),
            "--version" | "-V" => args.command = "version".into(),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; see amipub-meter --help"
                ));
            }
        }
        first = false;
    }
    Ok(args)
}

fn main() -> ExitCode {
    // One line per event on standard error (journald adds the unit and the time); AMIPUB_LOG
    // changes the level.
    amipub_telemetry::init(amipub_telemetry::LogFormat::Text, "warn,amipub=info");
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("amipub-meter: {e}");
            return ExitCode::from(2);
        }
    };
    match args.command.as_str() {
        "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        "version" => {
            println!("amipub-meter {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("amipub-meter: {e}");
            return ExitCode::from(2);
        }
    };
    if args.command == "status" {
        return status::show(&config, args.json, args.all);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("amipub-meter: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match args.command.as_str() {
            "check" => Ok(check::run(&config).await),
            _ => run(config).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{}", &e);
            ExitCode::from(1)
        }
    }
}

/// Everything the agent needs that only the instance can say.
pub(crate) struct Setup {
    pub imds: imds::Imds,
    pub identity: ledger::Identity,
}

/// Finds the instance, its Region and the product code (config overrides win).
pub(crate) async fn discover(config: &Config) -> Result<Setup, String> {
    let imds = imds::Imds::new(&config.agent.imds_endpoint);
    let instance = imds.instance().await?;
    let product_code = match (
        &config.agent.product_code,
        instance.product_codes.as_slice(),
    ) {
        (Some(c), _) => c.clone(),
        (None, [one]) => one.clone(),
        (None, []) => {
            return Err(format!(
                "instance {} has no Marketplace product code: it was not launched from a Marketplace AMI (set agent.product_code only for testing)",
                instance.id
            ));
        }
        (None, many) => {
            return Err(format!(
                "instance {} has several product codes ({}); set agent.product_code to the one to meter",
                instance.id,
                many.join(", ")
            ));
        }
    };
    Ok(Setup {
        imds,
        identity: ledger::Identity {
            instance_id: instance.id,
            product_code,
            region: config.agent.region.clone().unwrap_or(instance.region),
        },
    })
}

async fn run(config: Config) -> Result<ExitCode, String> {
    let series = config.series()?;
    let clock = clock::from_config(
        config.agent.clock,
        config.agent.metering_endpoint.as_deref(),
    )?;
    // The metadata service may not answer in the first seconds after boot.
    let mut tries = 0;
    let setup = loop {
        match discover(&config).await {
            Ok(s) => break s,
            Err(e) if tries < 12 => {
                tries += 1;
                tracing::warn!("{e}; trying again in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) => return Err(e),
        }
    };
    let dir = &config.agent.state_dir;
    let (mut journal, mut replay) = journal::Journal::open(dir)?;
    for w in &replay.warnings {
        tracing::warn!("{}", w);
    }
    if let Some(old) = replay.ledger.identity.clone()
        && old.instance_id != setup.identity.instance_id
    {
        // A journal baked into an image belongs to the instance it was made on.
        tracing::warn!(
            "the journal in {} belongs to instance {}; starting a new one for {} (the old one is kept as journal.{}.jsonl)",
            dir.display(),
            old.instance_id,
            setup.identity.instance_id,
            old.instance_id
        );
        drop(journal);
        std::fs::rename(
            journal::path_in(dir),
            dir.join(format!("journal.{}.jsonl", old.instance_id)),
        )
        .map_err(|e| format!("cannot set the old journal aside: {e}"))?;
        (journal, replay) = journal::Journal::open(dir)?;
    }
    let ledger = replay.ledger;
    let meter = metering::Sdk::new(
        &setup.identity.region,
        config.agent.metering_endpoint.as_deref(),
        setup.imds,
        config.agent.clock == config::ClockSource::Sandbox,
    );
    let agent = agent::Agent::new(
        series,
        config.agent.sample_seconds as i64,
        setup.identity,
        journal,
        ledger,
        meter,
        clock,
        dir.join("metrics.prom"),
    );
    agent.run(shutdown()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
