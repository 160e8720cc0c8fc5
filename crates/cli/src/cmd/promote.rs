//! `amipub promote --product SPEC --version V --alias latest`: points an alias parameter at
//! version V's Marketplace AMI in every Region where that AMI is launchable now — the way to roll
//! `latest` back to an older version, or forward again. Regions where it is not (missing,
//! deregistered, not shown to the seller, still pending) keep their value and are listed; the exit
//! code is 1 then. A restricted version is refused.

use std::path::PathBuf;

use amipub_domain::release::State;
use amipub_engine::Product;
use amipub_engine::execute::variables;
use amipub_engine::ports::Catalog;
use anyhow::Context;

use crate::Outcome;
use crate::listing::Lifecycle;
use crate::runtime::read_spec;

/// Arguments of `amipub promote`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// The version to point the alias at (a release amipub published).
    #[arg(long)]
    version: String,
    /// The alias, as named in the spec's `[ssm.aliases]`.
    #[arg(long, default_value = "latest")]
    alias: String,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(promote(args))
}

async fn promote(args: Args) -> anyhow::Result<Outcome> {
    let (mut spec, _) = read_spec(&args.product)?;
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    lc.fill_ids(&mut spec).await?;
    let Some(template) = spec
        .ssm
        .as_ref()
        .and_then(|s| s.aliases.get(&args.alias))
        .cloned()
    else {
        let known: Vec<String> = spec
            .ssm
            .iter()
            .flat_map(|s| s.aliases.keys().cloned())
            .collect();
        eprintln!(
            "{} has no alias {:?} in [ssm.aliases] (it has: {})",
            args.product.display(),
            args.alias,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
        return Ok(Outcome::Invalid);
    };
    let releases = lc.store.list(100_000).await?;
    let Some(r) = releases.into_iter().find(|r| {
        r.product == spec.product.slug && r.version == args.version && r.state == State::Done
    }) else {
        eprintln!(
            "no finished release of {} {} in the state database; `amipub status` lists the releases",
            spec.product.slug, args.version
        );
        return Ok(Outcome::Invalid);
    };
    // A restricted version is no longer offered to new buyers: no alias should lead there.
    if let Some(pid) = &spec.product.id {
        let versions = lc.catalog().versions(pid).await?;
        if versions
            .iter()
            .any(|v| v.title == args.version && v.restricted)
        {
            eprintln!(
                "{} {} is restricted (retired) on the listing: promote a live version",
                spec.product.slug, args.version
            );
            return Ok(Outcome::Invalid);
        }
    }
    let product = Product {
        role_arn: String::new(),
        spec: spec.clone(),
    };
    let name = amipub_domain::template::render(&template, &variables(&product, &r))
        .map_err(|e| anyhow::anyhow!("[ssm.aliases] {}: {e}", args.alias))?;
    let fleet = lc.ports.fleet();
    let regions = spec.region_codes();
    let mut promoted = 0usize;
    let mut kept: Vec<String> = Vec::new();
    for region in &regions {
        let Some(ami) = r.regions.get(region) else {
            kept.push(format!(
                "{region}: no Marketplace AMI of {} was found there",
                r.version
            ));
            continue;
        };
        let look = fleet.image(region, ami).await;
        match look {
            // The engine's rule: EC2 shows it to the seller there and it is available.
            Ok(Some(i)) if i.state == "available" => {
                lc.parameters()
                    .put_if_changed(region, &name, ami)
                    .await
                    .with_context(|| format!("cannot write {name} in {region}"))?;
                promoted += 1;
                println!("  {region:<16} {name} → {ami}");
            }
            Ok(Some(i)) => kept.push(format!("{region}: {ami} is {}", i.state)),
            Ok(None) => kept.push(format!("{region}: {ami} does not exist there any more")),
            Err(e) => kept.push(format!("{region}: cannot look at {ami}: {e}")),
        }
    }
    println!(
        "{}: {} → {} in {promoted} of {} Regions",
        spec.product.slug,
        args.alias,
        r.version,
        regions.len()
    );
    if kept.is_empty() {
        return Ok(Outcome::Ok);
    }
    eprintln!("left unchanged (never pointed at an image buyers cannot launch):");
    for k in &kept {
        eprintln!("  {k}");
    }
    Ok(Outcome::Failed)
}
