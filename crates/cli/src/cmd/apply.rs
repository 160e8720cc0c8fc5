//! `amipub apply --product SPEC`: makes the live listing what the spec says.
//!
//! Without a product id it creates the product and its public offer (with a first version when
//! `--ami` names a seller-side AMI, released to Limited; else as a Draft that the next `apply`
//! releases once a version is published), then records the new ids in the state database and
//! in the spec file, and prints them. With an id it submits only the changes the field-by-field
//! difference needs, retires versions the retention policy no longer keeps, and cleans up the
//! seller-side images of retired versions after their grace period. Listing content is submitted
//! only when the spec's approval covers its hash.

use std::collections::BTreeSet;
use std::path::PathBuf;

use amipub_domain::changeset::plan::plan_create;
use amipub_domain::changeset::product::VersionInput;
use amipub_domain::changeset::{AMI_PRODUCT, OFFER};
use amipub_domain::lifecycle::approval::record_ids;
use amipub_domain::lifecycle::retention::{self, Cleanup};
use amipub_domain::lifecycle::{LiveVersion, check_approval, plan_sync};
use amipub_domain::spec::ProductSpec;
use amipub_engine::ports::Catalog;
use amipub_store::ProductIds;
use anyhow::{Context, bail};

use crate::Outcome;
use crate::listing::Lifecycle;
use crate::report::plural;
use crate::runtime::read_spec;

/// Arguments of `amipub apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// Creating: the first version's AMI (in us-east-1 of the seller account, already mirrored).
    #[arg(long, requires = "version")]
    ami: Option<String>,
    /// Creating: the first version's title.
    #[arg(long)]
    version: Option<String>,
    /// Creating: the first version's release notes.
    #[arg(long, default_value = "First version.")]
    notes: String,
    /// Do not touch seller-side images (retention cleanup).
    #[arg(long)]
    no_cleanup: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(apply(args))
}

async fn apply(args: Args) -> anyhow::Result<Outcome> {
    let (mut spec, text) = read_spec(&args.product)?;
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    lc.fill_ids(&mut spec).await?;
    let path = args.product.display().to_string();
    if spec.product.id.is_none() {
        return create(&lc, &spec, &text, &args).await;
    }
    if args.ami.is_some() {
        bail!(
            "--ami is for creating a product; {} exists, so publish versions with amipub publish",
            spec.product.id.as_deref().unwrap_or_default()
        );
    }
    let pid = spec.product.id.clone().unwrap_or_default();
    // Read the listing only once no change set is running on it: what a running one changes
    // would otherwise be planned again.
    lc.wait_unlocked(&pid).await?;
    let live = lc.live(&spec).await?;
    let today = retention::date_of(lc.clock.now().await?.0);
    let plan = plan_sync(&spec, &live, &pid, &today)?;
    let diffs = &plan.diffs;
    if let Err(e) = check_approval(&spec, diffs, plan.releasing, &path) {
        eprintln!("refused: {e}");
        return Ok(Outcome::Invalid);
    }
    for n in &plan.notes {
        eprintln!("note: {n}");
    }
    let fields = diffs.iter().map(|d| d.field).collect::<Vec<_>>().join(", ");
    if plan.change_sets.is_empty() && !diffs.is_empty() {
        eprintln!(
            "{}: no change set can fix {fields} (see the notes above); fix them in the Marketplace console or in the spec",
            spec.product.slug
        );
        return Ok(Outcome::Failed);
    } else if plan.change_sets.is_empty() {
        println!("{}: the listing matches the spec", spec.product.slug);
    } else {
        println!(
            "{}: {} to fix ({fields}), {}",
            spec.product.slug,
            plural(diffs.len(), "field"),
            plural(plan.retire.len(), "version to retire")
        );
        for cs in &plan.change_sets {
            lc.submit(cs, Some(&pid)).await?;
        }
        println!("{}: applied", spec.product.slug);
    }
    // Without a change set the versions just read are still current.
    let versions = if plan.change_sets.is_empty() {
        live.versions
    } else {
        lc.catalog().versions(&pid).await?
    };
    if !args.no_cleanup && !clean_up(&lc, &spec, &versions).await? {
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Ok)
}

