//! The buyer's view against the sandbox's Marketplace Discovery API: a release announces its
//! version's AMI alias (on stdout and in the feed) and checks that buyers see the version as
//! published; `amipub verify` reports a version buyers are not shown as Incorrect, naming it,
//! and passes again once they are.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::path::PathBuf;
use std::time::Duration;

use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::FEDORA_PRODUCT_ID;
use amipub_testkit::root;
use amipub_testkit::service::{Env, SOURCE_AMI, VERSION};
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(180);
/// The version the `fedora` world's product was seeded with (Fedora 40).
const SEEDED: &str = "40.20240416.0";

fn ok(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = env.amipub(args).finish(LIMIT);
    assert_eq!(code, 0, "amipub {args:?}\n{out}\n{err}");
    out
}

/// `amipub verify --format json` of `spec`: its exit code and the `buyer …` rows as
/// (item, status, actual).
fn buyer_rows(env: &Env, spec: &str) -> (i32, Vec<(String, String, String)>) {
    let args = ["verify", "--product", spec, "--format", "json"];
    let (code, out, err) = env.amipub(args).finish(LIMIT);
    let rows: Vec<Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    let text = |r: &Value, k: &str| r[k].as_str().unwrap_or("").to_owned();
    let buyer = rows
        .iter()
        .filter(|r| text(r, "item").starts_with("buyer "))
        .map(|r| (text(r, "item"), text(r, "status"), text(r, "actual")))
        .collect();
    (code, buyer)
}

fn row(version: &str, status: &str, actual: &str) -> (String, String, String) {
    (format!("buyer {version}"), status.into(), actual.into())
}

#[test]
fn the_release_announces_its_alias_and_checks_what_buyers_see() {
    let env = Env::new(AMIPUB, 3000.0);
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    let alias = format!("/aws/service/marketplace/{FEDORA_PRODUCT_ID}/{VERSION}");
    let published: Value = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["schema"] == "amipub.release.published.v1")
        .unwrap_or_else(|| panic!("no published announcement:\n{out}"));
    assert_eq!(published["body"]["ami_alias"], alias.as_str());
    let feed = std::fs::read_to_string(env.path("feed.json")).unwrap();
    let feed: Value = serde_json::from_str(&feed).unwrap();
    let entry = &feed["products"]["fedora-cloud-base-x86-64"]["x86_64"];
    assert_eq!(entry["ami_alias"], alias.as_str(), "{feed}");

    // The release's final check read the buyer's view.
    let status = ok(&env, &["status"]);
    let id = status
        .split_whitespace()
        .find(|w| w.starts_with("r-"))
        .unwrap();
    let shown = ok(&env, &["show", id]);
    let check = format!("buyer's view: {VERSION} listed as published");
    assert!(shown.contains(&check), "{shown}");

    // Both live versions are as published; the older one is judged by the OS it was published
    // with (Fedora 40), though the spec says 41 now.
    let spec = env.path("products/fedora.toml");
    let (_, rows) = buyer_rows(&env, spec.to_str().unwrap());
    let correct = |v: &str| row(v, "correct", "as published");
    assert_eq!(rows, [correct(SEEDED), correct(VERSION)]);

    // The policy amipub asks for allows the call.
    let policy = ok(&env, &["iam-policy"]);
    assert!(
        policy.contains("aws-marketplace:ListFulfillmentOptions"),
        "{policy}"
    );
}

/// The nginx example as a product that does not exist yet, written into the home.
fn fresh_nginx(env: &Env) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/products/nginx-free.toml")).unwrap();
    let path = env.path("products/nginx-free.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn verify_flags_a_version_buyers_are_not_shown_and_passes_once_they_are() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_nginx(&env);
    let p = path.to_str().unwrap();
    let reference = "https://tickets.example.org/marketing/42";
    ok(&env, &["approve", "--product", p, "--reference", reference]);
    ok(&env, &["apply", "--product", p]);
    let vars = ["--var", "release=41"];
    let publish = [
        "publish",
        "--product",
        p,
        "--ami",
        SOURCE_AMI,
        "--version",
        "1.0.0",
    ];
    ok(&env, &[&publish[..], &vars[..]].concat());
    // A Draft is shown to no one, so nothing is checked until the product is released.
    assert_eq!(buyer_rows(&env, p).1, []);
    ok(&env, &["apply", "--product", p]);
    let (code, rows) = buyer_rows(&env, p);
    assert_eq!(rows, [row("1.0.0", "correct", "as published")]);
    assert_eq!(code, 0, "every row of verify is Correct");

    // The buyer-facing catalog lags 30 days behind the seller's: 1.0.0 is not listed to buyers.
    lock(&env.world).config.discovery_lag_seconds = 30.0 * 86_400.0;
    let (code, rows) = buyer_rows(&env, p);
    assert_eq!(rows, [row("1.0.0", "incorrect", "not listed to buyers")]);
    assert_eq!(code, 1);
    lock(&env.world).config.discovery_lag_seconds = 0.0;
    let (code, rows) = buyer_rows(&env, p);
    assert_eq!(rows, [row("1.0.0", "correct", "as published")]);
    assert_eq!(code, 0);
}
