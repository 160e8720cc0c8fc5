//! `amipub sandbox --world fedora --port 4566`: runs the local AWS until Ctrl-C and prints the
//! environment variables that point the AWS CLI, boto3 or amipub at it. With `--state FILE` the
//! world is loaded from the file at start (when it exists) and saved to it every few seconds and
//! at shutdown, so it survives restarts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use amipub_sandbox::admin::SavedState;
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::{FEDORA_BUILD_KEY, SELLER_KEY};
use amipub_sandbox::{SandboxConfig, start};
use anyhow::Context;

use crate::Outcome;

/// How often the state file is rewritten while the sandbox runs.
const STATE_SAVE_INTERVAL_SECS: u64 = 5;

/// Arguments of `amipub sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Built-in world to seed: fedora or empty.
    #[arg(long, default_value = "fedora")]
    world: String,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    port: u16,
    /// Sandbox settings (TOML): seed, time_scale, copy_seconds, access_keys, …
    #[arg(long)]
    config: Option<PathBuf>,
    /// Virtual seconds per real second (overrides the settings file).
    #[arg(long)]
    time_scale: Option<f64>,
    /// Load the world from this file at start and keep saving it there.
    #[arg(long)]
    state: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<Outcome> {
    let mut config = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            SandboxConfig::from_toml(&text)
                .with_context(|| format!("{} is not a valid sandbox configuration", p.display()))?
        }
        None => SandboxConfig::default(),
    };
    if let Some(s) = args.time_scale {
        config.time_scale = s;
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let handle = start(config, &args.world, addr)
        .await
        .with_context(|| format!("cannot start the sandbox on {addr}"))?;
    if let Some(path) = &args.state
        && path.exists()
    {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let saved: SavedState = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a sandbox state file", path.display()))?;
        saved.restore(&mut lock(&handle.world));
        eprintln!("Loaded state from {}", path.display());
    }
    println!("AWS_ENDPOINT_URL={}", handle.endpoint());
    println!("AWS_ACCESS_KEY_ID={SELLER_KEY}");
    println!("AWS_SECRET_ACCESS_KEY=sandbox");
    println!("AWS_DEFAULT_REGION=us-east-1");
    eprintln!(
        "# The sandbox ({} world) listens on {}.",
        args.world,
        handle.endpoint()
    );
    eprintln!(
        "# Export the lines above (seller account 111122223333); Fedora's build account uses AWS_ACCESS_KEY_ID={FEDORA_BUILD_KEY}."
    );
    eprintln!(
        "# Admin API: {}/_sandbox/state. Stop with Ctrl-C.",
        handle.endpoint()
    );

    let mut tick = tokio::time::interval(Duration::from_secs(STATE_SAVE_INTERVAL_SECS));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => save(&args.state, &handle)?,
        }
    }
    save(&args.state, &handle)?;
    handle.stop().await;
    Ok(Outcome::Ok)
}

fn save(path: &Option<PathBuf>, handle: &amipub_sandbox::Handle) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string(&SavedState::of(&lock(&handle.world)))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
