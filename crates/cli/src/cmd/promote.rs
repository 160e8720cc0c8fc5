//! `amipub promote --product SPEC --version V --alias latest`: points an alias parameter at
//! version V's Marketplace AMI in every Region where that AMI is launchable now — the way to roll
//! `latest` back to an older version, or forward again. Regions where it is not (missing,
//! deregistered, not shown to the seller, still pending) keep their value and are listed; the exit
//! code is 1 then. A restricted version, an alias the spec does not name or a version with no
//! finished release is refused. The checks and writes are the engine's `promote` job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use amipub_domain::job::{JobKind, JobRequest};
use amipub_domain::lifecycle::approval::record_ids;

use crate::Outcome;
use crate::jobs;
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
    /// Record the job for the `amipub serve` workers and print its id, instead of following it.
    #[arg(long)]
    detach: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(promote(args))
}

async fn promote(args: Args) -> anyhow::Result<Outcome> {
    let (mut spec, text) = read_spec(&args.product)?;
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    lc.fill_ids(&mut spec).await?;
    let spec_text = match &spec.product.id {
        Some(pid) => {
            let p = &spec.product;
            record_ids(&text, pid, p.offer_id.as_deref(), p.product_code.as_deref())
                .map_err(|e| anyhow::anyhow!("cannot carry the ids in the job's spec: {e}"))?
        }
        None => text,
    };
    let request = JobRequest {
        kind: JobKind::Promote,
        product: spec.product.slug.clone(),
        spec: spec_text,
        args: BTreeMap::from([
            ("version".to_owned(), args.version.clone()),
            ("alias".to_owned(), args.alias.clone()),
        ]),
    };
    let ended = jobs::ask(&lc, request, args.detach).await?;
    ended.print();
    Ok(ended.outcome())
}
