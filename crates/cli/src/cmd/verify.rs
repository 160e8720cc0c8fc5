//! `amipub verify [--product SPEC] [--format json]`: audits each product, per Region — the
//! listing against the spec, a Marketplace AMI for every live version in every Region of the
//! listing, the SSM parameters pointing at launchable AMIs of live versions, and seller-side
//! leftovers — and prints one row per check: Correct, Incorrect, Missing, Unexpected or
//! Unreachable. Exit code 0 only when every row is Correct, 1 otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use amipub_aws::adapters::fleet::Fleet;
use amipub_domain::lifecycle::audit::{all_correct, parameter_status, summary};
use amipub_domain::lifecycle::retention::grace_end;
use amipub_domain::lifecycle::{LiveVersion, Row, Status, diff};
use amipub_domain::release::{Release, State, mirror_name};
use amipub_domain::spec::ProductSpec;
use amipub_domain::template;
use amipub_engine::Product;
use amipub_engine::execute::{parameter_names, variables};
use amipub_engine::ports::{Catalog, Parameters};

use crate::Outcome;
use crate::listing::Lifecycle;
use crate::runtime::read_spec;

/// Arguments of `amipub verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One product spec (default: every spec in products_dir that has a product id).
    #[arg(long)]
    product: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print every row, Correct ones too (text format).
    #[arg(long)]
    all: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(verify(args))
}

