//! The rig of `amipub bench`'s in-process runs: the sandbox with the benchmark's products, an
//! engine on it with a SQLite store of its own, the sandbox's clock and request log, and, when
//! events are on, a task pumping the sandbox's change-set events into the store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use amipub_aws::{AwsPorts, QueueEvents, Seller, Target};
use amipub_domain::release::build::new_release;
use amipub_domain::release::second_party::Terms;
use amipub_domain::second_party::SecondPartySettings;
use amipub_domain::spec::ProductSpec;
use amipub_engine::events::pump;
use amipub_engine::{Engine, Product};
use amipub_sandbox::faults::FaultRule;
use amipub_sandbox::server::{Handle, lock};
use amipub_sandbox::worlds::{
    FEDORA_BUILD_ACCOUNT, SELLER_ACCOUNT, add_product, fedora_build, fedora_spec,
    ingestion_role_arn,
};
use amipub_sandbox::{SandboxConfig, start};
use amipub_store::SqlStore;
use anyhow::Context;
use tokio::sync::Notify;

/// The longest pause between two steps of a settling rig.
const MAX_PAUSE: Duration = Duration::from_millis(10);

/// A sandbox and an engine on it, with a store of its own.
pub(super) struct Rig {
    pub(super) sandbox: Handle,
    pub(super) engine: Engine<AwsPorts<SqlStore>>,
    pub(super) store: SqlStore,
    /// Virtual seconds per real second.
    scale: f64,
    /// Told when the pump stored a wake-up, as `amipub serve`'s events loop tells its engine.
    woken: Arc<Notify>,
    /// The task that pumps change-set events into the store, when events are on.
    _pumping: Option<Pumping>,
    _dir: tempfile::TempDir,
}

/// How a rig's sandbox behaves.
#[derive(Debug, Clone, Default)]
pub(super) struct Options {
    /// Virtual seconds per real second.
    pub(super) scale: f64,
    /// Whether the engine hears change-set events (else it only polls).
    pub(super) events: bool,
    /// The sandbox's fault rules.
    pub(super) faults: Vec<FaultRule>,
}

/// The pumping task, stopped with its rig.
struct Pumping(tokio::task::JoinHandle<()>);

