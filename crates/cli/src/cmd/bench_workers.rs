//! `amipub bench --workers 1,2,4 --store postgres://…`: the fleet run carried by N `amipub
//! serve` processes sharing one PostgreSQL database (a schema of the run's own, dropped
//! afterwards), against the in-process sandbox. Per worker count it prints the makespan in AWS
//! time against the bound the product locks set, releases per hour of AWS time, and each
//! worker's peak memory (VmHWM of its process).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use amipub_domain::release::build::new_release;
use amipub_domain::release::second_party::Terms;
use amipub_domain::spec::parse_spec;
use amipub_engine::engine::received_entry;
use amipub_engine::ports::Store;
use amipub_sandbox::server::{Handle, lock};
use amipub_sandbox::worlds::{
    FEDORA_BUILD_ACCOUNT, SELLER_ACCOUNT, add_fleet_product, fedora_build, ingestion_role_arn,
};
use amipub_sandbox::{SandboxConfig, start};
use amipub_store::SqlStore;
use amipub_store::backend::{drop_schema, scratch_schema};
use anyhow::Context;

use super::bench_release::fleet_bound;

/// What one worker count measured.
struct Run {
    workers: usize,
    makespan: i64,
    bound: f64,
    wall: f64,
    failed: usize,
    peak_mib: Vec<f64>,
}

/// The fleet: `releases` over `products`, each in `regions`.
pub struct Fleet<'a> {
    /// Virtual seconds per real second.
    pub scale: f64,
    /// Products.
    pub products: usize,
    /// Releases.
    pub releases: usize,
    /// Regions of each product.
    pub regions: &'a [String],
}

/// Runs the fleet once per worker count and prints a line for each.
pub async fn run(fleet: &Fleet<'_>, counts: &[usize], store: &str) -> anyhow::Result<()> {
    println!(
        "(w) {} releases over {} products ({} Regions each), workers on {}",
        fleet.releases,
        fleet.products,
        fleet.regions.len(),
        amipub_store::backend::redact(store)
    );
    for &n in counts {
        let schema = format!("amipub_bench_{}_{n}", std::process::id());
        let url = scratch_schema(store, &schema)
            .await
            .with_context(|| format!("cannot make the schema {schema}"))?;
        let measured = once(fleet, n, &url).await;
        drop_schema(store, &schema).await?;
        print(fleet, &measured?);
    }
    Ok(())
}

fn print(fleet: &Fleet<'_>, r: &Run) {
    let hours = r.makespan as f64 / 3600.0;
    let peak = r.peak_mib.iter().copied().fold(0.0, f64::max);
    println!(
        "    {} worker(s): makespan {} s of AWS time ({:.1} s wall), lock bound {:.0} s → ratio {:.2}; {:.1} releases per hour; peak memory per worker {:.0} MiB (max of {}); {} not done",
        r.workers,
        r.makespan,
        r.wall,
        r.bound,
        r.makespan as f64 / r.bound,
        fleet.releases as f64 / hours.max(f64::EPSILON),
        peak,
        r.peak_mib
            .iter()
            .map(|m| format!("{m:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        r.failed
    );
}

async fn once(fleet: &Fleet<'_>, n: usize, url: &str) -> anyhow::Result<Run> {
    let config = SandboxConfig {
        time_scale: fleet.scale,
        ..SandboxConfig::default()
    };
    let sandbox = start(config, "fedora", "127.0.0.1:0".parse()?).await?;
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("products"))?;
    let mut specs = Vec::new();
    for k in 1..=fleet.products {
        let text = add_fleet_product(&mut lock(&sandbox.world), k, fleet.regions);
        std::fs::write(
            home.path().join(format!("products/fleet-{k:02}.toml")),
            &text,
        )?;
        specs.push(parse_spec(&text).map_err(|e| anyhow::anyhow!("fleet spec: {e:?}"))?);
    }
    let config = write_config(home.path(), &sandbox.endpoint(), url)?;
    let store = SqlStore::connect(&url.into()).await?;
    store.migrate().await?;
    let t0 = now(&sandbox);
    let build = fedora_build().context("the sample bus message does not parse")?;
    for i in 0..fleet.releases {
        let spec = &specs[i % specs.len()];
        let version = format!("41.{}", i / specs.len() + 1);
        let r = new_release(
            spec,
            &build,
            &[FEDORA_BUILD_ACCOUNT.into()],
            Some(&version),
            "2026-11-22",
            &Terms::default(),
            t0,
        )
        .map_err(anyhow::Error::msg)?;
        store.save(&r, &[received_entry(&r, t0)], &[]).await?;
    }
    let wall = Instant::now();
    let mut workers = (0..n)
        .map(|_| spawn_worker(&config))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let failed = settle(&store).await;
    let makespan = now(&sandbox) - t0;
    let wall = wall.elapsed().as_secs_f64();
    let peak_mib = workers
        .iter()
        .map(|c| peak_of(c.id()).unwrap_or(0.0))
        .collect();
    for c in &mut workers {
        stop(c);
    }
    store.close().await;
    let per_product = fleet.releases.div_ceil(fleet.products.max(1));
    let bound = fleet_bound(&lock(&sandbox.world), fleet.regions, per_product);
    sandbox.stop().await;
    Ok(Run {
        workers: n,
        makespan,
        bound,
        wall,
        failed: failed?,
        peak_mib,
    })
}

fn now(sandbox: &Handle) -> i64 {
    lock(&sandbox.world).clock.now().timestamp()
}

fn write_config(
    home: &std::path::Path,
    endpoint: &str,
    url: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let d = home.display();
    let text = format!(
        "products_dir = \"{d}/products\"\nfeed_file = \"{d}/feed.json\"\n[store]\nurl = \"{url}\"\n\
         [partitions.aws]\naccount_id = \"{SELLER_ACCOUNT}\"\ningestion_role = \"{}\"\n\
         [trust]\nbuild_accounts = [\"{FEDORA_BUILD_ACCOUNT}\"]\n[endpoints]\nurl = \"{endpoint}\"\n",
        ingestion_role_arn()
    );
    let path = home.join("amipub.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

fn spawn_worker(config: &std::path::Path) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("cannot find this amipub binary")?;
    Command::new(exe)
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--config")
        .arg(config)
        .env("AMIPUB_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start amipub serve")
}

/// Waits until no release is in flight; how many did not end done.
async fn settle(store: &SqlStore) -> anyhow::Result<usize> {
    loop {
        if store.active().await?.is_empty() {
            let all = store.list(1_000_000).await?;
            return Ok(all
                .iter()
                .filter(|r| r.state != amipub_domain::release::State::Done)
                .count());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A process's peak resident memory (VmHWM) in MiB.
fn peak_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// SIGTERM, then SIGKILL if it does not stop within 10 s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
