//! `amipub serve`: the long-running worker, one of any number of equal workers on one database.
//! With `[bus]` one process runs the bus intake (build announcements become releases; every
//! worker consumes from the same durable queue), the engine (every due release and job moves
//! on), the announcement sender (outbox rows claimed by this worker go to the bus with publisher
//! confirms, and into the feed file) and `/healthz` + `/metrics`. Without `[bus]` it is an
//! engine worker: releases come from `amipub publish --detach` and lifecycle commands, and
//! announcements go to the feed file. With `[events] queue_url`, either way, it also reads the
//! queue of change-set events, each one waking the engine for the release or job waiting on it.
//! One shutdown signal (SIGTERM or Ctrl-C) stops it all: the intake after the message in hand,
//! the engine after its step, the events loop at once (a batch in hand comes back later), then
//! the sender sends what is queued and stops.

use std::path::PathBuf;
use std::sync::Arc;

use amipub_aws::{QueueAddress, QueueEvents};
use amipub_bus::{BusConfig, BusStatus, run_intake, run_sender};
use anyhow::Context;
use tokio::sync::mpsc::Receiver;
use tokio::sync::{Notify, watch};

use crate::Outcome;
use crate::config;
use crate::console::actions_loop;
use crate::http::{Shared, router};
use crate::intake::StoreIntake;
use crate::outbox::StoreOutbox;
use crate::runtime::{Runtime, target};
use crate::worker::{engine_loop, events_loop, feed_loop};
use amipub_store::lease::worker_id;

/// Arguments of `amipub serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address of /healthz, /metrics, the web console and /api/v1.
    #[arg(long, default_value = "127.0.0.1:9187", env = "AMIPUB_LISTEN")]
    listen: String,
    /// How long this worker holds a release or job it claimed, in seconds: if it stops
    /// answering (a lost machine, a frozen process), another worker takes the work over this
    /// long after, and a write of this one's after that is refused.
    #[arg(long, default_value_t = amipub_engine::engine::LEASE_SECS, env = "AMIPUB_LEASE_SECS")]
    lease_secs: i64,
}

/// With `[bus] catch_up`, takes what datagrepper archived over that span before now, beside the
/// live intake (the inbox keeps the two from taking a message twice). A failure is logged and
/// leaves the rest of `serve` running: `amipub catch-up` can be run by hand.
async fn start_catch_up(rt: &Runtime, intake: &StoreIntake<'_>) {
    let Some(bus) = &rt.settings.bus else { return };
    let Some(span) = bus
        .catch_up
        .as_deref()
        .and_then(amipub_domain::second_party::settings::seconds)
    else {
        return;
    };
    let now = chrono::Utc::now().timestamp();
    let window = (now - span, now);
    let done = crate::catch_up::catch_up(intake, &bus.datagrepper_url, window, |_, _| {}).await;
    match done {
        Ok(t) => tracing::info!("serve: caught up from datagrepper: {}", t.words()),
        Err(e) => tracing::error!("serve: cannot catch up from datagrepper: {e:#}"),
    }
}

