//! `amipub doctor`: one look at everything a release needs, for the configured target — the
//! endpoint, the credentials and account of each partition, the ingestion role, the SSM
//! parameter paths, the Marketplace Catalog, the state database and the bus — each check in
//! plain words with a fix when it fails. It changes nothing.

use std::path::PathBuf;

use amipub_aws::AwsPorts;
use amipub_aws::adapters::identity::Caller;
use amipub_bus::BusConfig;
use amipub_domain::release::FailureKind;
use amipub_domain::settings::Settings;
use amipub_engine::memory::MemoryStore;
use amipub_engine::ports::{Grants, PortError};
use amipub_engine::{PortResult, Ports};
use serde::Serialize;

use crate::Outcome;
use crate::clock::Clock;
use crate::config::{self, Source};
use crate::runtime::{open_store, partition_targets, seller, target};

/// Arguments of `amipub doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// amipub.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// `text` (default) or `json`.
    #[arg(long, default_value = "text")]
    format: String,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Not checked, or not needed with this configuration.
    Skip,
    /// Must be fixed before a release can go through.
    Fail,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, detail, None)
    }

    fn skip(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, detail, None)
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, detail, Some(fix.into()))
    }

    fn new(
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            name: name.into(),
            status,
            detail: detail.into(),
            fix,
        }
    }
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let Some((settings, source)) = config::load(args.config.as_deref())? else {
        return Ok(Outcome::Invalid);
    };
    let json = match args.format.as_str() {
        "text" => false,
        "json" => true,
        other => {
            eprintln!("error: --format {other:?}: write text or json");
            return Ok(Outcome::Invalid);
        }
    };
    let checks = super::block_on(checks(&settings, &source))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        print!("{}", render(&checks));
    }
    Ok(if checks.iter().any(|c| c.status == Status::Fail) {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

/// The checks as lines for a person: status, name, detail, and the fix under a failure.
pub fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let status = match c.status {
            Status::Ok => "ok",
            Status::Skip => "skip",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!("{status:<5} {:<width$}  {}\n", c.name, c.detail));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("{:<5} {:<width$}  fix: {fix}\n", "", ""));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    out.push_str(&match failed {
        0 => "Everything amipub needs is in place.\n".to_owned(),
        n => format!("{n} problem(s) to fix before releases can go through.\n"),
    });
    out
}

async fn checks(settings: &Settings, source: &Source) -> anyhow::Result<Vec<Check>> {
    let mut out = vec![Check::ok("configuration", source_words(source))];
    let (clock, speed) = Clock::detect(settings.endpoints.url.as_deref()).await;
    out.push(endpoint_check(settings, &clock));
    if let (Some(_), Clock::System) = (&settings.endpoints.url, &clock) {
        // Nothing answers as a sandbox: every AWS check would only repeat that.
        out.push(store_check(settings).await);
        out.push(bus_check(settings).await);
        return Ok(out);
    }
    let seller = seller(settings)?;
    let t = amipub_aws::Target {
        speed: Some(speed),
        ..target(settings)?
    };
    let others = partition_targets(settings, speed);
    let ports =
        AwsPorts::connect_partitions(&t, seller.clone(), MemoryStore::default(), &others).await;
    let identity = ports.identity();
    for (name, home) in identity.partitions() {
        let configured = settings
            .partitions
            .get(&name)
            .map_or("", |p| p.account_id.as_str());
        let caller = identity.caller(&home).await;
        out.push(credentials_check(&name, configured, caller));
    }
    out.push(role_check(
        &seller.ingestion_role,
        ports.grants().check().await,
    ));
    out.extend(ssm_checks(settings, &ports, &seller.home_region).await);
    out.extend(catalog_checks(settings, &ports).await);
    out.push(store_check(settings).await);
    out.push(bus_check(settings).await);
    Ok(out)
}

fn source_words(source: &Source) -> String {
    match source {
        Source::File(p) => format!("{} is valid", p.display()),
        Source::BuiltIn => {
            "the built-in example (no amipub.toml here; it points at the sandbox)".to_owned()
        }
    }
}

