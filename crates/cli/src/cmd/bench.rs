//! `amipub bench`: measurements of the release engine against the in-process sandbox, printed,
//! never asserted. (a) One release to 30 Regions: end-to-end time divided by the sandbox's own
//! critical path (copy + change set preparation + scan + application + the slowest Region's
//! lag). (b) Catalog and EC2 calls per release, from the sandbox's request log. (c) Many releases
//! over many products at once: makespan against the lower bound set by the product locks (each
//! product's change sets run one after another), and the process's peak memory. (d) One
//! second-party release to every commercial Region up to its load form (`bench_second_party`).
//! `--intake`
//! measures the bus intake instead (`bench_intake`); `--workers 1,2,4 --store postgres://…` the
//! fleet carried by that many `amipub serve` processes on one database (`bench_workers`).

use std::time::Instant;

use amipub_sandbox::catalog::publish::lag;
use amipub_sandbox::server::lock;

use super::bench_rig::{rig, spec};
use crate::Outcome;

/// Arguments of `amipub bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Virtual seconds per real second.
    #[arg(long, default_value_t = 1000.0)]
    time_scale: f64,
    /// Products in the fleet run.
    #[arg(long, default_value_t = 20)]
    products: usize,
    /// Releases in the fleet run (spread evenly over the products).
    #[arg(long, default_value_t = 200)]
    releases: usize,
    /// Regions per product in the fleet run.
    #[arg(long, default_value_t = 8)]
    fleet_regions: usize,
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
    /// The PostgreSQL database of a --workers run (the run uses a schema of its own in it).
    #[arg(long)]
    store: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<Outcome> {
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

    // (a) + (b): one release to 30 Regions.
    let thirty: Vec<String> = commercial.iter().take(30).cloned().collect();
    let one = spec(0, &thirty)?;
    let rig_a = rig(
        args.time_scale,
        std::slice::from_ref(&one),
        &Default::default(),
    )
    .await?;
    let before = rig_a.calls();
    let t0 = rig_a.now();
    let wall = Instant::now();
    rig_a.record(&one, "41.1").await?;
    let (took, failed) = rig_a.settle(t0).await?;
    let critical = {
        let w = lock(&rig_a.sandbox.world);
        let c = &w.config;
        let slowest = thirty.iter().map(|r| lag(&w, r)).fold(0.0, f64::max);
        c.copy_seconds
            + c.catalog_prepare_seconds
            + c.scan_seconds
            + c.catalog_apply_seconds
            + slowest
    };
    let after = rig_a.calls();
    let delta =
        |svc: &str| after.get(svc).copied().unwrap_or(0) - before.get(svc).copied().unwrap_or(0);
    println!("(a) one release to 30 Regions");
    println!(
        "    end to end {took} s of AWS time ({:.1} s wall at ×{}), critical path {critical:.0} s → ratio {:.2}{}",
        wall.elapsed().as_secs_f64(),
        args.time_scale,
        took as f64 / critical,
        if failed > 0 {
            " (the release did not finish!)"
        } else {
            ""
        }
    );
    println!("(b) calls for that release");
    println!(
        "    Catalog {} · EC2 {} · SSM {} · IAM {} (all services {})",
        delta("aws-marketplace"),
        delta("ec2"),
        delta("ssm"),
        delta("iam"),
        after.values().sum::<usize>() - before.values().sum::<usize>()
    );
    rig_a.sandbox.stop().await;

    // (c) the fleet.
    let regions: Vec<String> = commercial
        .iter()
        .take(args.fleet_regions)
        .cloned()
        .collect();
    let specs = (1..=args.products)
        .map(|n| spec(n, &regions))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rig_c = rig(args.time_scale, &specs, &Default::default()).await?;
    let t0 = rig_c.now();
    let wall = Instant::now();
    for i in 0..args.releases {
        let s = &specs[i % specs.len()];
        rig_c
            .record(s, &format!("41.{}", i / specs.len() + 1))
            .await?;
    }
    let (makespan, failed) = rig_c.settle(t0).await?;
    let per_product = args.releases.div_ceil(args.products.max(1));
    let bound = {
        let w = lock(&rig_c.sandbox.world);
        let c = &w.config;
        let slowest = regions.iter().map(|r| lag(&w, r)).fold(0.0, f64::max);
        c.copy_seconds
            + per_product as f64
                * (c.catalog_prepare_seconds + c.scan_seconds + c.catalog_apply_seconds)
            + slowest
    };
    println!(
        "(c) {} releases over {} products ({} Regions each)",
        args.releases, args.products, args.fleet_regions
    );
    println!(
        "    makespan {makespan} s of AWS time ({:.1} s wall), lock-bound lower bound {bound:.0} s → ratio {:.2}; {failed} not done",
        wall.elapsed().as_secs_f64(),
        makespan as f64 / bound
    );
    println!(
        "    peak memory of this process (sandbox included): {}",
        super::peak_rss_mib().map_or("unknown".into(), |m| format!("{m:.0} MiB"))
    );
    rig_c.sandbox.stop().await;

    // (d) the second-party path's clones.
    super::bench_second_party::run(args.time_scale, &commercial).await?;
    Ok(Outcome::Ok)
}