/// Creates the product and its offer, then records and prints their ids.
async fn create(
    lc: &Lifecycle,
    spec: &ProductSpec,
    text: &str,
    args: &Args,
) -> anyhow::Result<Outcome> {
    if let Err(e) = check_approval(spec, &[], true, &args.product.display().to_string()) {
        eprintln!("refused: {e}");
        return Ok(Outcome::Invalid);
    }
    let first = match (&args.ami, &args.version) {
        (Some(ami), Some(v)) => Some(VersionInput {
            title: v.clone(),
            release_notes: args.notes.clone(),
            ami_id: ami
                .parse::<amipub_domain::ids::AmiId>()
                .map_err(|e| anyhow::anyhow!("--ami: {e}"))?
                .to_string(),
            access_role_arn: crate::runtime::seller(&lc.settings)?.ingestion_role,
        }),
        _ => None,
    };
    let plan = plan_create(spec, first.as_ref())?;
    println!("{}: creating the listing", spec.product.slug);
    let mut created = None;
    for cs in &plan.change_sets {
        let id = lc.submit(cs, None).await?;
        created = Some(id);
    }
    let id = created.context("the creation plan has no change set")?;
    let entities = lc.catalog().change_set_entities(&id).await?;
    let of = |t: &str| {
        entities
            .iter()
            .find(|(ty, _)| ty.starts_with(t.split('@').next().unwrap_or(t)))
            // DescribeChangeSet names entities with their revision (`prod-…@1`).
            .map(|(_, id)| id.split('@').next().unwrap_or(id).to_owned())
    };
    let product_id = of(AMI_PRODUCT).context("the creation change set names no product")?;
    let offer_id = of(OFFER);
    // Recorded at once, before anything else can fail, so a re-run never creates it again.
    let mut ids = ProductIds {
        product_id: product_id.clone(),
        product_code: None,
        offer_id: offer_id.clone(),
    };
    lc.store
        .set_product_ids(&spec.product.slug, text, &ids)
        .await?;
    let doc = lc.catalog().describe(&product_id).await?;
    let code = doc["Description"]["ProductCode"]
        .as_str()
        .map(str::to_owned);
    ids.product_code = code.clone();
    lc.store
        .set_product_ids(&spec.product.slug, text, &ids)
        .await?;
    println!("{}: created {product_id}:", spec.product.slug);
    println!("  [product]");
    println!("  id = \"{product_id}\"");
    if let Some(o) = &offer_id {
        println!("  offer_id = \"{o}\"");
    }
    if let Some(c) = &code {
        println!("  product_code = \"{c}\"");
    }
    let updated =
        record_ids(text, &product_id, offer_id.as_deref(), code.as_deref()).map_err(|e| {
            anyhow::anyhow!("cannot write the ids into the spec: {e}; add the lines above by hand")
        })?;
    crate::runtime::write_atomic(&args.product, &updated, "toml.amipub-tmp")?;
    println!("  (written into {})", args.product.display());
    for n in &plan.notes {
        println!("note: {n}");
    }
    Ok(Outcome::Ok)
}

/// Retires and then deletes the seller-side images of restricted versions; every mirror is
/// tried, and `false` comes back when any step failed (each one said why).
async fn clean_up(
    lc: &Lifecycle,
    spec: &ProductSpec,
    versions: &[LiveVersion],
) -> anyhow::Result<bool> {
    let fleet = lc.ports.fleet();
    let mirrors = fleet.mirrors(&spec.product.slug).await?;
    let in_flight: BTreeSet<String> = lc
        .store
        .active()
        .await?
        .into_iter()
        .filter(|r| r.product == spec.product.slug)
        .filter_map(|r| r.mirror_ami)
        .collect();
    let (now, _) = lc.clock.now().await?;
    let mut ok = true;
    for (m, step) in retention::cleanup(
        &mirrors,
        versions,
        &in_flight,
        spec.retention.grace_days,
        now,
    ) {
        let done = match step {
            Cleanup::Retire => fleet.retire(&m, now).await.map(|()| {
                format!(
                    "retired {} (sharing removed; deleted after {} days)",
                    m.ami, spec.retention.grace_days
                )
            }),
            Cleanup::Delete => fleet.delete(&m).await.map(|()| {
                format!(
                    "deleted {} and {}",
                    m.ami,
                    plural(m.snapshots.len(), "snapshot")
                )
            }),
            Cleanup::Waiting(until) => Ok(format!(
                "{} is retired; deleted from {}",
                m.ami,
                retention::date_of(until)
            )),
        };
        match done {
            Ok(line) => println!("  {line}"),
            Err(e) => {
                ok = false;
                eprintln!("  cleanup of {} failed (tried again next time): {e}", m.ami);
            }
        }
    }
    Ok(ok)
}
