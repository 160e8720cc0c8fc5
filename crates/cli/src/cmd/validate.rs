//! `amipub validate SPEC... [--config FILE] [--format json]`: every problem of every file at
//! once, each with file, line, field path, limit and fix. Exit code 2 when any file has errors.

use std::path::{Path, PathBuf};

use amipub_domain::settings::validate_settings_text;
use amipub_domain::validate::{Problem, has_errors, meter, validate_text};
use anyhow::Context;
use serde::Serialize;

use crate::Outcome;
use crate::report::{plural, print_problems, tally};

/// Arguments of `amipub validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Product spec files; without any, every *.toml in the configured products directory.
    specs: Vec<PathBuf>,
    /// Also check this amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    kind: &'static str,
    valid: bool,
    problems: Vec<Problem>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut reports = Vec::new();
    // The configuration is read once: checked as a file, and (when no spec is named) asked
    // for its products directory.
    let mut configured_dir = None;
    if let Some(cfg) = &args.config {
        let text = std::fs::read_to_string(cfg)
            .with_context(|| format!("cannot read {}", cfg.display()))?;
        let (settings, problems) = validate_settings_text(&text);
        if args.specs.is_empty() {
            match settings.filter(|_| !has_errors(&problems)) {
                Some(s) => configured_dir = Some(s.products_dir),
                None => {
                    print_problems(cfg, &problems);
                    anyhow::bail!(
                        "the configuration is invalid; fix it or name spec files explicitly"
                    );
                }
            }
        }
        reports.push(report(cfg, "config", problems));
    }
    let specs = match (&configured_dir, args.specs.is_empty()) {
        (_, false) => args.specs.clone(),
        (Some(dir), true) => specs_in(dir)?,
        (None, true) => default_specs(None)?,
    };
    for spec in &specs {
        let text = std::fs::read_to_string(spec)
            .with_context(|| format!("cannot read {}", spec.display()))?;
        reports.push(report(spec, "product", check_spec(spec, &text)));
    }
    let all_valid = reports.iter().all(|r| r.valid);
    match args.format {
        Format::Json => {
            let out = serde_json::json!({ "valid": all_valid, "files": reports });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            let mut invalid = 0;
            for r in &reports {
                print_problems(Path::new(&r.file), &r.problems);
                let (errors, warnings) = tally(&r.problems);
                if r.valid {
                    let extra = if warnings > 0 {
                        format!(" ({})", plural(warnings, "warning"))
                    } else {
                        String::new()
                    };
                    println!("ok      {}{extra}", r.file);
                } else {
                    invalid += 1;
                    println!(
                        "invalid {} ({}, {})",
                        r.file,
                        plural(errors, "error"),
                        plural(warnings, "warning")
                    );
                }
            }
            println!(
                "{} checked, {} invalid",
                plural(reports.len(), "file"),
                invalid
            );
        }
    }
    Ok(if all_valid {
        Outcome::Ok
    } else {
        Outcome::Invalid
    })
}

/// A spec's problems, including whether its metering agent configuration measures every
/// priced dimension.
fn check_spec(path: &Path, text: &str) -> Vec<Problem> {
    let (spec, mut problems) = validate_text(text);
    let Some(spec) = spec else {
        return problems;
    };
    let agent_path = spec
        .pricing
        .meter_config
        .as_ref()
        .map(|rel| path.parent().unwrap_or(Path::new(".")).join(rel));
    let agent_text = agent_path.as_ref().map(|p| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    });
    let shown = agent_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let agent = agent_text.as_ref().map(|r| {
        r.as_ref()
            .map(|t| (shown.as_str(), t.as_str()))
            .map_err(Clone::clone)
    });
    problems.extend(meter::agreement(&spec, agent).into_problems(text));
    problems.sort_by_key(|p| {
        (
            p.line.unwrap_or(0),
            p.severity == amipub_domain::validate::Severity::Warning,
        )
    });
    problems
}

fn report(path: &Path, kind: &'static str, problems: Vec<Problem>) -> FileReport {
    FileReport {
        file: path.display().to_string(),
        kind,
        valid: tally(&problems).0 == 0,
        problems,
    }
}

/// Every spec in the configured products directory.
pub fn default_specs(config: Option<&Path>) -> anyhow::Result<Vec<PathBuf>> {
    let Some((settings, _)) = crate::config::load(config)? else {
        anyhow::bail!("the configuration is invalid; fix it or name spec files explicitly");
    };
    specs_in(&settings.products_dir)
}

/// Every `*.toml` in a products directory, sorted.
pub(crate) fn specs_in(products_dir: &str) -> anyhow::Result<Vec<PathBuf>> {
    let dir = PathBuf::from(products_dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| {
            format!(
                "cannot list the products directory {} (products_dir in amipub.toml)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    if out.is_empty() {
        anyhow::bail!("no *.toml product specs in {}", dir.display());
    }
    Ok(out)
}
