//! `amipub visibility --product SPEC public`: asks Marketplace to move a Limited product to
//! Public (an `UpdateVisibility` change set, reviewed by AWS, which takes days) as a durable
//! `visibility` job, and follows it. Interrupted, the job goes on in `amipub serve`, and the same
//! command follows it again.

use std::collections::BTreeMap;
use std::path::PathBuf;

use amipub_domain::job::{JobKind, JobRequest};
use amipub_domain::lifecycle::approval::record_ids;

use crate::Outcome;
use crate::jobs;
use crate::listing::Lifecycle;
use crate::runtime::read_spec;

/// Arguments of `amipub visibility`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// The visibility wanted.
    #[arg(value_enum)]
    target: Target,
    /// Record the job and return at once (amipub serve, or the same command again, runs it).
    #[arg(long)]
    detach: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Target {
    Public,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(async move {
        let (mut spec, text) = read_spec(&args.product)?;
        let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
            return Ok(Outcome::Invalid);
        };
        lc.fill_ids(&mut spec).await?;
        let Some(pid) = spec.product.id.clone() else {
            eprintln!(
                "{} has no product id: create it with amipub apply first",
                args.product.display()
            );
            return Ok(Outcome::Invalid);
        };
        let Target::Public = args.target;
        let p = &spec.product;
        let spec_text = record_ids(
            &text,
            &pid,
            p.offer_id.as_deref(),
            p.product_code.as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("cannot carry the ids in the job's spec: {e}"))?;
        let request = JobRequest {
            kind: JobKind::Visibility,
            product: p.slug.clone(),
            spec: spec_text,
            args: BTreeMap::from([("spec_path".to_owned(), args.product.display().to_string())]),
        };
        let ended = jobs::ask(&lc, request, args.detach).await?;
        ended.print();
        Ok(ended.outcome())
    })
}