fn endpoint_check(settings: &Settings, clock: &Clock) -> Check {
    match (&settings.endpoints.url, clock) {
        (None, _) => Check::ok("endpoint", "AWS (no [endpoints] url)"),
        (Some(url), Clock::Sandbox(_)) => {
            Check::ok("endpoint", format!("the amipub sandbox at {url}"))
        }
        (Some(url), Clock::System) => Check::fail(
            "endpoint",
            format!("nothing answers as an amipub sandbox at {url}"),
            "start one (amipub sandbox --world fedora --port PORT) and point [endpoints] url at it, or remove [endpoints] to use AWS",
        ),
    }
}

/// The verdict on a partition's credentials: who they are, against the configured account.
pub fn credentials_check(partition: &str, configured: &str, caller: PortResult<Caller>) -> Check {
    let name = format!("credentials {partition}");
    match caller {
        Ok(c) if c.account == configured => Check::ok(
            name,
            format!("account {} as {}, from {}", c.account, c.arn, c.credentials),
        ),
        Ok(c) => Check::fail(
            name,
            format!(
                "the credentials ({}) belong to account {}, but [partitions.{partition}] account_id is {configured}",
                c.credentials, c.account
            ),
            format!(
                "use credentials of account {configured} (profile or assume_role in [partitions.{partition}]), or correct account_id"
            ),
        ),
        Err(e) => Check::fail(name, e.detail.clone(), credentials_fix(partition, &e)),
    }
}

fn credentials_fix(partition: &str, e: &PortError) -> String {
    match e.kind {
        FailureKind::InvalidCredentials => format!(
            "renew or correct them: name a working profile (or assume_role) in [partitions.{partition}], or fix the source named above"
        ),
        FailureKind::AccessDenied => format!(
            "the base credentials may not assume the role of [partitions.{partition}] assume_role: allow sts:AssumeRole for them in the role's trust policy"
        ),
        _ => "check the network path to AWS and run amipub doctor again".to_owned(),
    }
}

/// The verdict on the ingestion role.
pub fn role_check(role: &str, found: PortResult<Option<String>>) -> Check {
    let name = "ingestion role";
    match found {
        Ok(None) => Check::ok(
            name,
            format!("{role} trusts AWS Marketplace and has its policy"),
        ),
        Ok(Some(missing)) => Check::fail(
            name,
            missing,
            "run amipub init (it creates or repairs the role; safe to run again)",
        ),
        Err(e) => Check::fail(
            name,
            format!("cannot read {role}: {}", e.detail),
            access_fix(&e, "iam:GetRole and iam:ListAttachedRolePolicies"),
        ),
    }
}

fn access_fix(e: &PortError, calls: &str) -> String {
    match e.kind {
        FailureKind::InvalidCredentials => {
            "fix the credentials first (see the credentials check)".to_owned()
        }
        FailureKind::AccessDenied => {
            format!("allow {calls}: apply the policy of amipub iam-policy")
        }
        _ => "run amipub doctor again; if it persists, check the network path to AWS".to_owned(),
    }
}

/// One read under each SSM path the product specs write, in the home Region.
async fn ssm_checks<S: amipub_engine::ports::Store + amipub_engine::ports::Forms>(
    settings: &Settings,
    ports: &AwsPorts<S>,
    home: &str,
) -> Vec<Check> {
    let dirs: std::collections::BTreeSet<String> = super::init::ssm_prefixes(settings)
        .iter()
        .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d).to_owned())
        .collect();
    let mut out = Vec::new();
    for dir in dirs {
        let probe = format!("{dir}/amipub-doctor");
        let name = format!("ssm {dir}/");
        out.push(match ports.parameters().value(home, &probe).await {
            Ok(_) => Check::ok(name, format!("readable in {home}")),
            Err(e) => Check::fail(
                name,
                e.detail.clone(),
                access_fix(&e, "ssm:GetParameter and ssm:PutParameter on this path"),
            ),
        });
    }
    out
}