/// The specs whose `[intake]` may take builds: a build can only become a version of a listing
/// that exists, so the others are named once and skipped.
pub fn intake_specs(rt: &Runtime) -> Vec<amipub_domain::spec::ProductSpec> {
    let (specs, unlisted): (Vec<_>, Vec<_>) = rt
        .engine
        .specs()
        .into_iter()
        .filter(|s| s.intake.is_some())
        .partition(|s| s.product.id.is_some() && s.product.product_code.is_some());
    for s in &unlisted {
        tracing::warn!(
            "{} has an [intake] rule but no product.id or product_code; its builds are ignored until the listing exists",
            s.product.slug
        );
    }
    specs
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
    let cfg = match &settings.bus {
        Some(bus) => match BusConfig::from_settings(bus, |v| std::env::var(v).ok()) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(Outcome::Invalid);
            }
        },
        None => None,
    };
    let trusted = settings.trust.build_accounts.clone();
    let feed_file = settings.feed_file.clone();
    let files = crate::outbox::FeedFiles::of(&settings);
    let mut rt = Runtime::open(settings, &[]).await?;
    rt.engine.set_lease(args.lease_secs);
    let (asks_tx, asks) = tokio::sync::mpsc::channel(crate::console::ASKS_WAITING);
    // The console's actions claim under a worker id of their own, so a release the engine loop
    // holds is refused to them as it is to the CLI.
    let mut acting = Runtime::open(rt.settings.clone(), &[]).await?;
    acting.engine.set_worker(&worker_id("console"));
    acting.engine.set_lease(args.lease_secs);
    let console = match console_app(&rt, asks_tx) {
        Ok(app) => app,
        Err(why) => {
            eprintln!("error: [console]: {why}");
            return Ok(Outcome::Invalid);
        }
    };
    let specs = intake_specs(&rt);
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
    let events = connect_events(&rt)?;

    let Some(cfg) = cfg else {
        tracing::info!(
            "serve: no [bus]: an engine worker on the {} store (work comes from `amipub publish \
             --detach` and lifecycle commands; announcements go to {feed_file})",
            rt.store.backend().name()
        );
        let parts = (console, asks, &acting);
        return engine_only(&rt, parts, listener, &files, events.as_ref()).await;
    };
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
        files,
        worker: worker_id("sender"),
    };
    let shared = Shared {
        status: status.clone(),
        store: rt.store.clone(),
        clock: rt.clock.clone(),
        console,
    };

    let signal = stop_on_signal(stop_tx);
    let http = http(listener, shared, stop_rx.clone());
    let engine = engine_loop(&rt, &wake_engine, &wake_sender, stop_rx.clone());
    let events = change_set_events(&rt, events.as_ref(), &wake_engine, stop_rx.clone());
    let work = async {
        tokio::join!(
            start_catch_up(&rt, &handler),
            run_intake(&cfg, &handler, &status, stop_rx.clone()),
            engine,
            events,
            http,
            actions_loop(&acting, asks, stop_rx.clone())
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

/// The queue of `[events] queue_url` with its long-poll wait, when one is configured.
fn connect_events(rt: &Runtime) -> anyhow::Result<Option<(QueueEvents, i32)>> {
    let Some(events) = &rt.settings.events else {
        tracing::info!(
            "serve: no [events] queue_url: change-set ends are noticed by paced polling alone"
        );
        return Ok(None);
    };
    let Some(url) = events.queue() else {
        tracing::info!(
            "serve: [events] has no queue_url: change-set ends are noticed by paced polling alone"
        );
        return Ok(None);
    };
    // Validation checked the URL already; say so again rather than fail every receive.
    QueueAddress::parse(url).map_err(|why| anyhow::anyhow!("[events] queue_url: {why}"))?;
    let queue = QueueEvents::connect(&target(&rt.settings)?, url);
    tracing::info!("serve: change-set events from {url}");
    Ok(Some((queue, events.wait_seconds)))
}

/// The events loop when there is a queue; else nothing.
async fn change_set_events(
    rt: &Runtime,
    events: Option<&(QueueEvents, i32)>,
    wake_engine: &Notify,
    stop: watch::Receiver<bool>,
) {
    if let Some((queue, wait)) = events {
        events_loop(queue, &rt.store, &rt.clock, *wait, wake_engine, stop).await;
    }
}

/// The console's state: the access rules of `[console]` (the tokens file read now, so a bad
/// one stops the start with the line at fault), a fresh signing key and the products.
fn console_app(
    rt: &Runtime,
    asks: tokio::sync::mpsc::Sender<crate::console::Ask>,
) -> Result<Arc<amipub_console::App>, String> {
    let c = &rt.settings.console;
    let tokens = match &c.tokens_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read tokens_file {path}: {e}"))?,
        ),
        None => None,
    };
    let access =
        amipub_console::access::Access::new(c, tokens.as_deref(), std::env::var(&c.token_env).ok())
            .map_err(|e| format!("tokens_file: {e}"))?;
    tracing::info!(
        "serve: console with {} token(s), {} trusted proxy address(es), reads without credentials: {:?}",
        access.token_count(),
        c.proxies().len(),
        c.open_reads
    );
    Ok(Arc::new(amipub_console::App {
        store: rt.store.clone(),
        ops: Arc::new(crate::console::ServeOps {
            clock: rt.clock.clone(),
            products_dir: rt.settings.products_dir.clone(),
            asks,
        }),
        access,
        keys: console_keys(c)?,
        token_env: c.token_env.clone(),
    }))
}

/// The signing key: from `key_file`, shared by every worker, or drawn now.
fn console_keys(
    c: &amipub_domain::console::ConsoleSettings,
) -> Result<amipub_console::keys::Keys, String> {
    match &c.key_file {
        Some(path) => {
            let secret = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read key_file {path}: {e}"))?;
            amipub_console::keys::Keys::from_secret(&secret).map_err(|e| format!("key_file: {e}"))
        }
        None => amipub_console::keys::Keys::random(),
    }
}

/// Waits for SIGTERM or Ctrl-C, then tells every part of the worker to stop.
async fn stop_on_signal(stop: watch::Sender<bool>) {
    stop_signal().await;
    tracing::info!("serve: stopping: finishing the work in hand");
    let _ = stop.send(true);
}

/// `/healthz` and `/metrics` until `stop`.
async fn http(listener: tokio::net::TcpListener, shared: Shared, mut stop: watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let app = router(shared).into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!("serve: the HTTP listener stopped: {e}");
    }
}

/// A worker without a bus: the engine, the change-set events, the feed sender and the HTTP
/// endpoints.
async fn engine_only(
    rt: &Runtime,
    (console, asks, acting): (
        Arc<amipub_console::App>,
        Receiver<crate::console::Ask>,
        &Runtime,
    ),
    listener: tokio::net::TcpListener,
    files: &crate::outbox::FeedFiles,
    events: Option<&(QueueEvents, i32)>,
) -> anyhow::Result<Outcome> {
    let wake_engine = Notify::new();
    let wake_sender = Notify::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Shared {
        status: Arc::new(BusStatus::default()),
        store: rt.store.clone(),
        clock: rt.clock.clone(),
        console,
    };
    let signal = stop_on_signal(stop_tx);
    let worker = worker_id("sender");
    tokio::join!(
        signal,
        http(listener, shared, stop_rx.clone()),
        engine_loop(rt, &wake_engine, &wake_sender, stop_rx.clone()),
        change_set_events(rt, events, &wake_engine, stop_rx.clone()),
        feed_loop(rt, files, &worker, &wake_sender, stop_rx.clone()),
        actions_loop(acting, asks, stop_rx.clone()),
    );
    rt.store.close().await;
    tracing::info!("serve: stopped");
    Ok(Outcome::Ok)
}
