//! `amipub serve`: the long-running worker. One process runs the bus intake (build announcements
//! become releases), the engine (every due release moves on), the announcement sender (the
//! outbox goes to the bus with publisher confirms, and into the feed file) and `/healthz` +
//! `/metrics`, under one shutdown signal (SIGTERM or Ctrl-C): the intake stops after the message
//! in hand, the engine after its step, then the sender sends what is queued and stops.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use amipub_bus::{BusConfig, BusStatus, run_intake, run_sender};
use anyhow::Context;
use tokio::sync::{Notify, watch};

use crate::Outcome;
use crate::config;
use crate::http::{Shared, router};
use crate::intake::StoreIntake;
use crate::outbox::StoreOutbox;
use crate::runtime::Runtime;

/// Arguments of `amipub serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address of /healthz and /metrics.
    #[arg(long, default_value = "127.0.0.1:9187", env = "AMIPUB_LISTEN")]
    listen: String,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(serve(args))
}

/// Resolves when SIGTERM or Ctrl-C arrives.
async fn stop_signal() {
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

async fn serve(args: Args) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    let Some(bus) = settings.bus.clone() else {
        eprintln!(
            "error: amipub serve listens on the message bus, and amipub.toml has no [bus]; add \
             [bus] with url, bindings and topic_prefix (see examples/amipub.toml)"
        );
        return Ok(Outcome::Invalid);
    };
    let cfg = match BusConfig::from_settings(&bus, |v| std::env::var(v).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Outcome::Invalid);
        }
    };
    let trusted = settings.trust.build_accounts.clone();
    let feed_file = settings.feed_file.clone();
    let rt = Runtime::open(settings, &[]).await?;
    // A build can only become a version of a listing that exists.
    let (specs, unlisted): (Vec<_>, Vec<_>) = rt
        .engine
        .specs()
        .into_iter()
        .filter(|s| s.intake.is_some())
        .partition(|s| s.product.id.is_some() && s.product.product_code.is_some());
    for s in &unlisted {
        tracing::warn!(
            "serve: {} has an [intake] rule but no product.id or product_code; its builds are ignored until the listing exists",
            s.product.slug
        );
    }
    let listening: Vec<&str> = specs.iter().map(|s| s.product.slug.as_str()).collect();
    if listening.is_empty() {
        tracing::warn!(
            "serve: no product has an [intake] rule: every build announcement will be ignored"
        );
    } else {
        tracing::info!("serve: taking builds for {}", listening.join(", "));
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for /healthz and /metrics; pass another --listen",
                args.listen
            )
        })?;
    tracing::info!("serve: health and metrics on http://{}", args.listen);

    let status = Arc::new(BusStatus::default());
    let wake_engine = Notify::new();
    let wake_sender = Notify::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (drain_tx, drain_rx) = watch::channel(false);
    let handler = StoreIntake {
        rt: &rt,
        specs,
        trusted,
        wake: &wake_engine,
    };
    let outbox = StoreOutbox {
        store: rt.store.clone(),
        feed_file,
    };
    let shared = Shared {
        status: status.clone(),
        store: rt.store.clone(),
        clock: rt.clock.clone(),
    };

    let signal = async {
        stop_signal().await;
        tracing::info!("serve: stopping: finishing the work in hand");
        let _ = stop_tx.send(true);
    };
    let http = {
        let mut stop = stop_rx.clone();
        async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, router(shared))
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("serve: the HTTP listener stopped: {e}");
            }
        }
    };
    let engine = engine_loop(&rt, &wake_engine, &wake_sender, stop_rx.clone());
    let work = async {
        tokio::join!(
            run_intake(&cfg, &handler, &status, stop_rx.clone()),
            engine,
            http
        );
        let _ = drain_tx.send(true);
    };
    tokio::join!(
        signal,
        work,
        run_sender(&cfg, &outbox, &status, &wake_sender, drain_rx)
    );
    rt.store.close().await;
    tracing::info!("serve: stopped");
    Ok(Outcome::Ok)
}

/// Moves due releases until `stop`; wakes the sender after a step that moved any.
async fn engine_loop(
    rt: &Runtime,
    wake: &Notify,
    wake_sender: &Notify,
    mut stop: watch::Receiver<bool>,
) {
    let mut said = String::new();
    while !*stop.borrow() {
        match rt.clock.now().await {
            Ok((now, _)) => match step_all(rt, now).await {
                Ok(moved) => {
                    said.clear();
                    // A step that moved releases may have queued announcements.
                    if moved > 0 {
                        wake_sender.notify_one();
                    }
                }
                Err(e) => {
                    let e = e.to_string();
                    if e != said {
                        tracing::warn!("engine: {e}; trying again");
                        said = e;
                    }
                }
            },
            Err(e) => tracing::warn!("engine: cannot read the clock: {e:#}"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One turn of the engine: the due releases, then the due lifecycle jobs; how many moved.
async fn step_all(rt: &Runtime, now: i64) -> amipub_engine::PortResult<usize> {
    let releases = rt.engine.step(now).await?;
    let jobs = rt.engine.step_jobs(now).await?;
    Ok(releases + jobs)
}
