//! Wiring for the commands that run releases (`publish`, `retry`, `cancel`, `demo`): the store
//! from `store.url`, the AWS adapters from `[partitions.aws]` and `[endpoints]`, the clock, the
//! engine with the products it may publish; and `drive`, the loop that moves one release until it
//! finishes, delivering its announcement and showing progress.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use amipub_aws::config::CredentialSource;
use amipub_aws::{AwsPorts, Seller, Target};
use amipub_domain::release::Release;
use amipub_domain::settings::{Partition, Settings};
use amipub_domain::spec::ProductSpec;
use amipub_domain::validate::{has_errors, validate_text};
use amipub_engine::{Engine, Product};
use amipub_store::lease::worker_id;
use amipub_store::{Connect, SqlStore};
use anyhow::{Context, bail};

use crate::clock::Clock;
use crate::halt::halt_hook;
use crate::outbox;
use crate::progress::Progress;

/// The engine as the CLI runs it.
pub type CliEngine = Engine<AwsPorts<SqlStore>>;

/// Everything a release command needs.
pub struct Runtime {
    /// The settings.
    pub settings: Settings,
    /// The store.
    pub store: SqlStore,
    /// The engine.
    pub engine: CliEngine,
    /// The clock.
    pub clock: Clock,
}

/// `YYYY-MM-DD` of an epoch second (the `{date}` template variable, end-of-life dates).
pub use amipub_domain::lifecycle::retention::date_of;

/// The commercial partition's settings.
fn commercial(settings: &Settings) -> anyhow::Result<&amipub_domain::settings::Partition> {
    settings
        .partitions
        .get("aws")
        .context("amipub.toml has no [partitions.aws]")
}

/// The SDK target of one partition. With `[endpoints] url` (the sandbox) the partition
/// account's sandbox keys, never the process's own AWS environment, unless the partition names
/// a `profile`; on AWS its `profile`, else the SDK's default chain. Its `assume_role` either way.
pub fn partition_target(settings: &Settings, part: &Partition) -> Target {
    let endpoint = settings.endpoints.url.clone();
    let credentials = match (&part.profile, &endpoint) {
        (Some(p), _) => CredentialSource::Profile(p.clone()),
        (None, Some(_)) => CredentialSource::sandbox(&part.account_id),
        (None, None) => CredentialSource::DefaultChain,
    };
    let initial_backoff = endpoint
        .as_ref()
        .map(|_| Duration::from_millis(amipub_aws::config::SANDBOX_BACKOFF_MS));
    Target {
        endpoint,
        credentials,
        assume_role: part.assume_role.clone(),
        initial_backoff,
        speed: None,
    }
}

/// The SDK target of the commercial partition.
pub fn target(settings: &Settings) -> anyhow::Result<Target> {
    Ok(partition_target(settings, commercial(settings)?))
}

/// The home Region of a partition: where its clients are configured first.
pub fn partition_home(name: &str) -> &'static str {
    match name {
        "aws-us-gov" => "us-gov-west-1",
        "aws-cn" => "cn-north-1",
        _ => "us-east-1",
    }
}

/// The SDK targets of the other partitions (GovCloud, …), each with its own credentials, sped
/// up like the commercial one.
pub fn partition_targets(settings: &Settings, speed: f64) -> Vec<(String, String, Target)> {
    settings
        .partitions
        .iter()
        .filter(|(name, _)| name.as_str() != "aws")
        .map(|(name, part)| {
            let t = Target {
                speed: Some(speed),
                ..partition_target(settings, part)
            };
            (name.clone(), partition_home(name).to_owned(), t)
        })
        .collect()
}

/// Says on stderr, once at start, where amipub calls AWS and with which credentials per
/// partition (never a secret).
pub fn say_targets(settings: &Settings) {
    let place = match &settings.endpoints.url {
        Some(url) => format!("the sandbox at {url}"),
        None => "AWS".to_owned(),
    };
    let who: Vec<String> = settings
        .partitions
        .iter()
        .map(|(name, part)| format!("{name}: {}", partition_target(settings, part).describe()))
        .collect();
    let line = format!("Calling {place} · {}", who.join(" · "));
    // A service says it in its log; an interactive command says it on the terminal.
    if tracing::enabled!(tracing::Level::INFO) {
        tracing::info!("{line}");
    } else {
        eprintln!("{line}");
    }
}

