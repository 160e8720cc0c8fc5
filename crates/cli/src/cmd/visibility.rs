//! `amipub visibility --product SPEC public`: asks Marketplace to move a Limited product to
//! Public (an `UpdateVisibility` change set, reviewed by AWS) and follows the request to its end.
//! Interrupted, the same command finds the same request again (deterministic token).

use std::path::PathBuf;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::changeset::plan::{change_set_name, token};
use amipub_domain::changeset::product::update_visibility;

use crate::Outcome;
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
        let (mut spec, _) = read_spec(&args.product)?;
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
        // Going Public shows the content to every buyer: the approval must cover it as it is.
        if let Err(e) = amipub_domain::lifecycle::check_approval(
            &spec,
            &[],
            true,
            &args.product.display().to_string(),
        ) {
            eprintln!("refused: {e}");
            return Ok(Outcome::Invalid);
        }
        lc.wait_unlocked(&pid).await?;
        let live = lc.live(&spec).await?;
        if let Some(d) = amipub_domain::lifecycle::diff(&spec, &live)
            .iter()
            .find(|d| d.is_content())
        {
            eprintln!(
                "refused: the listing's {} differs from the spec; run amipub apply first, so what goes Public is what was approved",
                d.field
            );
            return Ok(Outcome::Invalid);
        }
        match live.visibility.as_str() {
            "Public" => {
                println!("{}: already Public", spec.product.slug);
                return Ok(Outcome::Ok);
            }
            "Limited" => {}
            other => {
                eprintln!(
                    "{} is {other}: only a Limited product can go Public (amipub apply releases a Draft with a version to Limited)",
                    spec.product.slug
                );
                return Ok(Outcome::Invalid);
            }
        }
        let changes = vec![update_visibility("Public", &pid)];
        let name = change_set_name(&format!("amipub visibility {} public", spec.product.slug));
        // The token covers the listing as it is, so a request asked again after a refusal (and
        // an edit) is a new request, while a re-run of the same one finds it.
        let salt = amipub_domain::lifecycle::content_hash(&spec);
        let cs = ChangeSet {
            token: token(&format!("{name} {salt}"), &changes),
            purpose: format!("make {} Public", spec.product.slug),
            name,
            changes,
        };
        println!(
            "{}: requesting Limited → Public (reviewed by AWS Marketplace)",
            spec.product.slug
        );
        lc.submit(&cs, Some(&pid)).await?;
        let now = lc.live(&spec).await?.visibility;
        println!("{}: visibility is now {now}", spec.product.slug);
        Ok(Outcome::Ok)
    })
}
