//! `amipub bench`: measurements of the release engine against the in-process sandbox, printed,
//! never asserted (`bench_release` measures, `bench_report` words). (a) One release to 30
//! Regions: end-to-end time divided by the sandbox's own critical path. (b) Its calls per
//! service. (c) Many releases over many products at once: makespan against the lower bound set
//! by the product locks, and the run's peak memory; then the same with change-set events lost,
//! doubled and late. (a)–(c) run with change-set events and without, side by side, or as one
//! JSON object for one mode (`--format json`, `--no-events`). (d) One second-party release to
//! every commercial Region up to its load form (`bench_second_party`).
//! `--intake`
//! measures the bus intake instead (`bench_intake`); `--workers 1,2,4 --store postgres://…` the
//! fleet carried by that many `amipub serve` processes on one database (`bench_workers`);
//! `--console` the web console and the API over a store of 10,000 releases (`bench_console`).

use amipub_sandbox::faults::{FaultKind, FaultRule};

use super::bench_release::{FleetShape, fleet, single};
use crate::Outcome;

/// Arguments of `amipub bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Virtual seconds per real second.
    #[arg(long, default_value_t = 1000.0)]
    time_scale: f64,
    /// Virtual seconds per real second in the fleet runs. Every real millisecond the engine
    /// spends (a SQLite commit on disk, a turn of 200 releases on two cores) counts as this many
    /// milliseconds of AWS time; at 250 one is a quarter second, about an AWS API call's latency,
    /// where at 1000 the machine's own latency would be measured instead of the timing policy.
    #[arg(long, default_value_t = 250.0)]
    fleet_time_scale: f64,
    /// Products in the fleet run.
    #[arg(long, default_value_t = 20)]
    products: usize,
    /// Releases in the fleet run (spread evenly over the products).
    #[arg(long, default_value_t = 200)]
    releases: usize,
    /// Regions per product in the fleet run.
    #[arg(long, default_value_t = 8)]
    fleet_regions: usize,
    /// Measure only the web console and the API over a store of --console-releases releases
    /// (SQLite, or a schema of its own in the PostgreSQL database of --store).
    #[arg(long)]
    console: bool,
    /// Releases in the store of the --console run.
    #[arg(long, default_value_t = 10_000)]
    console_releases: usize,
    /// Measure only the bus intake (needs a broker at --bus-url).
    #[arg(long)]
    intake: bool,
    /// Messages in the intake run.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// The broker of the intake run.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2F")]
    bus_url: String,
    /// Run only the fleet, carried by this many `amipub serve` processes each (e.g. 1,2,4),
    /// on the PostgreSQL database of --store.
    #[arg(long, value_delimiter = ',')]
    workers: Vec<usize>,
    /// The PostgreSQL database of a --workers or --console run (the run uses a schema of its
    /// own in it).
    #[arg(long)]
    store: Option<String>,
    /// `human` (the default: with and without events side by side) or `json` (one object for
    /// one mode: events unless --no-events).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Measure only the polling fallback (no change-set events).
    #[arg(long)]
    no_events: bool,
}

/// How `amipub bench` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Words, both modes side by side.
    Human,
    /// One JSON object.
    Json,
}

/// The fault rules of the lossy run: 30% of change-set events lost, 5% delivered twice, 5%
/// delivered five minutes late (overtaken by later ones).
fn lossy_events() -> Vec<FaultRule> {
    // Rules are tried in order, each on the events the ones before let through.
    vec![
        FaultRule::event(FaultKind::DropEvent, "", 0.30, 0.0),
        FaultRule::event(FaultKind::DuplicateEvent, "", 0.05 / 0.70, 0.0),
        FaultRule::event(FaultKind::DelayEvent, "", 0.05 / 0.65, 300.0),
    ]
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<Outcome> {
    if args.console {
        super::bench_console::run(args.console_releases, args.store.as_deref()).await?;
        return Ok(Outcome::Ok);
    }
    if args.intake {
        super::bench_intake::run(args.messages, &args.bus_url).await?;
        return Ok(Outcome::Ok);
    }
    let commercial: Vec<String> = amipub_domain::catalog_data::commercial_regions()
        .map(|r| r.code.clone())
        .collect();
    if !args.workers.is_empty() {
        let Some(store) = &args.store else {
            anyhow::bail!(
                "--workers needs --store postgres://USER@HOST/DB, the database the workers share"
            );
        };
        let regions: Vec<String> = commercial
            .iter()
            .take(args.fleet_regions)
            .cloned()
            .collect();
        let fleet = super::bench_workers::Fleet {
            scale: args.time_scale,
            products: args.products,
            releases: args.releases,
            regions: &regions,
        };
        super::bench_workers::run(&fleet, &args.workers, store).await?;
        return Ok(Outcome::Ok);
    }

    let thirty: Vec<String> = commercial.iter().take(30).cloned().collect();
    let regions: Vec<String> = commercial
        .iter()
        .take(args.fleet_regions)
        .cloned()
        .collect();
    let shape = FleetShape {
        products: args.products,
        releases: args.releases,
        regions: &regions,
    };
    let scale = args.time_scale;
    if args.format == Format::Json {
        let events = !args.no_events;
        let single = single(scale, events, &thirty).await?;
        eprintln!("single release: {}", super::bench_report::phases(&single));
        let fleet = fleet(args.fleet_time_scale, events, Vec::new(), &shape).await?;
        let out = serde_json::json!({ "single": single, "fleet": fleet, "events": events });
        println!("{out}");
        return Ok(Outcome::Ok);
    }
    let modes: &[bool] = if args.no_events {
        &[false]
    } else {
        &[true, false]
    };
    let label = |events: bool| {
        if events {
            "with events"
        } else {
            "polling only"
        }
    };
    for &events in modes {
        let s = single(scale, events, &thirty).await?;
        super::bench_report::single(label(events), &s, scale);
    }
    for &events in modes {
        let f = fleet(args.fleet_time_scale, events, Vec::new(), &shape).await?;
        super::bench_report::fleet(label(events), &f, &shape, args.fleet_time_scale);
    }
    if !args.no_events {
        let f = fleet(args.fleet_time_scale, true, lossy_events(), &shape).await?;
        let label = "events lost, doubled, late";
        super::bench_report::fleet(label, &f, &shape, args.fleet_time_scale);
    }

    // (d) the second-party path's clones.
    super::bench_second_party::run(args.time_scale, &commercial).await?;
    Ok(Outcome::Ok)
}