/// Each product with an id is visible in the Marketplace Catalog.
async fn catalog_checks<S: amipub_engine::ports::Store + amipub_engine::ports::Forms>(
    settings: &Settings,
    ports: &AwsPorts<S>,
) -> Vec<Check> {
    let ids: Vec<(String, String)> = super::validate::specs_in(&settings.products_dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| amipub_domain::spec::parse_spec(&text).ok())
        .filter_map(|s| Some((s.product.slug.clone(), s.product.id.clone()?)))
        .collect();
    if ids.is_empty() {
        return vec![Check::skip(
            "catalog",
            format!(
                "no product spec in {} has an id yet (amipub apply creates the listing)",
                settings.products_dir
            ),
        )];
    }
    let mut out = Vec::new();
    for (slug, id) in ids {
        let name = format!("catalog {slug}");
        out.push(match ports.catalog().describe(&id).await {
            Ok(_) => Check::ok(name, format!("{id} is visible to the seller account")),
            Err(e) => Check::fail(
                name,
                e.detail.clone(),
                access_fix(&e, "aws-marketplace:DescribeEntity"),
            ),
        });
    }
    out
}

async fn store_check(settings: &Settings) -> Check {
    match open_store(settings).await {
        Ok(store) => {
            let active = store.active().await.map(|a| a.len());
            store.close().await;
            match active {
                Ok(n) => Check::ok(
                    "store",
                    format!("{} ({n} release(s) in flight)", settings.store.url),
                ),
                Err(e) => Check::fail(
                    "store",
                    format!("{} cannot be read: {e}", settings.store.url),
                    "check the file's permissions, or point [store] url at another database",
                ),
            }
        }
        Err(e) => Check::fail(
            "store",
            format!("{e:#}"),
            "check [store] url: the directory must exist and be writable",
        ),
    }
}

async fn bus_check(settings: &Settings) -> Check {
    let Some(bus) = &settings.bus else {
        return Check::skip(
            "bus",
            "no [bus]: amipub serve needs one to hear builds and announce",
        );
    };
    let cfg = match BusConfig::from_settings(bus, |v| std::env::var(v).ok()) {
        Ok(c) => c,
        Err(e) => return Check::fail("bus", e.to_string(), "correct [bus] as it says"),
    };
    match amipub_bus::connect::connect(&cfg, "doctor").await {
        Ok(conn) => {
            let _ = conn.close(200, "amipub doctor done".into()).await;
            Check::ok("bus", format!("{} accepts amipub's login", cfg.safe_url()))
        }
        Err(e) => Check::fail(
            "bus",
            e,
            "fix [bus] (url, ca_file, cert_file, key_file, password_env) or the broker",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(account: &str) -> Caller {
        Caller {
            account: account.into(),
            arn: format!("arn:aws:iam::{account}:user/u"),
            credentials: "the environment".into(),
        }
    }

    #[test]
    fn credentials_are_checked_against_the_configured_account() {
        let ok = credentials_check("aws", "111122223333", Ok(caller("111122223333")));
        assert_eq!(ok.status, Status::Ok);
        let other = credentials_check("aws", "111122223333", Ok(caller("999988887777")));
        assert_eq!(other.status, Status::Fail);
        assert!(other.detail.contains("999988887777") && other.detail.contains("the environment"));
        let refused = credentials_check(
            "aws-us-gov",
            "222233334444",
            Err(PortError::new(FailureKind::InvalidCredentials, "refused")),
        );
        assert!(
            refused
                .fix
                .as_deref()
                .is_some_and(|f| f.contains("[partitions.aws-us-gov]"))
        );
    }

    #[test]
    fn a_missing_role_names_it_and_init() {
        let c = role_check(
            "arn:aws:iam::1:role/R",
            Ok(Some("the role arn:aws:iam::1:role/R does not exist".into())),
        );
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("role/R")
                && c.fix.as_deref().is_some_and(|f| f.contains("amipub init"))
        );
        let text = render(&[c]);
        assert!(
            text.starts_with("FAIL") && text.contains("1 problem(s)"),
            "{text}"
        );
    }
}