/// The seller of the commercial partition.
pub fn seller(settings: &Settings) -> anyhow::Result<Seller> {
    let part = commercial(settings)?;
    let role = part.ingestion_role.clone().with_context(|| {
        "[partitions.aws] has no ingestion_role; add the ARN of the role Marketplace assumes \
         (amipub init creates it)"
    })?;
    Ok(Seller {
        account: part.account_id.clone(),
        home_region: "us-east-1".to_owned(),
        ingestion_role: role,
        tags: settings.tags.clone(),
    })
}

/// Reads and validates a product spec; the problems are printed and an error returned when it
/// has any.
pub fn read_spec(path: &Path) -> anyhow::Result<(ProductSpec, String)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (spec, problems) = validate_text(&text);
    crate::report::print_problems(path, &problems);
    match spec {
        Some(s) if !has_errors(&problems) => Ok((s, text)),
        _ => bail!(
            "{} has errors (listed above); fix them first",
            path.display()
        ),
    }
}

/// The specs of every product the engine may meet: those in `products_dir`, those the store kept
/// from earlier publishes, and `extra` (which wins).
async fn products(
    settings: &Settings,
    store: &SqlStore,
    extra: &[ProductSpec],
    slugs: &[String],
) -> anyhow::Result<Vec<ProductSpec>> {
    let mut out: Vec<ProductSpec> = extra.to_vec();
    for slug in slugs {
        if out.iter().any(|s| &s.product.slug == slug) {
            continue;
        }
        if let Some(text) = store.product_spec(slug).await?
            && let (Some(spec), problems) = validate_text(&text)
            && !has_errors(&problems)
        {
            out.push(spec);
        }
    }
    let dir = PathBuf::from(&settings.products_dir);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Ok(text) = std::fs::read_to_string(&p)
                && let (Some(spec), problems) = validate_text(&text)
                && !has_errors(&problems)
                && !out.iter().any(|s| s.product.slug == spec.product.slug)
            {
                out.push(spec);
            }
        }
    }
    Ok(out)
}

/// The state database of `settings` (a SQLite file is created and migrated; a PostgreSQL
/// database must have been migrated with `amipub migrate`).
pub async fn open_store(settings: &Settings) -> anyhow::Result<SqlStore> {
    let connect = store_connect(&settings.store)?;
    SqlStore::open(connect).await.with_context(|| {
        format!(
            "cannot open the state database {}",
            amipub_store::backend::redact(&settings.store.url)
        )
    })
}

/// How to reach `[store]`, its password read from `password_env` or `password_file`.
pub fn store_connect(store: &amipub_domain::settings::Store) -> anyhow::Result<Connect> {
    let password = match (&store.password_env, &store.password_file) {
        (Some(_), Some(_)) => {
            bail!("[store] sets both password_env and password_file; keep one")
        }
        (Some(var), None) => Some(std::env::var(var).map_err(|_| {
            anyhow::anyhow!(
                "[store] password_env names {var}, which is not set; export it or remove password_env"
            )
        })?),
        (None, Some(file)) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("[store] password_file {file} cannot be read"))?
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
        ),
        (None, None) => None,
    };
    Ok(Connect {
        url: store.url.clone(),
        password,
        sslmode: store.sslmode.clone(),
        ca_file: store.ca_file.clone(),
    })
}

