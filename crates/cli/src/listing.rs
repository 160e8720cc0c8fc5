//! Wiring shared by the lifecycle commands (`plan` of a live listing, `apply`, `visibility`,
//! `promote`, `verify`): settings, store and AWS adapters in one value; the product's ids (from
//! the spec, else from what `apply` recorded); the live listing; and submitting a change set the
//! careful way — wait while another change set holds the product, start with the plan's
//! deterministic token (a re-run gets the same change set back), then follow it to its end with a
//! line of progress on each change of status.

use std::path::Path;
use std::time::{Duration, Instant};

use amipub_aws::adapters::catalog::MarketplaceCatalog;
use amipub_aws::adapters::parameters::SsmParameters;
use amipub_aws::{AwsPorts, Target};
use amipub_domain::changeset::ChangeSet;
use amipub_domain::lifecycle::LiveListing;
use amipub_domain::settings::Settings;
use amipub_domain::spec::ProductSpec;
use amipub_engine::Ports;
use amipub_engine::ports::{Catalog, ChangeSetStatus, StartOutcome};
use amipub_store::SqliteStore;
use anyhow::{Context, bail};

use crate::clock::Clock;
use crate::progress::duration;
use crate::runtime::{open_store, partition_targets, seller, target};

/// Longest real time one change set is followed before the command gives up (it keeps running
/// in Marketplace; the same command picks it up again).
pub const FOLLOW_LIMIT: Duration = Duration::from_secs(6 * 3600);
/// Virtual seconds between looks at a change set (DescribeChangeSet allows 10/s; a minute keeps
/// a multi-hour scan to a few hundred calls).
pub const CHANGE_SET_POLL_SECS: i64 = 60;

/// Settings, store and adapters.
pub struct Lifecycle {
    /// The settings.
    pub settings: Settings,
    /// The state database.
    pub store: SqliteStore,
    /// The AWS adapters.
    pub ports: AwsPorts<SqliteStore>,
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
        Ok(Self {
            settings,
            store,
            ports,
            clock,
        })
    }

    /// The Catalog adapter.
    pub fn catalog(&self) -> &MarketplaceCatalog {
        Ports::catalog(&self.ports)
    }

    /// The SSM adapter.
    pub fn parameters(&self) -> &SsmParameters {
        Ports::parameters(&self.ports)
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
        let product = self
            .catalog()
            .describe(id)
            .await
            .with_context(|| format!("cannot read {id} from the Marketplace Catalog"))?;
        let offer =
            match &spec.product.offer_id {
                Some(o) => Some(self.catalog().describe(o).await.with_context(|| {
                    format!("cannot read offer {o} from the Marketplace Catalog")
                })?),
                None => None,
            };
        Ok(LiveListing::read(&product, offer.as_ref()))
    }

    /// Waits (with a line saying so) until no change set holds `product`, so that what is read
    /// next is not about to change under a running change set.
    pub async fn wait_unlocked(&self, product: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut said = None;
        while let Some(holder) = self.catalog().open_change_set(product).await? {
            if started.elapsed() > FOLLOW_LIMIT {
                bail!(
                    "{product} is still held by change set {holder}; run the command again later"
                );
            }
            if said.as_ref() != Some(&holder) {
                eprintln!("  waiting: the product is held by change set {holder}");
                said = Some(holder);
            }
            self.pause(CHANGE_SET_POLL_SECS).await?;
        }
        Ok(())
    }

    /// Submits `cs` and follows it to its end; returns its id. Waits first while another change
    /// set holds `product` (when known), and again whenever StartChangeSet says it is locked.
    pub async fn submit(&self, cs: &ChangeSet, product: Option<&str>) -> anyhow::Result<String> {
        let started = Instant::now();
        let id = loop {
            if let Some(p) = product {
                self.wait_unlocked(p).await?;
            }
            match self.catalog().start(cs).await? {
                StartOutcome::Started(id) => break id,
                StartOutcome::Locked(holder) => {
                    if started.elapsed() > FOLLOW_LIMIT {
                        bail!("still held by change set {holder}; run the command again later");
                    }
                    eprintln!("  waiting: the product is held by change set {holder}");
                    self.pause(CHANGE_SET_POLL_SECS).await?;
                }
            }
        };
        eprintln!("  change set {id} ({}) started", cs.name);
        self.follow(&id).await?;
        Ok(id)
    }

    /// Follows change set `id` until it ends; an error names the Marketplace's reasons.
    pub async fn follow(&self, id: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let (first, _) = self.clock.now().await?;
        loop {
            match self.catalog().status(id).await? {
                ChangeSetStatus::Succeeded => {
                    let (now, _) = self.clock.now().await?;
                    eprintln!(
                        "  change set {id} succeeded after {}",
                        duration(now - first)
                    );
                    return Ok(());
                }
                ChangeSetStatus::Failed(errors) => {
                    let why: Vec<String> =
                        errors.iter().map(|(c, m)| format!("{c}: {m}")).collect();
                    bail!("change set {id} failed: {}", why.join("; "));
                }
                ChangeSetStatus::Cancelled => bail!("change set {id} was cancelled"),
                ChangeSetStatus::Running => {
                    if started.elapsed() > FOLLOW_LIMIT {
                        bail!(
                            "change set {id} is still running; it goes on in Marketplace, and running the same command again follows it"
                        );
                    }
                    self.pause(CHANGE_SET_POLL_SECS).await?;
                }
            }
        }
    }

    /// Waits `secs` of virtual (sandbox) or real time.
    async fn pause(&self, secs: i64) -> anyhow::Result<()> {
        let (now, scale) = self.clock.now().await?;
        tokio::time::sleep(self.clock.wait(now, scale, Some(now + secs))).await;
        Ok(())
    }
}
