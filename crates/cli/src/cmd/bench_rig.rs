//! The rig of `amipub bench`'s in-process runs: the sandbox with the benchmark's products, an
//! engine on it with a SQLite store of its own, the sandbox's clock and request log, and, when
//! events are on, a task pumping the sandbox's change-set events into the store.

use std::net::SocketAddr;
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

/// A sandbox and an engine on it, with a store of its own.
pub(super) struct Rig {
    pub(super) sandbox: Handle,
    pub(super) engine: Engine<AwsPorts<SqlStore>>,
    pub(super) store: SqlStore,
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
    let pumping = queue.map(|name| {
        let url = format!("{}/{SELLER_ACCOUNT}/{name}", sandbox.endpoint());
        let events = QueueEvents::connect(&target, &url);
        let (store, world) = (store.clone(), sandbox.world.clone());
        Pumping(tokio::spawn(async move {
            loop {
                let now = lock(&world).clock.now().timestamp();
                if let Err(e) = pump(&events, &store, 20, now).await {
                    tracing::warn!("bench: events: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }))
    });
    Ok(Rig {
        engine: Engine::new(ports, products, "bench"),
        sandbox,
        store,
        _pumping: pumping,
        _dir: dir,
    })
}

impl Rig {
    pub(super) fn now(&self) -> i64 {
        lock(&self.sandbox.world).clock.now().timestamp()
    }

    pub(super) async fn record(&self, spec: &ProductSpec, version: &str) -> anyhow::Result<()> {
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
        Ok(())
    }

    /// Steps until every release is finished; returns (virtual seconds, releases not Done).
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
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
