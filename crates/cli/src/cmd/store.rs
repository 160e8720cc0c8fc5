//! `amipub migrate` and `amipub store copy`: the state database's schema applied explicitly
//! (on PostgreSQL workers refuse a schema behind their own), and a one-machine installation
//! moved to another database — every release, job, timeline entry, inbox and outbox row.

use std::path::PathBuf;

use amipub_store::backend::redact;
use amipub_store::{Connect, SqlStore};
use anyhow::Context;

use crate::Outcome;
use crate::config;
use crate::runtime::store_connect;

/// Arguments of `amipub migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Arguments of `amipub store`.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, clap::Subcommand)]
enum StoreCommand {
    /// Copy every row of one state database into another, empty one (migrated first).
    Copy(CopyArgs),
}

#[derive(Debug, clap::Args)]
struct CopyArgs {
    /// The database to copy from, e.g. sqlite://amipub.db (stop its workers first).
    #[arg(long)]
    from: String,
    /// The database to copy into, e.g. postgres://amipub@db/amipub. When it is amipub.toml's
    /// [store] url, that table's password and TLS settings are used.
    #[arg(long)]
    to: String,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs `amipub migrate`.
pub fn migrate(args: MigrateArgs) -> anyhow::Result<Outcome> {
    super::block_on(async {
        let Some((settings, _)) = config::load(args.config.as_deref())? else {
            return Ok(Outcome::Invalid);
        };
        let connect = store_connect(&settings.store)?;
        let store = open_raw(&connect).await?;
        let before = store.schema_version().await?;
        let ran = store.migrate().await?;
        let latest = amipub_store::migrate::latest();
        match ran {
            0 => println!(
                "{} is at schema version {latest}: nothing to apply",
                redact(&connect.url)
            ),
            n => println!(
                "{}: {n} migration(s) applied, schema version {} → {latest}",
                redact(&connect.url),
                before
            ),
        }
        store.close().await;
        Ok(Outcome::Ok)
    })
}

/// Runs `amipub store …`.
pub fn store(args: StoreArgs) -> anyhow::Result<Outcome> {
    match args.command {
        StoreCommand::Copy(a) => super::block_on(copy(a)),
    }
}

async fn copy(args: CopyArgs) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    let connect_of = |url: &str| -> anyhow::Result<Connect> {
        if url == settings.store.url {
            store_connect(&settings.store)
        } else {
            Ok(Connect::from(url))
        }
    };
    let from = SqlStore::open(connect_of(&args.from)?)
        .await
        .with_context(|| format!("cannot open {}", redact(&args.from)))?;
    let to = open_raw(&connect_of(&args.to)?).await?;
    to.migrate().await?;
    let copied = amipub_store::copy::copy(&from, &to)
        .await
        .with_context(|| format!("nothing was copied into {}", redact(&args.to)))?;
    println!("Copied {} → {}:", redact(&args.from), redact(&args.to));
    for (table, n) in &copied {
        println!("  {table:<14} {n}");
    }
    from.close().await;
    to.close().await;
    Ok(Outcome::Ok)
}

async fn open_raw(connect: &Connect) -> anyhow::Result<SqlStore> {
    SqlStore::connect(connect)
        .await
        .with_context(|| format!("cannot reach the state database {}", redact(&connect.url)))
}
