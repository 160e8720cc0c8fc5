//! The `amipub` command: parses arguments and hands each subcommand to its module in `cmd/`.
//! Wiring only; the decisions live in the library crates.
//!
//! Exit codes: 0 success; 1 the command failed (I/O, an unexpected error); 2 the input is invalid
//! (a spec or configuration with errors, a bad argument).

mod cmd;
mod config;
mod report;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Publish AMIs to AWS Marketplace, from build to announced image ids, with no human in the loop.
#[derive(Debug, Parser)]
#[command(name = "amipub", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check product specs (and optionally amipub.toml) against every Marketplace limit.
    Validate(cmd::validate::Args),
    /// Show the Catalog API change sets that creating a product, or adding a version, submits.
    Plan(cmd::plan::Args),
    /// Write the classic product load form (XLSX and CSV), one row per product.
    LoadForm(cmd::load_form::Args),
    /// Run the local AWS sandbox (EC2, IAM, STS, …) for the AWS CLI, boto3 or amipub.
    Sandbox(cmd::sandbox::Args),
}

/// What a command reports back to `main`.
pub enum Outcome {
    /// Done.
    Ok,
    /// The input was invalid; details were printed.
    Invalid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::LoadForm(a) => cmd::load_form::run(a),
        Command::Sandbox(a) => cmd::sandbox::run(a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
