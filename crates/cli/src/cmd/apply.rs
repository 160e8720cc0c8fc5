//! `amipub apply --product SPEC`: makes the live listing what the spec says.
//!
//! Without a product id it asks for a `create` job: the product and its public offer (with a
//! first version when `--ami` names a seller-side AMI, released to Limited; else as a Draft that
//! the next `apply` releases once a version is published); the job records the new ids in the
//! state database, and this command writes them into the spec file and prints them. With an id
//! it asks for a `sync` job: only the changes the field-by-field difference needs, versions the
//! retention policy no longer keeps retired, and the seller-side images of retired versions
//! cleaned up after their grace period. Listing content is submitted only when the spec's
//! approval covers its hash. The job is durable: interrupted, it goes on in `amipub serve` or
//! when the same command runs again. `--tags` only adds the configured and provenance tags to
//! the product's older resources (`engine::retag`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use amipub_domain::job::{JobKind, JobRequest, JobState};
use amipub_domain::lifecycle::approval::record_ids;
use amipub_domain::spec::ProductSpec;
use anyhow::bail;

use crate::Outcome;
use crate::jobs;
use crate::listing::Lifecycle;
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
    /// Only add the configured and provenance tags (`[tags]`) to the product's resources made
    /// before: seller-side copies, their snapshots and SSM parameters. Changes no listing.
    #[arg(long, conflicts_with_all = ["ami", "version", "detach"])]
    tags: bool,
    /// Record the job and return at once (amipub serve, or the same command again, runs it).
    #[arg(long)]
    detach: bool,
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
    if spec.product.delivery_path == amipub_domain::spec::DeliveryPath::SecondParty {
        bail!(
            "{} is a second-party product: AWS is its seller, so its listing is changed by the Marketplace team, not by change sets; amipub load-form --out DIR writes the Metadata Update sheet of your second-party load form template to attach to a ticket",
            args.product.display()
        );
    }
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    if args.tags {
        return retag(&lc, spec).await;
    }
    let in_file = spec.product.id.is_some();
    lc.fill_ids(&mut spec).await?;
    let creating = spec.product.id.is_none();
    if !in_file && !creating {
        // Created earlier (an interrupted or detached apply): the spec file learns its ids now.
        write_ids(&lc, &spec, &text, &args.product).await?;
    }
    if !creating && args.ami.is_some() {
        bail!(
            "--ami is for creating a product; {} exists, so publish versions with amipub publish",
            spec.product.id.as_deref().unwrap_or_default()
        );
    }
    let mut a = BTreeMap::from([("spec_path".to_owned(), args.product.display().to_string())]);
    if creating {
        if let (Some(ami), Some(v)) = (&args.ami, &args.version) {
            let ami = ami
                .parse::<amipub_domain::ids::AmiId>()
                .map_err(|e| anyhow::anyhow!("--ami: {e}"))?;
            a.insert("ami".into(), ami.to_string());
            a.insert("version".into(), v.clone());
            a.insert("notes".into(), args.notes.clone());
            let role = crate::runtime::seller(&lc.settings)?.ingestion_role;
            a.insert("role".into(), role);
        }
    } else {
        a.insert("cleanup".into(), (!args.no_cleanup).to_string());
    }
    let request = JobRequest {
        kind: if creating {
            JobKind::Create
        } else {
            JobKind::Sync
        },
        product: spec.product.slug.clone(),
        spec: with_ids(&text, &spec)?,
        args: a,
    };
    let ended = jobs::ask(&lc, request, args.detach).await?;
    ended.print();
    if creating && ended.job.state == JobState::Done {
        write_ids(&lc, &spec, &text, &args.product).await?;
    }
    Ok(ended.outcome())
}

/// The spec text with the ids known for it (from the spec, or from what `apply` recorded), so
/// the job carries them whichever worker runs it.
fn with_ids(text: &str, spec: &ProductSpec) -> anyhow::Result<String> {
    let Some(id) = &spec.product.id else {
        return Ok(text.to_owned());
    };
    let p = &spec.product;
    record_ids(text, id, p.offer_id.as_deref(), p.product_code.as_deref())
        .map_err(|e| anyhow::anyhow!("cannot carry the ids in the job's spec: {e}"))
}

/// Writes the ids a creation recorded into the spec file (atomically), as `apply` prints them.
async fn write_ids(
    lc: &Lifecycle,
    spec: &ProductSpec,
    text: &str,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let Some(ids) = lc.store.product_ids(&spec.product.slug).await? else {
        bail!("the creation finished but recorded no ids; run amipub apply again");
    };
    let updated = record_ids(
        text,
        &ids.product_id,
        ids.offer_id.as_deref(),
        ids.product_code.as_deref(),
    )
    .map_err(|e| {
        anyhow::anyhow!("cannot write the ids into the spec: {e}; add the lines above by hand")
    })?;
    crate::files::write_atomic(path, &updated, "toml.amipub-tmp")?;
    println!("  (written into {})", path.display());
    Ok(())
}

/// `--tags`: the tags on the product's older resources; the lines say what was added.
async fn retag(lc: &Lifecycle, spec: ProductSpec) -> anyhow::Result<Outcome> {
    let stored = lc.store.list(100_000).await?;
    let slug = spec.product.slug.clone();
    let product = amipub_engine::Product {
        tags: lc.settings.tags.clone(),
        ..amipub_engine::Product::new(spec, "")
    };
    let lines = amipub_engine::retag::retag(lc.ports(), &product, &stored)
        .await
        .map_err(|e| anyhow::anyhow!("{slug}: {e}"))?;
    println!("{slug}: tags");
    for l in lines {
        println!("{l}");
    }
    Ok(Outcome::Ok)
}
