//! `amipub load-form --out DIR`: the classic product load form, one row per product, as XLSX and
//! CSV. Specs with errors stop the export before anything is written.

use std::path::PathBuf;

use amipub_domain::load_form::{VersionColumns, row};
use amipub_domain::validate::{has_errors, validate_text};
use anyhow::{Context, bail};

use crate::Outcome;
use crate::report::{plural, print_problems};

/// Arguments of `amipub load-form`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write product-load-form.xlsx and product-load-form.csv into.
    #[arg(long)]
    out: PathBuf,
    /// Product specs (repeatable); default: every *.toml in the configured products directory.
    #[arg(long = "product")]
    products: Vec<PathBuf>,
    /// The current version of a product: SLUG=TITLE@AMI (repeatable).
    #[arg(long = "version", value_name = "SLUG=TITLE@AMI")]
    versions: Vec<String>,
    /// amipub.toml (default: ./amipub.toml, else the built-in configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let files = if args.products.is_empty() {
        super::validate::default_specs(args.config.as_deref())?
    } else {
        args.products.clone()
    };
    let mut versions = std::collections::BTreeMap::new();
    for v in &args.versions {
        let Some((slug, rest)) = v.split_once('=') else {
            bail!("--version {v:?}: write SLUG=TITLE@AMI")
        };
        let Some((title, ami)) = rest.rsplit_once('@') else {
            bail!("--version {v:?}: write SLUG=TITLE@AMI")
        };
        versions.insert(
            slug.to_owned(),
            VersionColumns {
                title: title.to_owned(),
                ami_id: ami.to_owned(),
                release_notes: String::new(),
            },
        );
    }
    let mut rows = Vec::new();
    let mut invalid = false;
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let (spec, problems) = validate_text(&text);
        print_problems(f, &problems);
        match spec {
            Some(spec) if !has_errors(&problems) => {
                let version = versions.remove(&spec.product.slug);
                rows.push(row(&spec, version.as_ref()));
            }
            _ => invalid = true,
        }
    }
    if invalid {
        eprintln!("nothing written: fix the specs above first");
        return Ok(Outcome::Invalid);
    }
    if let Some(slug) = versions.keys().next() {
        bail!("--version names {slug}, which is not the slug of any product given");
    }
    let written = amipub_loadform::write(&args.out, &rows)?;
    println!(
        "Wrote {} to {} and {}",
        plural(rows.len(), "product"),
        written.xlsx.display(),
        written.csv.display()
    );
    Ok(Outcome::Ok)
}