async fn verify(args: Args) -> anyhow::Result<Outcome> {
    let Some(lc) = Lifecycle::open(args.config.as_deref()).await? else {
        return Ok(Outcome::Invalid);
    };
    let mut specs = Vec::new();
    match &args.product {
        Some(p) => specs.push(read_spec(p)?.0),
        None => {
            let paths = super::validate::specs_in(&lc.settings.products_dir).unwrap_or_default();
            for p in &paths {
                match read_spec(p) {
                    Ok((s, _)) => specs.push(s),
                    Err(e) => eprintln!("skipped: {e:#}"),
                }
            }
        }
    }
    // Read once for every product: the releases (their versions, and the mirrors still in flight)
    // and the time.
    let known = Known {
        releases: lc.store.list(100_000).await.map_err(|e| e.to_string()),
        now: lc.clock.now().await.map_or(0, |(n, _)| n),
    };
    let mut rows = Vec::new();
    for mut spec in specs {
        lc.fill_ids(&mut spec).await?;
        if spec.product.id.is_none() {
            if args.product.is_some() {
                rows.push(Row::new(
                    &spec.product.slug,
                    "-",
                    "listing",
                    Status::Missing,
                    "a Marketplace product",
                    "no product id (amipub apply creates it)",
                ));
            }
            continue;
        }
        rows.extend(audit(&lc, &spec, &known).await);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Text => print_table(&rows, args.all),
    }
    Ok(if all_correct(&rows) {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

fn print_table(rows: &[Row], all: bool) {
    let shown: Vec<&Row> = rows
        .iter()
        .filter(|r| all || r.status != Status::Correct)
        .collect();
    if !shown.is_empty() {
        println!(
            "{:<11} {:<24} {:<16} {:<44} {:<24} actual",
            "status", "product", "region", "item", "expected"
        );
        for r in shown {
            println!(
                "{:<11} {:<24} {:<16} {:<44} {:<24} {}",
                r.status.word(),
                r.product,
                r.region,
                r.item,
                r.expected,
                r.actual
            );
        }
    }
    println!("verify: {}", summary(rows));
}

/// What every product's audit reads from the store and the clock.
struct Known {
    /// Every release, or why they could not be read.
    releases: Result<Vec<Release>, String>,
    /// Epoch seconds.
    now: i64,
}

/// Every row of one product.
async fn audit(lc: &Lifecycle, spec: &ProductSpec, known: &Known) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let mut rows = Vec::new();
    let live = match lc.live(spec).await {
        Ok(l) => l,
        Err(e) => {
            rows.push(Row::new(
                slug,
                "-",
                "listing",
                Status::Unreachable,
                "",
                format!("{e:#}"),
            ));
            return rows;
        }
    };
    let diffs = diff(spec, &live);
    if diffs.is_empty() {
        rows.push(Row::new(
            slug,
            "-",
            "listing",
            Status::Correct,
            "as the spec",
            "as the spec",
        ));
    }
    for d in &diffs {
        let lines = d.lines();
        let (minus, plus): (Vec<&String>, Vec<&String>) =
            lines.iter().partition(|l| l.starts_with("- "));
        rows.push(Row::new(
            slug,
            "-",
            d.field,
            Status::Incorrect,
            clip(
                &plus
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            clip(
                &minus
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ));
    }
    let code = spec
        .product
        .product_code
        .clone()
        .or(live.product_code.clone())
        .unwrap_or_default();
    let regions = spec.region_codes();
    let stored = match &known.releases {
        Ok(r) => r,
        Err(e) => {
            rows.push(Row::new(
                slug,
                "-",
                "releases",
                Status::Unreachable,
                "the state database",
                e.as_str(),
            ));
            return rows;
        }
    };
    if code.is_empty() {
        rows.push(Row::new(
            slug,
            "-",
            "product code",
            Status::Missing,
            "a product code",
            "none on the spec or the listing",
        ));
        return rows;
    }
    let releases: BTreeMap<String, &Release> = stored
        .iter()
        .filter(|r| r.product == slug && r.state == State::Done)
        .map(|r| (r.version.clone(), r))
        .collect();
    // Mirrors of releases still on their way are not leftovers.
    let in_flight: BTreeSet<String> = stored
        .iter()
        .filter(|r| !r.state.is_terminal())
        .filter_map(|r| r.mirror_ami.clone())
        .collect();
    let product = Product {
        spec: spec.clone(),
        role_arn: String::new(),
    };
    let fleet = lc.ports().fleet();
    let home = "us-east-1";
    // Located Marketplace AMIs per live version, Region → AMI.
    let mut located: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for v in live.live_versions() {
        let name = match releases.get(&v.title) {
            Some(r) => Some(mirror_name(r)),
            None => match &v.source_ami {
                Some(ami) => fleet.image(home, ami).await.ok().flatten().map(|i| i.name),
                None => None,
            },
        };
        let item = format!("ami {}", v.title);
        let Some(name) = name else {
            rows.push(Row::new(
                slug,
                home,
                format!("seller {item}"),
                Status::Missing,
                v.source_ami.clone().unwrap_or_default(),
                "gone: cannot tell its Marketplace AMIs",
            ));
            continue;
        };
        match lc.catalog().locate(&code, &name, &regions).await {
            Ok(found) => {
                for region in &regions {
                    match found.get(region) {
                        Some(ami) => rows.push(Row::new(
                            slug,
                            region,
                            &item,
                            Status::Correct,
                            "available",
                            ami.as_str(),
                        )),
                        None => rows.push(Row::new(
                            slug,
                            region,
                            &item,
                            Status::Missing,
                            "available",
                            "none",
                        )),
                    }
                }
                located.push((v.title.clone(), found));
            }
            Err(e) => rows.push(Row::new(
                slug,
                "*",
                &item,
                Status::Unreachable,
                "available",
                e.to_string(),
            )),
        }
    }
    rows.extend(parameters(lc, &product, &releases, &located, &regions).await);
    rows.extend(leftovers(spec, &live.versions, fleet, &in_flight, known.now).await);
    rows
}

/// Versioned parameters hold their version's AMI; aliases hold a launchable AMI of a live version.
async fn parameters(
    lc: &Lifecycle,
    product: &Product,
    releases: &BTreeMap<String, &Release>,
    located: &[(String, BTreeMap<String, String>)],
    regions: &[String],
) -> Vec<Row> {
    let slug = product.spec.product.slug.as_str();
    let mut rows = Vec::new();
    let Some(ssm) = &product.spec.ssm else {
        return rows;
    };
    // alias name → Region → AMIs it may hold.
    let mut aliases: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (title, found) in located {
        let Some(r) = releases.get(title) else {
            continue;
        };
        let vars = variables(product, r);
        if let Ok(names) = parameter_names(product, r)
            && let Some(versioned) = names.first()
        {
            for region in regions {
                let want = found.get(region);
                let item = format!("ssm {versioned}");
                let Some(held) = held(lc, slug, region, versioned, &mut rows).await else {
                    continue;
                };
                // A Region without the version's AMI should have no versioned parameter either.
                let status = match (want, &held) {
                    (None, None) => continue,
                    (None, Some(_)) => Status::Incorrect,
                    (Some(ami), v) => {
                        parameter_status(v.as_deref(), std::slice::from_ref(ami), true)
                    }
                };
                rows.push(Row::new(
                    slug,
                    region,
                    item,
                    status,
                    want.cloned().unwrap_or_else(|| "none".into()),
                    held.unwrap_or_else(|| "none".into()),
                ));
            }
        }
        for tpl in ssm.aliases.values() {
            if let Ok(name) = template::render(tpl, &vars) {
                let per = aliases.entry(name).or_default();
                for (region, ami) in found {
                    per.entry(region.clone()).or_default().push(ami.clone());
                }
            }
        }
    }
    for (name, per) in &aliases {
        for region in regions {
            let allowed = per.get(region).cloned().unwrap_or_default();
            let item = format!("ssm {name}");
            let Some(held) = held(lc, slug, region, name, &mut rows).await else {
                continue;
            };
            if held.is_none() && allowed.is_empty() {
                // Nothing was ever published here: nothing to point at.
                continue;
            }
            // `allowed` holds only AMIs `locate` found available moments ago, so a held value
            // among them is launchable; any other value is Incorrect whatever its state.
            let status = parameter_status(held.as_deref(), &allowed, true);
            rows.push(Row::new(
                slug,
                region,
                item,
                status,
                allowed.join(" or "),
                held.unwrap_or_else(|| "none".into()),
            ));
        }
    }
    rows
}

/// Seller-side mirrors no version uses, and retired ones past their grace period.
async fn leftovers(
    spec: &ProductSpec,
    versions: &[LiveVersion],
    fleet: &Fleet,
    in_flight: &BTreeSet<String>,
    now: i64,
) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let mirrors = match fleet.mirrors(slug).await {
        Ok(m) => m,
        Err(e) => {
            return vec![Row::new(
                slug,
                "us-east-1",
                "seller images",
                Status::Unreachable,
                "",
                e.to_string(),
            )];
        }
    };
    let mut rows = Vec::new();
    for m in mirrors {
        let of: Vec<&LiveVersion> = versions
            .iter()
            .filter(|v| v.source_ami.as_deref() == Some(m.ami.as_str()))
            .collect();
        let item = format!("seller image {}", m.ami);
        if of.is_empty() && !in_flight.contains(&m.ami) {
            rows.push(Row::new(
                slug,
                "us-east-1",
                item,
                Status::Unexpected,
                "none",
                "used by no version",
            ));
        } else if !of.is_empty()
            && of.iter().all(|v| v.restricted)
            && m.retired_at
                .is_some_and(|t| grace_end(t, spec.retention.grace_days) <= now)
        {
            rows.push(Row::new(
                slug,
                "us-east-1",
                item,
                Status::Unexpected,
                "deleted after the grace period",
                "still there (amipub apply deletes it)",
            ));
        }
    }
    rows
}

/// The value of parameter `name` in `region`; `None` (with an Unreachable row) when it cannot be
/// read.
async fn held(
    lc: &Lifecycle,
    slug: &str,
    region: &str,
    name: &str,
    rows: &mut Vec<Row>,
) -> Option<Option<String>> {
    match lc.parameters().get(region, name).await {
        Ok(v) => Some(v),
        Err(e) => {
            rows.push(Row::new(
                slug,
                region,
                format!("ssm {name}"),
                Status::Unreachable,
                "",
                e.to_string(),
            ));
            None
        }
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    } else {
        s.to_owned()
    }
}
