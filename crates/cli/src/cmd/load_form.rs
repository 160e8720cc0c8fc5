//! `amipub load-form --out DIR`: for catalog products, amipub's own overview in the classic
//! load form's shape, one row per product, as XLSX and CSV; for second-party products, the
//! "Metadata Update" sheet of the operator's second-party load form template. Specs with errors
//! stop the export before anything is written.

use std::path::PathBuf;

use amipub_domain::load_form::{VersionColumns, row};
use amipub_domain::second_party::form::metadata_row;
use amipub_domain::spec::{DeliveryPath, ProductSpec};
use amipub_domain::validate::{has_errors, validate_text};
use amipub_loadform::template;
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
    let mut second_party = Vec::new();
    let mut invalid = false;
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let (spec, problems) = validate_text(&text);
        print_problems(f, &problems);
        match spec {
            Some(spec) if !has_errors(&problems) => {
                let version = versions.remove(&spec.product.slug);
                if spec.product.delivery_path == DeliveryPath::SecondParty {
                    second_party.push(spec);
                } else {
                    rows.push(row(&spec, version.as_ref()));
                }
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
    if !second_party.is_empty() {
        let path = write_second_party(&args, &second_party)?;
        println!(
            "Wrote the Metadata Update sheet of {} into a copy of the second-party load form: {}",
            plural(second_party.len(), "product"),
            path.display()
        );
    }
    if rows.is_empty() {
        return Ok(Outcome::Ok);
    }
    let written = amipub_loadform::write(&args.out, &rows)?;
    println!(
        "Wrote {} to {} and {} (amipub's own overview of catalog products, not a Marketplace form)",
        plural(rows.len(), "product"),
        written.xlsx.display(),
        written.csv.display()
    );
    Ok(Outcome::Ok)
}

/// The "Metadata Update" rows of second-party products, filled into a copy of the operator's
/// template (`[second_party] template`).
fn write_second_party(args: &Args, specs: &[ProductSpec]) -> anyhow::Result<PathBuf> {
    let settings = crate::config::load(args.config.as_deref())?.map(|(s, _)| s);
    let Some(path) = settings.and_then(|s| s.second_party.template) else {
        bail!(
            "{} {} second-party: set [second_party] template in amipub.toml to your copy of the AWS Marketplace second-party product load form (XLSX); amipub fills its Metadata Update sheet",
            specs
                .iter()
                .map(|s| s.product.slug.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if specs.len() == 1 { "is" } else { "are" }
        );
    };
    let template = std::fs::read(&path)
        .with_context(|| format!("cannot read the load form template {path}"))?;
    let rows: Vec<_> = specs
        .iter()
        .map(|s| amipub_engine::second_party::cells(metadata_row(s)))
        .collect();
    let filled = template::fill(&template, template::METADATA_SHEET, &rows)
        .map_err(|e| anyhow::anyhow!(amipub_engine::second_party::template_words(&path, e)))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let out = args.out.join("second-party-load-form.xlsx");
    crate::files::write_atomic(&out, filled, "xlsx.tmp")?;
    Ok(out)
}
