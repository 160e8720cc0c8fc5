//! The person's part of the second-party path: `amipub form RELEASE --out DIR` hands out the
//! stored load form again, `amipub submitted RELEASE --ticket URL` records that it was attached to
//! the Marketplace ticket (and by whom), and `amipub submitted RELEASE --rejected REASON` records
//! the Marketplace team's refusal so the release fails with their reason and `retry` can follow.

use std::path::PathBuf;

use amipub_domain::release::{Event, Release, State};
use amipub_domain::second_party::form::{Value, new_version_row};
use amipub_domain::spec::{ProductSpec, parse_spec};
use amipub_engine::ports::Forms;
use anyhow::{Context, bail};

use crate::Outcome;
use crate::cmd::block_on;
use crate::config;
use crate::runtime::{self, Runtime};

/// Arguments of `amipub form`.
#[derive(Debug, clap::Args)]
pub struct FormArgs {
    /// The release id (or a unique prefix of it).
    release: String,
    /// Directory to write the workbook (and its CSV view) into.
    #[arg(long)]
    out: PathBuf,
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Arguments of `amipub submitted`.
#[derive(Debug, clap::Args)]
pub struct SubmittedArgs {
    /// The release id (or a unique prefix of it).
    release: String,
    /// The Marketplace ticket the workbook was attached to.
    #[arg(long, required_unless_present = "rejected")]
    ticket: Option<String>,
    /// The Marketplace team refused the form: their reason, as the ticket gives it.
    #[arg(long, conflicts_with = "ticket")]
    rejected: Option<String>,
    /// Who did it (default: the login name).
    #[arg(long)]
    by: Option<String>,
    /// Follow the release until the Marketplace has published it.
    #[arg(long)]
    wait: bool,
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// `amipub form RELEASE --out DIR`.
pub fn form(args: FormArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some((settings, _)) = config::load(args.config.as_deref())? else {
            return Ok(Outcome::Invalid);
        };
        // Only the store: the workbook and the spec the release was published with.
        let store = runtime::open_store(&settings).await?;
        let r = runtime::find(&store, &args.release).await?;
        let Some((name, bytes)) = store.form(&r.id).await? else {
            bail!(
                "release {} has no load form yet (it is {}); the form is written once its clones are shared",
                r.id,
                r.state.name()
            );
        };
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let path = args.out.join(&name);
        crate::files::write_atomic(&path, &bytes, "xlsx.tmp")?;
        let mut written = vec![path.display().to_string()];
        let spec = store.product_spec(&r.product).await?;
        if let Some(spec) = spec.and_then(|text| parse_spec(&text).ok()) {
            let csv = path.with_extension("csv");
            crate::files::write_atomic(&csv, csv_view(&spec, &r)?, "csv.tmp")?;
            written.push(csv.display().to_string());
        }
        println!("Wrote {}", written.join(" and "));
        Ok(Outcome::Ok)
    })
}

/// The release's row of the "New AMI Version " sheet as CSV (headers, then values).
fn csv_view(spec: &ProductSpec, r: &Release) -> anyhow::Result<String> {
    let row = new_version_row(spec, r).map_err(anyhow::Error::msg)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(row.iter().map(|(h, _)| h.as_str()))?;
    w.write_record(row.iter().map(|(_, v)| match v {
        Value::Text(t) => t.clone(),
        Value::Bool(b) => b.to_string().to_uppercase(),
    }))?;
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// `amipub submitted RELEASE --ticket URL | --rejected REASON`.
pub fn submitted(args: SubmittedArgs) -> anyhow::Result<Outcome> {
    block_on(async move {
        let Some((settings, _)) = config::load(args.config.as_deref())? else {
            return Ok(Outcome::Invalid);
        };
        let rt = Runtime::open(settings, &[]).await?;
        let r = rt.find(&args.release).await?;
        let by = args.by.clone().unwrap_or_else(super::login);
        let event = match (&args.ticket, &args.rejected) {
            (_, Some(reason)) => Event::FormRejected {
                reason: reason.clone(),
                by,
            },
            (Some(ticket), None) => Event::SubmissionRecorded {
                ticket: ticket.clone(),
                by,
            },
            (None, None) => bail!("give --ticket URL (or --rejected REASON)"),
        };
        let allowed = match event {
            Event::SubmissionRecorded { .. } => &[State::AwaitingSubmission][..],
            _ => &[State::AwaitingSubmission, State::Submitted][..],
        };
        if r.second_party.is_none() || !allowed.contains(&r.state) {
            bail!(
                "release {} is {}; this records the load form's submission, which only a second-party release waiting at {} has",
                r.id,
                r.state.name(),
                allowed
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            );
        }
        let (now, _) = rt.clock.now().await?;
        let after = rt.engine.request(r, event, now).await?;
        println!("Release {} is {}", after.id, after.state.name());
        if let Some(f) = &after.failure {
            println!("  fix:    {}", f.remedy);
            println!("  then:   amipub retry {}", after.id);
        }
        if args.wait && !after.state.is_terminal() {
            return crate::cmd::publish::finish(&rt, &after.id).await;
        }
        Ok(Outcome::Ok)
    })
}
