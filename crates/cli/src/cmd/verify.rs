//! `amipub verify [--product SPEC] [--format json]`: audits each product, per Region — the
//! listing against the spec, a Marketplace AMI for every live version in every Region of the
//! listing, the SSM parameters pointing at launchable AMIs of live versions, and seller-side
//! leftovers — and prints one row per check: Correct, Incorrect, Missing, Unexpected or
//! Unreachable. Exit code 0 only when every row is Correct, 1 otherwise. The audit itself is the
//! engine's (`amipub_engine::audit`); this command reads the specs, prints the rows and stores
//! them as each product's last verify, for the console and `/api/v1/verify`.

use std::path::PathBuf;

use amipub_domain::lifecycle::audit::{all_correct, summary};
use amipub_domain::lifecycle::{Row, Status};
use amipub_engine::audit::audit;

use crate::Outcome;
use crate::listing::Lifecycle;
use crate::runtime::read_spec;

/// Arguments of `amipub verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One product spec (default: every spec in products_dir that has a product id).
    #[arg(long)]
    product: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print every row, Correct ones too (text format).
    #[arg(long)]
    all: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(verify(args))
}

async fn verify(args: Args) -> anyhow::Result<Outcome> {
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    let mut specs = Vec::new();
    match &args.product {
        Some(p) => specs.push(read_spec(p)?.0),
        None => {
            let paths = super::validate::specs_in(&lc.settings.products_dir).unwrap_or_default();
            for p in &paths {
                match read_spec(p) {
                    Ok((s, _)) => specs.push(s),
                    Err(e) => eprintln!("skipped: {e:#}"),
                }
            }
        }
    }
    // Read once for every product: the releases (their versions, and the mirrors still in flight)
    // and the time.
    let releases = lc.store.list(100_000).await.map_err(|e| e.to_string());
    let stored = releases.as_deref().map_err(String::as_str);
    let now = lc.clock.now().await.map_or(0, |(n, _)| n);
    let mut rows = Vec::new();
    for mut spec in specs {
        lc.fill_ids(&mut spec).await?;
        // Without an id the product does not exist yet: said only when it was asked about.
        if spec.product.id.is_some() || args.product.is_some() {
            let found = audit(lc.ports(), &spec, &lc.settings.tags, stored, now).await;
            // Kept for the console and the API; a store that cannot take them is only warned of.
            if let Err(e) = lc
                .store
                .record_verify(&spec.product.slug, &found, now)
                .await
            {
                eprintln!("warning: the result was not stored for the console: {e}");
            }
            rows.extend(found);
        }
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Text => print_table(&rows, args.all),
    }
    Ok(if all_correct(&rows) {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

fn print_table(rows: &[Row], all: bool) {
    let shown: Vec<&Row> = rows
        .iter()
        .filter(|r| all || r.status != Status::Correct)
        .collect();
    if !shown.is_empty() {
        println!(
            "{:<11} {:<24} {:<16} {:<44} {:<24} actual",
            "status", "product", "region", "item", "expected"
        );
        for r in shown {
            println!(
                "{:<11} {:<24} {:<16} {:<44} {:<24} {}",
                r.status.word(),
                r.product,
                r.region,
                r.item,
                r.expected,
                r.actual
            );
        }
    }
    println!("verify: {}", summary(rows));
}
