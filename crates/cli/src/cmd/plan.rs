//! `amipub plan --product SPEC [--ami AMI --version V]`: the exact Catalog API change sets that
//! creating the product, or adding a version to it, would submit; for an existing product, the
//! live listing's differences from the spec and the change sets that fix them (`plan_live`). Text for people; `--format
//! json` prints StartChangeSet request bodies the AWS CLI accepts with `--cli-input-json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use amipub_domain::changeset::plan::{Plan, plan_add_version, plan_create, render_version};
use amipub_domain::changeset::product::VersionInput;
use amipub_domain::changeset::{Change, ChangeSet};
use amipub_domain::ids::AmiId;
use amipub_domain::release::build;
use amipub_domain::template::TemplateError;
use amipub_domain::validate::{has_errors, validate_text};
use anyhow::{Context, bail};
use serde_json::Value;

use crate::Outcome;
use crate::config::{self, Source};
use crate::report::{plural, print_problems};

/// Arguments of `amipub plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// Plan a version with this AMI (in us-east-1 of the seller account).
    #[arg(long)]
    ami: Option<String>,
    /// The version title; default: rendered from the spec's title template and --var values.
    #[arg(long)]
    version: Option<String>,
    /// Template variables for the version, e.g. --var release=41 (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// With --format json: print only change set N (1-based) of a multi-set plan.
    #[arg(long)]
    change_set: Option<usize>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.product)
        .with_context(|| format!("cannot read {}", args.product.display()))?;
    let (spec, problems) = validate_text(&text);
    print_problems(&args.product, &problems);
    let Some(spec) = spec.filter(|_| !has_errors(&problems)) else {
        eprintln!(
            "{} is invalid; run amipub validate {} for details",
            args.product.display(),
            args.product.display()
        );
        return Ok(Outcome::Invalid);
    };
    let Some((settings, source)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    if matches!(source, Source::BuiltIn) && matches!(args.format, Format::Text) {
        eprintln!("note: no amipub.toml found; using the built-in sandbox configuration");
    }

    let version = match (&args.ami, &args.version) {
        (None, Some(_)) => bail!("--version needs --ami: a version is an AMI plus its title"),
        (None, None) => None,
        (Some(ami), title) => {
            let ami: AmiId = ami.parse().map_err(|e| anyhow::anyhow!("--ami: {e}"))?;
            let Some((_, role)) = settings.seller() else {
                bail!("amipub.toml names no seller account and ingestion role in [partitions.aws]");
            };
            let vars = template_vars(&args.vars, &spec, ami.as_str())?;
            let (title, notes) = render_version(&spec, &vars, title.as_deref()).map_err(|e| match e {
                TemplateError::Missing(v) => anyhow::anyhow!(
                    "the spec's version templates use {{{v}}}; pass --var {v}=VALUE (or --version for the title)"
                ),
                other => anyhow::anyhow!("cannot render the version templates: {other}"),
            })?;
            Some(VersionInput {
                title,
                release_notes: notes,
                ami_id: ami.to_string(),
                access_role_arn: role.to_string(),
            })
        }
    };

    let mut spec = spec;
    let live = match (&version, args.format) {
        // An existing listing: its differences from the spec, and the changes that fix them.
        (None, Format::Text) => super::block_on(super::plan_live::plan(
            &mut spec,
            &args.product.display().to_string(),
            settings.clone(),
        ))?,
        _ => None,
    };
    let plan = match (live, &spec.product.id, &version) {
        (Some(p), _, _) => p,
        (None, Some(_), Some(v)) => {
            let mut p = plan_add_version(&spec, v, &[])?;
            p.notes.push(
                "When the release submits it, this change set also restricts the versions the retention policy then retires (read from the live listing at that moment)."
                    .to_owned(),
            );
            p
        }
        (None, None, v) => plan_create(&spec, v.as_ref())?,
        (None, Some(id), None) => Plan {
            change_sets: Vec::new(),
            notes: vec![format!(
                "{id} exists already, so there is nothing to create. Pass --ami and --version to plan a version."
            )],
        },
    };
    match args.format {
        Format::Json => print_json(&plan, args.change_set)?,
        Format::Text => print_text(&spec.product.slug, &plan),
    }
    Ok(Outcome::Ok)
}

/// The template variables of a planned version: the build given by `--ami` and `--var`.
fn template_vars(
    pairs: &[String],
    spec: &amipub_domain::spec::ProductSpec,
    ami: &str,
) -> anyhow::Result<BTreeMap<&'static str, String>> {
    let mut b = build::Build {
        source_ami: ami.to_owned(),
        ..build::Build::default()
    };
    for pair in pairs {
        let (name, value) = build::parse_var(pair).map_err(|e| anyhow::anyhow!("--var {e}"))?;
        b.vars.insert(name.to_owned(), value);
    }
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    Ok(build::template_vars(spec, &b, &date))
}

