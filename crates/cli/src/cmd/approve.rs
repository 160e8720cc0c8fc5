//! `amipub approve --product SPEC --reference URL`: records that the spec's current listing
//! content was approved (where: the reference; what: the content hash) in the spec's
//! `[approval]` table, leaving the rest of the file as it was. `apply` then submits that content;
//! any later content edit needs a new approval.

use std::path::PathBuf;

use amipub_domain::lifecycle::approval::record_approval;
use amipub_domain::lifecycle::content_hash;

use crate::Outcome;
use crate::runtime::read_spec;

/// Arguments of `amipub approve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// Where the approval was given: a ticket URL or id.
    #[arg(long)]
    reference: String,
    /// Accepted like every other command's; approving reads no configuration (the record lives
    /// in the spec file).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let reference = args.reference.trim();
    if reference.is_empty() {
        eprintln!("--reference is empty: give the ticket URL or id where the content was approved");
        return Ok(Outcome::Invalid);
    }
    let (spec, text) = read_spec(&args.product)?;
    let hash = content_hash(&spec);
    if let Some(a) = &spec.approval
        && a.reference == reference
        && a.content_hash.as_deref() == Some(hash.as_str())
    {
        println!(
            "{}: already approved ({reference}, {hash})",
            spec.product.slug
        );
        return Ok(Outcome::Ok);
    }
    let updated = record_approval(&text, reference, &hash, &super::login())
        .map_err(|e| anyhow::anyhow!("cannot update {}: {e}", args.product.display()))?;
    crate::files::write_atomic(&args.product, &updated, "toml.amipub-tmp")?;
    println!(
        "{}: approval recorded in {}: {reference} covers {hash}",
        spec.product.slug,
        args.product.display()
    );
    Ok(Outcome::Ok)
}
