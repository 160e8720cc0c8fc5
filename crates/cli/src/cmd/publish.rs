//! `amipub publish --product SPEC --ami AMI`: records a release of the build and carries it to
//! the end, showing progress (or, with `--detach`, leaves it to the `amipub serve` workers and
//! prints its id). Publishing the same build again resumes the release recorded the
//! first time (after a crash or Ctrl-C); `--validate-only` checks the build, the role and the
//! version without changing anything.

use std::path::PathBuf;

use amipub_domain::release::build::{Build, new_release, parse_var};
use amipub_domain::release::{Release, State};
use amipub_engine::Product;
use amipub_engine::execute::parameter_names;
use anyhow::bail;

use crate::Outcome;
use crate::config;
use crate::runtime::{Runtime, date_of};

/// Arguments of `amipub publish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The product spec.
    #[arg(long)]
    product: PathBuf,
    /// The source AMI (owned by a trusted build account).
    #[arg(long)]
    ami: String,
    /// Region of the source AMI; default: the spec's intake.source_region, else us-east-1.
    #[arg(long)]
    source_region: Option<String>,
    /// The version title; default: rendered from the spec's title template and --var values.
    #[arg(long)]
    version: Option<String>,
    /// Template variables of the build, e.g. --var release=41 --var compose_id=Fedora-41-20241027.0.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The build's AMI in another Region, e.g. --source us-gov-west-1=ami-…: a second-party
    /// product clones a partition CopyImage cannot reach (GovCloud) from it.
    #[arg(long = "source", value_name = "REGION=AMI")]
    sources: Vec<String>,
    /// Check the source AMI, the ingestion role and the version; change nothing.
    #[arg(long)]
    validate_only: bool,
    /// Record the release for the `amipub serve` workers and print its id, instead of
    /// carrying it to the end here.
    #[arg(long)]
    detach: bool,
    /// amipub.toml (default: ./amipub.toml, else the built-in sandbox configuration).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    super::block_on(publish(args))
}