fn print_json(plan: &Plan, pick: Option<usize>) -> anyhow::Result<()> {
    let bodies: Vec<Value> = plan
        .change_sets
        .iter()
        .map(|cs| serde_json::to_value(cs.request()))
        .collect::<Result<_, _>>()?;
    let out = match (pick, bodies.len()) {
        (Some(n), len) if n == 0 || n > len => bail!(
            "--change-set {n}: the plan has {}",
            plural(len, "change set")
        ),
        (Some(n), _) => bodies[n - 1].clone(),
        (None, 1) => bodies[0].clone(),
        (None, _) => Value::Array(bodies),
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn print_text(slug: &str, plan: &Plan) {
    println!(
        "Plan for {slug}: {}",
        plural(plan.change_sets.len(), "change set")
    );
    for (i, cs) in plan.change_sets.iter().enumerate() {
        print_change_set(i + 1, plan.change_sets.len(), cs);
    }
    if !plan.notes.is_empty() {
        println!("\nNotes:");
        for n in &plan.notes {
            println!("  - {n}");
        }
    }
    if !plan.change_sets.is_empty() {
        println!("\nTo submit by hand: amipub plan ... --format json > cs.json, then");
        println!(
            "  aws marketplace-catalog start-change-set --region us-east-1 --cli-input-json file://cs.json"
        );
    }
}

fn print_change_set(n: usize, of: usize, cs: &ChangeSet) {
    println!("\nChange set {n} of {of}: {:?}", cs.name);
    println!("  purpose:            {}", cs.purpose);
    println!("  ClientRequestToken: {}", cs.token);
    for (i, c) in cs.changes.iter().enumerate() {
        let target = match (&c.entity.identifier, &c.change_name) {
            (Some(id), _) => id.clone(),
            (None, Some(name)) => format!("new {} (as {name})", c.entity.entity_type),
            (None, None) => format!("new {}", c.entity.entity_type),
        };
        println!("  {:>2}. {:<26} {target}", i + 1, c.change_type);
        println!("      {}", describe(c));
    }
}

/// One line saying what a change does.
fn describe(c: &Change) -> String {
    let d = &c.details_document;
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let short = |items: Vec<String>| -> String {
        let n = items.len();
        let head: Vec<String> = items.into_iter().take(6).collect();
        if n > 6 {
            format!("{} … ({n} in all)", head.join(", "))
        } else {
            head.join(", ")
        }
    };
    match c.change_type.as_str() {
        "CreateProduct" => format!("title {}", d["ProductTitle"]),
        "UpdateInformation" if d.get("ProductTitle").is_some() => format!(
            "title {}, {} highlights, categories {}, {} keywords",
            d["ProductTitle"],
            list(&d["Highlights"]).len(),
            short(list(&d["Categories"])),
            list(&d["SearchKeywords"]).len()
        ),
        "UpdateInformation" => format!("offer name {}", d["Name"]),
        "AddRegions" => format!("Regions: {}", short(list(&d["Regions"]))),
        "UpdateFutureRegionSupport" => format!(
            "future Regions: {}",
            short(list(&d["FutureRegionSupport"]["SupportedRegions"]))
        ),
        "AddInstanceTypes" => format!("instance types: {}", short(list(&d["InstanceTypes"]))),
        "AddDeliveryOptions" => {
            let src = &d["DeliveryOptions"][0]["Details"]["AmiDeliveryOptionDetails"]["AmiSource"];
            format!(
                "version {} with {} (user {}, scanning port {})",
                d["Version"]["VersionTitle"], src["AmiId"], src["UserName"], src["ScanningPort"]
            )
        }
        "RestrictDeliveryOptions" => {
            format!("delivery options: {}", short(list(&d["DeliveryOptionIds"])))
        }
        "AddDimensions" => {
            let keys: Vec<String> = d
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            format!(
                                "{} ({})",
                                x["Key"].as_str().unwrap_or("?"),
                                x["Types"][0].as_str().unwrap_or("?")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("dimensions: {}", short(keys))
        }
        "UpdateTargeting"
            if d.get("PositiveTargeting")
                .and_then(|p| p.get("BuyerAccounts"))
                .is_some() =>
        {
            format!(
                "allowlist: {}",
                short(list(&d["PositiveTargeting"]["BuyerAccounts"]))
            )
        }
        "UpdateTargeting" if d.get("NegativeTargeting").is_some() => {
            format!(
                "every country except {}",
                short(list(&d["NegativeTargeting"]["CountryCodes"]))
            )
        }
        "UpdateTargeting" => format!(
            "only countries {}",
            short(list(&d["PositiveTargeting"]["CountryCodes"]))
        ),
        "ReleaseProduct" => "Draft → Limited".to_owned(),
        "ReleaseOffer" => "Draft → Released".to_owned(),
        "CreateOffer" => format!("public offer {} for {}", d["Name"], d["ProductId"]),
        "UpdatePricingTerms" => {
            let rates: Vec<String> = d["Terms"][0]["RateCards"][0]["RateCard"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|r| {
                            format!(
                                "{}={}",
                                r["DimensionKey"].as_str().unwrap_or("?"),
                                r["Price"].as_str().unwrap_or("?")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} pricing, USD: {}",
                d["PricingModel"].as_str().unwrap_or("?"),
                short(rates)
            )
        }
        "UpdateLegalTerms" => {
            let doc = &d["Terms"][0]["Documents"][0];
            match doc["Type"].as_str() {
                Some("StandardEula") => {
                    format!("Standard Contract for AWS Marketplace {}", doc["Version"])
                }
                _ => format!("custom EULA {}", doc["Url"]),
            }
        }
        "UpdateSupportTerms" => format!("refund policy {}", d["Terms"][0]["RefundPolicy"]),
        "UpdateVisibility" => format!("visibility → {}", d["TargetVisibility"]),
        _ => String::new(),
    }
}