/// A stored release by id or unique id prefix.
pub async fn find(store: &SqlStore, id: &str) -> anyhow::Result<Release> {
    let found = store.find(id).await?;
    if let Some(exact) = found.iter().find(|r| r.id == id) {
        return Ok(exact.clone());
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no release {id:?}; `amipub status` lists them"),
        many => bail!(
            "{id:?} matches {} releases ({}); give more of the id",
            many.len(),
            many.iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Runtime {
    /// Opens the store and builds the engine for `specs` (plus every product the store knows),
    /// honouring `AMIPUB_TEST_HALT_AT`.
    pub async fn open(settings: Settings, specs: &[ProductSpec]) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let slugs: Vec<String> = store
            .active()
            .await?
            .into_iter()
            .map(|r| r.product)
            .collect();
        let all = products(&settings, &store, specs, &slugs).await?;
        let seller = seller(&settings)?;
        let role = seller.ingestion_role.clone();
        let (clock, speed) = Clock::detect(settings.endpoints.url.as_deref()).await;
        say_targets(&settings);
        let target = Target {
            speed: Some(speed),
            ..target(&settings)?
        };
        let others = partition_targets(&settings, speed);
        let ports = AwsPorts::connect_partitions(&target, seller, store.clone(), &others).await;
        let products = all
            .into_iter()
            .map(|spec| Product {
                spec,
                role_arn: role.clone(),
                second_party: settings.second_party.clone(),
                tags: settings.tags.clone(),
            })
            .collect();
        let mut engine = Engine::new(ports, products, &worker_id("cli"));
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

    /// Teaches the engine the products of the releases it met without knowing them: their specs
    /// as `publish` stored them (a release published with `--detach`, from another machine, after
    /// this worker started).
    pub async fn learn_products(&self) -> anyhow::Result<()> {
        let unknown = self.engine.take_unknown();
        if unknown.is_empty() {
            return Ok(());
        }
        let role = seller(&self.settings)?.ingestion_role;
        for spec in products(&self.settings, &self.store, &[], &unknown).await? {
            if unknown.contains(&spec.product.slug) {
                tracing::info!(
                    "engine: learned product {} from the store",
                    spec.product.slug
                );
                self.engine.add_product(Product {
                    spec,
                    role_arn: role.clone(),
                    second_party: self.settings.second_party.clone(),
                    tags: self.settings.tags.clone(),
                });
            }
        }
        Ok(())
    }

    /// A stored release by id or unique id prefix.
    pub async fn find(&self, id: &str) -> anyhow::Result<Release> {
        find(&self.store, id).await
    }

    /// The release recorded earlier for the same product, source AMI and version, if any; else
    /// records `release`.
    pub async fn resume_or_record(
        &self,
        release: &Release,
        now: i64,
    ) -> anyhow::Result<Option<Release>> {
        // The id is derived from product, source AMI and version.
        let old = self.store.get(&release.id).await?;
        if old.is_none() {
            self.engine.record(release, now).await?;
        }
        Ok(old)
    }

    /// Moves release `id` until it finishes, waits for a person (a second-party form to
    /// submit) or Ctrl-C, showing progress and delivering its announcements. Returns the release
    /// as stored at the end, and whether it was interrupted.
    pub async fn drive(&self, id: &str) -> anyhow::Result<(Release, bool)> {
        let mut progress = Progress::new(std::io::stderr().is_terminal());
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        // The timeline is read again only when the state changed: the display shows transitions.
        let mut timeline = Vec::new();
        let mut shown_state = None;
        loop {
            let (now, scale) = self.clock.now().await?;
            let moved = self.engine.step_one(id, now).await;
            let stored = match &moved {
                Ok(Some(r)) => Some(r.clone()),
                Ok(None) => None,
                Err(e) => {
                    // Store or engine trouble: keep the release, say what happened, try again.
                    progress.note(&format!("will try again: {e}"));
                    None
                }
            };
            let r = match stored {
                Some(r) => r,
                None => self
                    .store
                    .get(id)
                    .await?
                    .with_context(|| format!("release {id} vanished from the store"))?,
            };
            if shown_state != Some(r.state) {
                timeline = self.store.timeline(id).await?;
                shown_state = Some(r.state);
                // Announcements are queued with a transition (and, on the first turn, may be
                // left over from an interrupted run): only then is there anything to deliver.
                // With a `[bus]`, they are `serve`'s to send: printed here, the bus would never
                // see them.
                if self.settings.bus.is_none() {
                    let files = outbox::FeedFiles::of(&self.settings);
                    // The release goes on whatever happens here: what is not printed stays
                    // queued for the next turn.
                    if let Err(e) = outbox::deliver(&self.store, &files).await {
                        progress.note(&format!("announcements not all printed ({e:#})"));
                    }
                }
            }
            progress.show(&r, &timeline, now);
            if r.state.is_terminal() || r.state.waits_for_person() {
                progress.finish();
                return Ok((r, false));
            }
            let wait = if moved.is_err() {
                Duration::from_secs(1)
            } else {
                crate::clock::wait(&self.clock, now, scale, r.next_check_at)
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut ctrl_c => {
                    progress.finish();
                    return Ok((r, true));
                }
            }
        }
    }
}