impl Drop for Pumping {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Product `n` of the runs: the Fedora example in `regions`.
pub(super) fn spec(n: usize, regions: &[String]) -> anyhow::Result<ProductSpec> {
    let mut s = fedora_spec().context("the example spec does not parse")?;
    s.product.slug = format!("bench-{n:02}");
    s.product.id = Some(format!("prod-bench{n:02}"));
    s.product.product_code = Some(format!("benchcode{n:02}"));
    s.regions.all = false;
    s.regions.govcloud = false;
    s.regions.include = regions.to_vec();
    if let Some(ssm) = &mut s.ssm {
        ssm.versioned = "/bench/{slug}/{version}".into();
        ssm.aliases = [("latest".to_owned(), "/bench/{slug}/latest".to_owned())].into();
    }
    Ok(s)
}

/// A rig for `specs` at `scale`, second-party products following `second_party`, polling only.
pub(super) async fn rig(
    scale: f64,
    specs: &[ProductSpec],
    second_party: &SecondPartySettings,
) -> anyhow::Result<Rig> {
    let options = Options {
        scale,
        ..Options::default()
    };
    rig_with(&options, specs, second_party).await
}

/// A rig for `specs` as `options` say.
pub(super) async fn rig_with(
    options: &Options,
    specs: &[ProductSpec],
    second_party: &SecondPartySettings,
) -> anyhow::Result<Rig> {
    let scale = options.scale;
    let mut config = SandboxConfig {
        time_scale: scale,
        faults: options.faults.clone(),
        ..SandboxConfig::default()
    };
    if !options.events {
        config.events_queue = None;
    }
    let queue = config.events_queue.clone();
    let sandbox = start(config, "fedora", SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    {
        let mut w = lock(&sandbox.world);
        for s in specs {
            add_product(
                &mut w,
                s.product.id.as_deref().unwrap_or_default(),
                s.product.product_code.as_deref().unwrap_or_default(),
                &s.listing.title,
                s.regions.include.clone(),
            );
        }
    }
    let dir = tempfile::tempdir()?;
    let store = SqlStore::open(&format!("sqlite://{}", dir.path().join("b.db").display())).await?;
    let seller = Seller {
        account: SELLER_ACCOUNT.into(),
        home_region: "us-east-1".into(),
        ingestion_role: ingestion_role_arn(),
        tags: Default::default(),
    };
    let target = Target {
        speed: Some(scale),
        ..Target::sandbox(&sandbox.endpoint(), SELLER_ACCOUNT)
    };
    let ports = AwsPorts::connect(&target, seller, store.clone()).await;
    let products = specs
        .iter()
        .map(|s| Product {
            second_party: second_party.clone(),
            ..Product::new(s.clone(), &ingestion_role_arn())
        })
        .collect();
    let woken = Arc::new(Notify::new());
    let pumping = queue.map(|name| {
        let url = format!("{}/{SELLER_ACCOUNT}/{name}", sandbox.endpoint());
        let events = QueueEvents::connect(&target, &url);
        let (store, world, woken) = (store.clone(), sandbox.world.clone(), woken.clone());
        Pumping(tokio::spawn(async move {
            loop {
                let now = lock(&world).clock.now().timestamp();
                match pump(&events, &store, 20, now).await {
                    Ok(p) if p.stored > 0 => woken.notify_one(),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("bench: events: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }))
    });
    Ok(Rig {
        engine: Engine::new(ports, products, "bench"),
        sandbox,
        store,
        scale,
        woken,
        _pumping: pumping,
        _dir: dir,
    })
}

impl Rig {
    pub(super) fn now(&self) -> i64 {
        lock(&self.sandbox.world).clock.now().timestamp()
    }

    /// Records a release of `version`; returns its id.
    pub(super) async fn record(&self, spec: &ProductSpec, version: &str) -> anyhow::Result<String> {
        let build = fedora_build().context("the sample bus message does not parse")?;
        let now = self.now();
        let r = new_release(
            spec,
            &build,
            &[FEDORA_BUILD_ACCOUNT.into()],
            Some(version),
            "2026-11-22",
            &Terms::default(),
            now,
        )
        .map_err(anyhow::Error::msg)?;
        self.engine.record(&r, now).await?;
        Ok(r.id.to_string())
    }

    /// Steps until every release is finished, pausing between steps as `amipub serve` does: until
    /// the earliest stored wait is due, or the pump stored a wake-up. Returns (virtual seconds,
    /// releases not Done).
    pub(super) async fn settle(&self, start: i64) -> anyhow::Result<(i64, usize)> {
        loop {
            self.engine.step(self.now()).await?;
            if self.store.active().await?.is_empty() {
                let end = self.now();
                let all = self.store.list(100_000).await?;
                let not_done: Vec<_> = all
                    .iter()
                    .filter(|r| r.state != amipub_domain::release::State::Done)
                    .collect();
                if let Some(r) = not_done.first() {
                    eprintln!(
                        "    e.g. {} {} ended {}: {}",
                        r.product,
                        r.version,
                        r.state.name(),
                        r.failure.as_ref().map_or("", |f| f.detail.as_str())
                    );
                }
                let not_done = not_done.len();
                return Ok((end - start, not_done));
            }
            let due = self.store.next_due().await?;
            tokio::select! {
                _ = tokio::time::sleep(self.pause(due)) => {}
                _ = self.woken.notified() => {}
            }
        }
    }

    /// Real time until virtual second `due` (at most `MAX_PAUSE`: the sandbox's clock is read
    /// again after it).
    fn pause(&self, due: Option<i64>) -> Duration {
        let real = due.map_or(MAX_PAUSE.as_secs_f64(), |at| {
            (at - self.now()).max(0) as f64 / self.scale.max(1.0)
        });
        Duration::from_secs_f64(real.min(MAX_PAUSE.as_secs_f64()))
    }

    /// Requests in the sandbox's log per (service, operation).
    pub(super) fn calls(&self) -> std::collections::BTreeMap<(String, String), usize> {
        let mut out = std::collections::BTreeMap::new();
        for r in &lock(&self.sandbox.world).requests {
            *out.entry((r.service.clone(), r.operation.clone()))
                .or_default() += 1;
        }
        out
    }

    /// Requests of one service in the sandbox's log.
    pub(super) fn service_calls(&self, service: &str) -> usize {
        lock(&self.sandbox.world)
            .requests
            .iter()
            .filter(|r| r.service == service)
            .count()
    }
}
