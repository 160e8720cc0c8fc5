//! `amipub demo`: the whole mission on one machine. Starts the sandbox in-process with the
//! `fedora` world and a time scale, publishes the example Fedora Cloud Base product for the build
//! of the sample `fedora_image_uploader.published.v1.aws` message (admit, mirror, grant, submit,
//! scan, locate, parameters, announce) with SQLite state in a temporary directory, and prints
//! the per-Region Marketplace AMI table. `--second-party` takes the "provided by AWS" path
//! (`demo_second_party`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use amipub_domain::release::State;
use amipub_domain::release::build::new_release;
use amipub_domain::settings::{EXAMPLE_CONFIG, validate_settings_text};
use amipub_sandbox::worlds::{FEDORA_PRODUCT_CODE, FEDORA_PRODUCT_ID, fedora_build, fedora_spec};
use amipub_sandbox::{SandboxConfig, start};
use anyhow::Context;

use crate::Outcome;
use crate::runtime::{Runtime, date_of};

/// Arguments of `amipub demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Virtual seconds per real second in the sandbox (a one-hour scan takes 3600/N seconds);
    /// default 500, or 20000 on the second-party path (the Marketplace takes days).
    #[arg(long)]
    time_scale: Option<f64>,
    /// Directory for the state database and the feed (default: a new temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Take the second-party ("provided by AWS") path: clones in every Region, shares, the load
    /// form, and the sandbox's Marketplace publishing it (time ×20000 unless --time-scale).
    #[arg(long)]
    second_party: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(demo(args))
}

async fn demo(args: Args) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let scale = args
        .time_scale
        .unwrap_or(if args.second_party { 20_000.0 } else { 500.0 });
    let config = SandboxConfig {
        time_scale: scale,
        second_party_auto_process: args.second_party,
        ..SandboxConfig::default()
    };
    let sandbox = start(config, "fedora", SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("cannot start the sandbox")?;
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("amipub-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!(
        "Sandbox (fedora world) at {} · time ×{} · state in {}",
        sandbox.endpoint(),
        scale,
        dir.display()
    );

    let (settings, _) = validate_settings_text(EXAMPLE_CONFIG);
    let mut settings = settings.context("the built-in configuration does not parse")?;
    settings.endpoints.url = Some(sandbox.endpoint());
    settings.store.url = format!("sqlite://{}", dir.join("amipub.db").display());
    settings.feed_file = dir.join("amipub-feed.json").display().to_string();
    settings.products_dir = dir.join("products").display().to_string();

    let mut spec = fedora_spec().context("the example spec does not parse")?;
    let mut build = fedora_build().context("the sample bus message does not parse")?;
    if args.second_party {
        let world = &sandbox.world;
        super::demo_second_party::prepare(world, &dir, &mut spec, &mut settings, &mut build)
            .await?;
    }
    eprintln!(
        "Product {} = {} (product code {}) in the sandbox",
        spec.product.slug, FEDORA_PRODUCT_ID, FEDORA_PRODUCT_CODE
    );

    let trusted = settings.trust.build_accounts.clone();
    let terms = settings.second_party.terms();
    let rt = Runtime::open(settings, std::slice::from_ref(&spec)).await?;
    let (now, _) = rt.clock.now().await?;
    let release = new_release(&spec, &build, &trusted, None, &date_of(now), &terms, now)
        .map_err(anyhow::Error::msg)?;
    let id = match rt.resume_or_record(&release, now).await? {
        Some(old) => old.id,
        None => release.id.clone(),
    };
    eprintln!(
        "Build {} ({}) → release {id} of version {}",
        build.vars.get("compose_id").map_or("", String::as_str),
        build.source_ami,
        release.version
    );
    let (mut r, mut interrupted) = rt.drive(&id).await?;
    if r.state.waits_for_person() && !interrupted {
        crate::cmd::publish::print_result(&r, rt.engine.product(&r.product).as_deref());
        super::demo_second_party::submit(&rt, &sandbox.world, &id).await?;
        (r, interrupted) = rt.drive(&id).await?;
    }
    let (end, _) = rt.clock.now().await?;
    let virtual_secs = end - now;
    crate::cmd::publish::print_result(&r, rt.engine.product(&r.product).as_deref());
    println!(
        "Feed: {} · took {:.1} s ({} of AWS time)",
        rt.settings.feed_file,
        started.elapsed().as_secs_f64(),
        crate::progress::duration(virtual_secs)
    );
    rt.store.close().await;
    sandbox.stop().await;
    Ok(match (interrupted, r.state) {
        (true, _) => Outcome::Interrupted,
        (false, State::Done) => Outcome::Ok,
        _ => Outcome::Failed,
    })
}
