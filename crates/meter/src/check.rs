//! `amipub-meter check`: walks everything reporting depends on — the metadata service, the
//! instance role, the product code, each source, and a DryRun MeterUsage per dimension — and says
//! in plain words what is wrong and how to fix it. Exit code 1 when anything is.

use std::process::ExitCode;

use crate::config::Config;
use crate::explain::Outcome;
use crate::ledger::{HOUR, Record, Status, hour_of};
use crate::metering::{Meter, Sdk};
use crate::sources;

fn line(ok: bool, what: &str) {
    println!("{} {what}", if ok { "ok  " } else { "FAIL" });
}

/// Runs the checks and prints one line per check.
pub async fn run(config: &Config) -> ExitCode {
    let mut failed = false;
    let series = match config.series() {
        Ok(s) => s,
        Err(e) => {
            line(false, &format!("configuration: {e}"));
            return ExitCode::from(2);
        }
    };
    line(true, &format!("configuration: {} series", series.len()));
    let setup = match crate::discover(config).await {
        Ok(s) => s,
        Err(e) => {
            line(false, &e);
            return ExitCode::from(1);
        }
    };
    let id = &setup.identity;
    line(
        true,
        &format!(
            "instance {} in {}, product code {}",
            id.instance_id, id.region, id.product_code
        ),
    );
    match setup.imds.credentials().await {
        Ok(c) => line(true, &format!("instance role {}", c.role)),
        Err(e) => {
            line(false, &e);
            return ExitCode::from(1);
        }
    }
    for s in &series {
        match sources::read(s).await {
            Ok(v) => line(true, &format!("source of {}: {v}", s.id)),
            Err(e) => {
                failed = true;
                line(false, &format!("source of {}: {e}", s.id));
            }
        }
    }
    let meter = Sdk::new(
        &id.region,
        config.agent.metering_endpoint.as_deref(),
        setup.imds.clone(),
        config.agent.clock == crate::config::ClockSource::Sandbox,
    );
    let clock = match crate::clock::from_config(
        config.agent.clock,
        config.agent.metering_endpoint.as_deref(),
    ) {
        Ok(c) => c,
        Err(e) => {
            line(false, &e);
            return ExitCode::from(2);
        }
    };
    let now = clock.now().await.map(|t| t.0).unwrap_or(0);
    let mut dims: Vec<&str> = series.iter().map(|s| s.dimension.as_str()).collect();
    dims.dedup();
    for d in dims {
        let allocations = series
            .iter()
            .filter(|s| s.dimension == d && !s.tags.is_empty())
            .map(|s| (s.tags.clone(), 0))
            .collect();
        let probe = Record {
            hour: hour_of(now) - HOUR,
            dimension: d.to_owned(),
            quantity: 0,
            allocations,
            status: Status::Pending,
        };
        match meter.send(&id.product_code, &probe, true).await {
            Outcome::DryRunOk | Outcome::Accepted(_) => line(
                true,
                &format!("MeterUsage for {d} (DryRun) would be accepted"),
            ),
            Outcome::Refused { words, .. } => {
                failed = true;
                line(false, &format!("MeterUsage for {d}: {words}"));
            }
            Outcome::Retry(w) | Outcome::TooLate(w) | Outcome::Duplicate(w) => {
                failed = true;
                line(false, &format!("MeterUsage for {d}: {w}"));
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        println!("everything needed to report usage is in place");
        ExitCode::SUCCESS
    }
}
