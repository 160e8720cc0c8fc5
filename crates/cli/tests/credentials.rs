//! amipub against the sandbox is sealed off from the caller's own AWS environment, tells refused
//! credentials (where they came from, that they are not valid) from missing permissions, and
//! `amipub doctor` says what is in place and what to fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::process::{Command, Stdio};
use std::time::Duration;

use amipub_sandbox::faults::{FaultKind, FaultRule};
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::SELLER_ACCOUNT;
use amipub_testkit::process;
use amipub_testkit::service::{Env, SOURCE_AMI};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(180);

/// A release engineer's environment: keys, a session token, a profile that does not exist, a
/// Region, an endpoint nobody answers on, and shared files with other credentials.
fn hostile(c: &mut Command, dir: &std::path::Path) {
    let config = dir.join("aws-config");
    let creds = dir.join("aws-credentials");
    std::fs::write(
        &config,
        "[default]\nregion = ap-southeast-2\nendpoint_url = http://127.0.0.1:9\n[profile ghost]\nregion = eu-central-1\n",
    )
    .unwrap();
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = AKIAFILEDEFAULT00001\naws_secret_access_key = file\n[ghost]\naws_access_key_id = AKIAFILEGHOST0000001\naws_secret_access_key = ghost\n",
    )
    .unwrap();
    c.env("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00001")
        .env("AWS_SECRET_ACCESS_KEY", "users-own-secret")
        .env("AWS_SESSION_TOKEN", "users-own-session-token")
        .env("AWS_PROFILE", "no-such-profile")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_DEFAULT_REGION", "eu-west-3")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds);
}

/// `amipub demo` in `dir` (fast time), hostile or not; (exit code, stdout, stderr).
fn demo(dir: &std::path::Path, hostile_env: bool) -> (i32, String, String) {
    let mut c = Command::new(AMIPUB);
    c.args(["demo", "--time-scale", "3000", "--dir"])
        .arg(dir.join("state"))
        .current_dir(dir)
        .env_remove("AMIPUB_TEST_HALT_AT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if hostile_env {
        hostile(&mut c, dir);
    }
    process::spawn(&mut c).unwrap().finish(LIMIT)
}

/// The demo's result table: the summary line, the header and each Region's name with the
/// shape of its AMI id. The ids themselves are not compared: the sandbox numbers images in the
/// order requests reach it, and the Regions are copied to concurrently.
fn regions_table(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.contains(" is published: ") || l.starts_with("REGION") || l.contains(" ami-"))
        .map(|l| match l.split_once(" ami-") {
            Some((region, id)) if !l.contains(" is published: ") => {
                let ok = id.len() == 17 && id.chars().all(|c| c.is_ascii_hexdigit());
                format!("{} {}", region.trim(), if ok { "ami-…" } else { id })
            }
            _ => l.to_owned(),
        })
        .collect()
}

#[test]
fn the_demo_ignores_the_callers_aws_environment() {
    let (clean, hostile_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (code, out, err) = demo(hostile_dir.path(), true);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Marketplace AMIs in 36 of 36 Regions"),
        "{out}\n{err}"
    );
    assert!(
        err.contains("the sandbox's keys of account 111122223333"),
        "the credentials in use are said at start: {err}"
    );
    assert!(!err.contains("users-own-secret") && !out.contains("users-own-secret"));
    let (code, clean_out, err) = demo(clean.path(), false);
    assert_eq!(code, 0, "{clean_out}\n{err}");
    let (a, b) = (regions_table(&out), regions_table(&clean_out));
    assert_eq!(a.len(), 38, "{out}");
    assert_eq!(
        a, b,
        "the same Regions, each with a Marketplace AMI, with and without the environment"
    );
}

/// Puts `extra` into the home's `[partitions.aws]`, for `account`.
fn configure(env: &Env, account: &str, extra: &str) {
    let path = env.path("amipub.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        &format!("[partitions.aws]\naccount_id = \"{SELLER_ACCOUNT}\"\n"),
        &format!("[partitions.aws]\naccount_id = \"{account}\"\n{extra}"),
        1,
    );
    std::fs::write(&path, text).unwrap();
}

#[test]
fn refused_credentials_say_where_they_came_from_and_that_they_are_not_valid() {
    // GovCloud configured with the commercial account: its keys are unknown in that partition.
    let env = Env::new(AMIPUB, 3000.0);
    let path = env.path("amipub.toml");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "[partitions.aws-us-gov]\naccount_id = \"222233334444\"",
        &format!("[partitions.aws-us-gov]\naccount_id = \"{SELLER_ACCOUNT}\""),
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("invalid_credentials"), "{out}");
    assert!(
        out.contains("not valid in the aws-us-gov partition")
            && out.contains("the sandbox's keys of account 111122223333"),
        "the partition and the source are named: {out}"
    );
    assert!(
        !out.contains("iam-policy"),
        "not a permissions remedy: {out}"
    );

    // A profile named in the configuration is used, and named when refused.
    let env = Env::new(AMIPUB, 3000.0);
    configure(&env, SELLER_ACCOUNT, "profile = \"ghost\"\n");
    let creds = env.path("credentials");
    std::fs::write(
        &creds,
        "[ghost]\naws_access_key_id = AKIAGHOSTKEY00000001\naws_secret_access_key = x\n",
    )
    .unwrap();
    let (code, out, err) = env
        .publish_build(SOURCE_AMI)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", env.path("no-config"))
        .finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("invalid_credentials"), "{out}");
    assert!(out.contains("profile \"ghost\""), "{out}");
}

#[test]
fn a_missing_permission_keeps_the_permissions_remedy() {
    let env = Env::new(AMIPUB, 3000.0);
    lock(&env.world).config.faults.push(FaultRule {
        service: "ec2".into(),
        operation: "DescribeImages".into(),
        region: String::new(),
        kind: FaultKind::Deny,
        probability: 1.0,
        latency_ms: 0,
    });
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("access_denied"), "{out}");
    assert!(out.contains("UnauthorizedOperation"), "{out}");
    assert!(out.contains("amipub iam-policy"), "{out}");
}

fn doctor(env: &Env) -> (i32, String, String) {
    env.amipub(["doctor"]).finish(LIMIT)
}

#[test]
fn doctor_finds_everything_in_place_and_names_a_deleted_role_with_its_fix() {
    let env = Env::new(AMIPUB, 3000.0);
    let (code, out, err) = doctor(&env);
    assert_eq!(code, 0, "{out}\n{err}");
    for check in [
        "configuration",
        "endpoint",
        "credentials aws ",
        "credentials aws-us-gov",
        "ingestion role",
        "ssm /fedora/cloud/",
        "catalog fedora-cloud-base",
        "store",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(check))
            .unwrap_or_else(|| panic!("no {check} check: {out}"));
        assert!(line.starts_with("ok "), "{line}\n{out}");
    }
    assert!(!out.contains("FAIL"), "{out}");

    let role = "AwsMarketplaceAmiIngestion";
    let removed = lock(&env.world)
        .iam
        .roles
        .remove(&format!("{SELLER_ACCOUNT}/{role}"));
    assert!(removed.is_some(), "the fedora world seeds the role");
    let (code, out, err) = doctor(&env);
    assert_eq!(code, 1, "{out}\n{err}");
    let line = out.lines().find(|l| l.contains("ingestion role")).unwrap();
    assert!(line.starts_with("FAIL") && line.contains(role), "{out}");
    assert!(out.contains("fix: run amipub init"), "{out}");
}
