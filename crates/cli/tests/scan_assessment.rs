//! A failed security scan named control by control: the sandbox's scan fails chosen controls of
//! its AMI security assessment, and `amipub publish` reads that assessment back
//! (ListAssessments, DescribeAssessment) — the failure `publish` and `show` print, and the
//! `amipub.release.failed.v1` announcement, name each failed control with its remedy.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_testkit::service::{Env, SOURCE_AMI, release_id};
use serde_json::{Value, json};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(90);
const FAILING: [&str; 2] = ["SSH_PASSWORD_AUTHENTICATION", "SUDO_USER"];

/// The body of the one announcement of `schema` among the JSON lines of `stdout`.
fn announced(stdout: &str, schema: &str) -> Value {
    let rows: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["schema"] == schema)
        .collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    rows[0]["body"].clone()
}

#[test]
fn a_failed_scan_names_its_failed_controls_in_the_failure_and_the_announcement() {
    let env = Env::new(AMIPUB, 3000.0);
    env.admin(
        "POST",
        "/_sandbox/scan",
        &json!({ "verdict": "fail", "controls": FAILING }),
    );
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("scan_failed"), "{out}");

    let body = announced(&out, "amipub.release.failed.v1");
    let controls: Vec<&str> = body["failed_controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["control"].as_str().unwrap())
        .collect();
    assert_eq!(controls, FAILING, "{body}");
    let remedy = body["failed_controls"][0]["remedy"].as_str().unwrap();
    assert!(
        remedy.contains("PasswordAuthentication no") && remedy.contains("/etc/ssh/sshd_config"),
        "{remedy}"
    );
    assert!(
        body["remedy"].as_str().unwrap().contains("SUDO_USER: "),
        "{body}"
    );

    // `show` prints the same failure, naming each failed control and its remedy and no other.
    let id = release_id(&err).unwrap();
    let (code, shown, _) = env.amipub(["show", &id]).finish(LIMIT);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("failed    at scanning"), "{shown}");
    for control in FAILING {
        assert!(shown.contains(&format!("{control}: ")), "{shown}");
    }
    assert!(shown.contains("PasswordAuthentication no"), "{shown}");
    assert!(!shown.contains("KNOWN_VULNERABILITIES"), "{shown}");
}

#[test]
fn the_seller_policy_allows_reading_assessments() {
    let env = Env::new(AMIPUB, 3000.0);
    let (code, policy, _) = env.amipub(["iam-policy"]).finish(LIMIT);
    assert_eq!(code, 0, "{policy}");
    for action in [
        "aws-marketplace:ListAssessments",
        "aws-marketplace:DescribeAssessment",
    ] {
        assert!(policy.contains(&format!("\"{action}\"")), "{policy}");
    }
}
