//! The `amipub` command: parses arguments and hands each subcommand to its module in `cmd/`.
//! Wiring only; the decisions live in the library crates.
//!
//! Exit codes: 0 success; 1 the command failed (I/O, an unexpected error); 2 the input is invalid
//! (a spec or configuration with errors, a bad argument); 130 interrupted by Ctrl-C (the work is
//! saved and resumes when the command runs again).

// The commands' futures nest the engine's, the SDK's and the store's deeply; the default
// limit of 128 is too low to compute their layout.
#![recursion_limit = "256"]

mod catch_up;
mod clock;
mod cmd;
mod config;
mod console;
mod fetch;
mod files;
mod halt;
mod http;
mod intake;
mod intake_stream;
mod jobs;
mod listing;
mod outbox;
mod progress;
mod promote_job;
mod report;
mod runtime;
mod stream_doc;
mod types_check;
mod worker;

use std::process::ExitCode;

use amipub_telemetry::LogFormat;
use clap::{Parser, Subcommand};

/// Publish AMIs to AWS Marketplace, from build to announced image ids, with no human in the loop.
#[derive(Debug, Parser)]
#[command(name = "amipub", version, about, long_about = None)]
struct Cli {
    /// How log lines look on standard error: `text` for people, `json` (one object per line)
    /// for log collectors. `AMIPUB_LOG` sets the level (e.g. `amipub=debug`).
    #[arg(long, global = true, default_value = "text", value_name = "text|json")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check product specs (and optionally amipub.toml) against every Marketplace limit.
    Validate(cmd::validate::Args),
    /// Show the Catalog API change sets that creating a product, or adding a version, submits.
    Plan(cmd::plan::Args),
    /// Create a product, or bring its live listing in line with the spec (and retire versions).
    Apply(cmd::apply::Args),
    /// Record the marketing approval of the spec's listing content.
    Approve(cmd::approve::Args),
    /// Request a product's move from Limited to Public and follow it.
    Visibility(cmd::visibility::Args),
    /// Point an SSM alias (e.g. latest) at a version in every Region where it is launchable.
    Promote(cmd::promote::Args),
    /// Audit listings, Marketplace AMIs, SSM parameters and leftovers per Region.
    Verify(cmd::verify::Args),
    /// Write the classic product load form (XLSX and CSV), one row per product.
    LoadForm(cmd::load_form::Args),
    /// Run the local AWS sandbox (EC2, IAM, STS, …) for the AWS CLI, boto3 or amipub.
    Sandbox(cmd::sandbox::Args),
    /// Publish a build as a new version: mirror, submit, scan, locate, parameters, announce.
    Publish(cmd::publish::Args),
    /// The releases, newest first.
    Status(cmd::releases::StatusArgs),
    /// One release with its timeline.
    Show(cmd::timeline::ReleaseArgs),
    /// Resume a failed release from the step that failed.
    Retry(cmd::timeline::ReleaseArgs),
    /// Stop a release.
    Cancel(cmd::timeline::ReleaseArgs),
    /// Write a second-party release's load form workbook (and its CSV view) again.
    Form(cmd::second_party::FormArgs),
    /// Record that a second-party load form was attached to the Marketplace ticket (or refused).
    Submitted(cmd::second_party::SubmittedArgs),
    /// Create the ingestion role AWS Marketplace assumes (safe to run again).
    Init(cmd::init::InitArgs),
    /// Print the least-privilege IAM policy for the calls amipub makes.
    IamPolicy(cmd::init::PolicyArgs),
    /// Check credentials, account, ingestion role, SSM paths, Catalog, store and bus.
    Doctor(cmd::doctor::Args),
    /// Publish the example Fedora product end to end against the in-process sandbox.
    Demo(cmd::demo::Args),
    /// Run the worker: bus intake, release engine, announcement sender, /healthz and /metrics.
    Serve(cmd::serve::Args),
    /// Take the build messages missed during an outage from datagrepper (`--since 2h`).
    CatchUp(cmd::catch_up::Args),
    /// Measure the release engine against the in-process sandbox (prints numbers).
    Bench(cmd::bench::Args),
    /// Apply the state database's schema migrations (PostgreSQL workers require it).
    Migrate(cmd::store::MigrateArgs),
    /// The state database: `store copy --from sqlite://… --to postgres://…`.
    Store(cmd::store::StoreArgs),
}

/// What a command reports back to `main`.
pub enum Outcome {
    /// Done.
    Ok,
    /// The input was invalid; details were printed.
    Invalid,
    /// The work failed; details were printed.
    Failed,
    /// Ctrl-C; the work is saved and resumable.
    Interrupted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs its work; interactive commands show their own progress and say nothing
    // more unless AMIPUB_LOG asks.
    let default = match cli.command {
        Command::Serve(_) => amipub_telemetry::subscriber::default_directives("info"),
        _ => "off".to_owned(),
    };
    amipub_telemetry::init(cli.log_format, &default);
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::LoadForm(a) => cmd::load_form::run(a),
        Command::Apply(a) => cmd::apply::run(a),
        Command::Approve(a) => cmd::approve::run(a),
        Command::Visibility(a) => cmd::visibility::run(a),
        Command::Promote(a) => cmd::promote::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Sandbox(a) => cmd::sandbox::run(a),
        Command::Publish(a) => cmd::publish::run(a),
        Command::Status(a) => cmd::releases::status(a),
        Command::Show(a) => cmd::releases::show(a),
        Command::Retry(a) => cmd::releases::retry(a),
        Command::Cancel(a) => cmd::releases::cancel(a),
        Command::Form(a) => cmd::second_party::form(a),
        Command::Submitted(a) => cmd::second_party::submitted(a),
        Command::Init(a) => cmd::init::init(a),
        Command::IamPolicy(a) => cmd::init::iam_policy(a),
        Command::Doctor(a) => cmd::doctor::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::CatchUp(a) => cmd::catch_up::run(a),
        Command::Migrate(a) => cmd::store::migrate(a),
        Command::Store(a) => cmd::store::store(a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(2),
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
