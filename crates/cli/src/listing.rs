//! Wiring shared by the lifecycle commands (`plan` of a live listing, `apply`, `visibility`,
//! `promote`, `verify`): settings, store, clock and the engine on the AWS adapters in one value;
//! the product's ids (from the spec, else from what `apply` recorded); and the live listing.
//! The work that changes a listing runs as durable jobs of the engine (`crate::jobs`).

use std::path::Path;

use amipub_aws::adapters::catalog::MarketplaceCatalog;
use amipub_aws::{AwsPorts, Target};
use amipub_domain::lifecycle::LiveListing;
use amipub_domain::settings::Settings;
use amipub_domain::spec::ProductSpec;
use amipub_engine::{Engine, Ports};
use amipub_store::SqlStore;
use amipub_store::lease::worker_id;
use anyhow::Context;

use crate::clock::Clock;
use crate::halt::halt_hook;
use crate::runtime::{CliEngine, open_store, partition_targets, seller, target};

/// Settings, store and adapters.
pub struct Lifecycle {
    /// The settings.
    pub settings: Settings,
    /// The state database.
    pub store: SqlStore,
    /// The engine (on the AWS adapters), which runs lifecycle jobs.
    pub engine: CliEngine,
    /// Virtual or real time.
    pub clock: Clock,
}

impl Lifecycle {
    /// Everything from `amipub.toml` (or the built-in sandbox configuration); `None` when it is
    /// invalid (the problems were printed).
    pub async fn open(config: Option<&Path>) -> anyhow::Result<Option<Self>> {
        let Some((settings, _)) = crate::config::load(config)? else {
            return Ok(None);
        };
        Self::with(settings).await.map(Some)
    }

    /// Everything for settings already loaded.
    pub async fn with(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let (clock, speed) = Clock::detect(settings.endpoints.url.as_deref()).await;
        crate::runtime::say_targets(&settings);
        let t = Target {
            speed: Some(speed),
            ..target(&settings)?
        };
        let others = partition_targets(&settings, speed);
        let ports =
            AwsPorts::connect_partitions(&t, seller(&settings)?, store.clone(), &others).await;
        let mut engine = Engine::new(ports, Vec::new(), &worker_id("cli"));
        if let Some(h) = halt_hook() {
            engine = engine.with_hook(h);
        }
        Ok(Self {
            settings,
            store,
            engine,
            clock,
        })
    }

    /// The AWS adapters.
    pub fn ports(&self) -> &AwsPorts<SqlStore> {
        self.engine.ports()
    }

    /// The Catalog adapter.
    pub fn catalog(&self) -> &MarketplaceCatalog {
        Ports::catalog(self.ports())
    }

    /// Fills the spec's missing ids from what `apply` recorded.
    pub async fn fill_ids(&self, spec: &mut ProductSpec) -> anyhow::Result<()> {
        if spec.product.id.is_some() {
            return Ok(());
        }
        if let Some(ids) = self.store.product_ids(&spec.product.slug).await? {
            spec.product.id = Some(ids.product_id);
            spec.product.product_code = spec.product.product_code.take().or(ids.product_code);
            spec.product.offer_id = spec.product.offer_id.take().or(ids.offer_id);
        }
        Ok(())
    }

    /// The live listing of the spec's product (and its offer, when the spec names it).
    pub async fn live(&self, spec: &ProductSpec) -> anyhow::Result<LiveListing> {
        let id = spec
            .product
            .id
            .as_deref()
            .context("the product has no id yet: run amipub apply to create it")?;
        amipub_engine::lifecycle_ports::Listings::listing(
            self.catalog(),
            id,
            spec.product.offer_id.as_deref(),
        )
        .await
        .with_context(|| format!("cannot read {id} from the Marketplace Catalog"))
    }
}