async fn publish(args: Args) -> anyhow::Result<Outcome> {
    let Some((settings, _)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    let (spec, text) = crate::runtime::read_spec(&args.product)?;
    if spec.product.id.is_none() || spec.product.product_code.is_none() {
        bail!(
            "{} has no product.id or product.product_code: the listing must exist before versions \
             are published; fill them in from the Marketplace Management Portal",
            args.product.display()
        );
    }
    let mut build = Build {
        source_region: args
            .source_region
            .clone()
            .or_else(|| spec.intake.as_ref().map(|i| i.source_region.clone()))
            .unwrap_or_else(|| "us-east-1".to_owned()),
        source_ami: args.ami.clone(),
        vars: Default::default(),
        sources: Default::default(),
    };
    for pair in &args.vars {
        let (k, v) = parse_var(pair).map_err(|e| anyhow::anyhow!("--var {e}"))?;
        build.vars.insert(k.to_owned(), v);
    }
    for pair in &args.sources {
        let (region, ami) = parse_source(pair)?;
        build.sources.insert(region, ami);
    }
    let trusted = settings.trust.build_accounts.clone();
    let terms = settings.second_party.terms();
    let rt = Runtime::open(settings, std::slice::from_ref(&spec)).await?;
    let (now, _) = rt.clock.now().await?;
    let release = new_release(
        &spec,
        &build,
        &trusted,
        args.version.as_deref(),
        &date_of(now),
        &terms,
        now,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    if args.validate_only {
        return validate_only(&rt, &release, now).await;
    }
    rt.store.put_product(&spec.product.slug, &text).await?;
    let id = match rt.resume_or_record(&release, now).await? {
        Some(old) => {
            eprintln!(
                "Resuming release {} ({}) of {} {}",
                old.id,
                old.state.name(),
                old.product,
                old.version
            );
            old.id
        }
        None => {
            eprintln!(
                "Release {} of {} {} from {} in {}",
                release.id,
                release.product,
                release.version,
                release.source_ami,
                release.source_region
            );
            release.id.clone()
        }
    };
    if args.detach {
        // The id alone on stdout, for scripts; the workers carry it on.
        println!("{id}");
        rt.store.close().await;
        return Ok(Outcome::Ok);
    }
    finish(&rt, &id).await
}

/// Drives a release to its end and reports it.
pub async fn finish(rt: &Runtime, id: &str) -> anyhow::Result<Outcome> {
    let (r, interrupted) = rt.drive(id).await?;
    if interrupted {
        eprintln!(
            "Interrupted. Release {} is saved ({}); run the same command again, or `amipub retry {}`, to go on.",
            r.id,
            r.state.name(),
            r.id
        );
        return Ok(Outcome::Interrupted);
    }
    let product = rt.engine.product(&r.product);
    print_result(&r, product.as_deref());
    Ok(if r.state == State::Done || r.state.waits_for_person() {
        Outcome::Ok
    } else {
        Outcome::Failed
    })
}

/// The per-Region table of a finished release, or why it did not finish.
pub fn print_result(r: &Release, product: Option<&Product>) {
    match r.state {
        State::Done => {
            println!(
                "{} {} is published: Marketplace AMIs in {} of {} Regions",
                r.product,
                r.version,
                r.regions.len(),
                r.expected_regions.len()
            );
            let names = product
                .and_then(|p| parameter_names(p, r).ok())
                .unwrap_or_default();
            if !names.is_empty() {
                println!("SSM parameters in each Region: {}", names.join(", "));
            }
            println!("{:<16} MARKETPLACE AMI", "REGION");
            for region in &r.expected_regions {
                match r.regions.get(region) {
                    Some(ami) => println!("{:<16} {ami}", region.as_str()),
                    None => println!("{:<16} (not yet available)", region.as_str()),
                }
            }
        }
        State::AwaitingSubmission => print_awaiting(r),
        State::Rejected => println!(
            "{} {} was rejected: {}",
            r.product,
            r.version,
            r.rejection.as_deref().unwrap_or("no reason recorded")
        ),
        _ => {
            println!("{} {} ended {}", r.product, r.version, r.state.name());
            if let Some(f) = &r.failure {
                println!("  step:   {}", f.step.name());
                println!("  why:    {} — {}", f.kind.label(), f.detail);
                println!("  fix:    {}", f.remedy);
                println!("  then:   amipub retry {}", r.id);
            }
        }
    }
}

async fn validate_only(rt: &Runtime, release: &Release, now: i64) -> anyhow::Result<Outcome> {
    let p = rt.engine.preflight(release, now).await;
    match &p.source {
        Ok(()) => println!(
            "✔ source {} in {} passes the checklist",
            release.source_ami, release.source_region
        ),
        Err(why) => println!("✘ source {}: {why}", release.source_ami),
    }
    match &p.role {
        Ok(()) => println!("✔ the ingestion role is in place"),
        Err(why) => println!("✘ {why}"),
    }
    let pid = rt
        .engine
        .product(&release.product)
        .and_then(|p| p.spec.product.id.clone())
        .unwrap_or_default();
    match &p.listed {
        Ok(true) => println!(
            "• version {} is listed already: publishing would only locate and announce it",
            release.version
        ),
        Ok(false) => println!("✔ version {} is new for {pid}", release.version),
        Err(why) => println!("✘ {why}"),
    }
    println!(
        "  release id {} · notes {} characters · {} Regions",
        release.id,
        release.notes.chars().count(),
        release.expected_regions.len()
    );
    Ok(if p.ok() { Outcome::Ok } else { Outcome::Failed })
}

/// A second-party release whose load form waits for a person: the clones and what to do.
fn print_awaiting(r: &Release) {
    let Some(sp) = &r.second_party else { return };
    println!(
        "{} {}: cloned into {} of {} Regions and shared with {}; the load form is ready",
        r.product,
        r.version,
        sp.cloned_count(&r.expected_regions),
        r.expected_regions.len(),
        sp.shared_with.join(", ")
    );
    println!("{:<16} CLONED AMI", "REGION");
    for region in &r.expected_regions {
        let ami = sp.clones.get(region).map_or("(none)", |c| c.ami.as_str());
        println!("{:<16} {ami}", region.as_str());
    }
    println!(
        "next:   amipub form {} --out DIR   (the workbook {})",
        r.id,
        sp.form.as_deref().unwrap_or("")
    );
    println!("        attach it to the AWS Marketplace ticket, then");
    println!("        amipub submitted {} --ticket URL", r.id);
}

/// `--source REGION=AMI`, checked.
fn parse_source(pair: &str) -> anyhow::Result<(String, String)> {
    let Some((region, ami)) = pair.split_once('=') else {
        bail!("--source {pair:?}: write REGION=AMI, e.g. us-gov-west-1=ami-0123456789abcdef0");
    };
    if amipub_domain::catalog_data::region(region).is_none() {
        bail!("--source {pair:?}: {region} is not a Region where Marketplace lists AMI products");
    }
    if ami.parse::<amipub_domain::ids::AmiId>().is_err() {
        bail!("--source {pair:?}: {ami} is not an AMI id (ami- and 8 or 17 letters or digits)");
    }
    Ok((region.to_owned(), ami.to_owned()))
}
