//! Integration tests of the `amipub` binary: exit codes, output formats, and the StartChangeSet
//! bodies `plan --format json` prints, checked by botocore (code we did not write).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use amipub_testkit::service::BUILD_VARS;
use amipub_testkit::{process, root};
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
/// Far beyond what any command here takes: a hung one fails its test instead of the suite.
const LIMIT: Duration = Duration::from_secs(300);

fn amipub(args: &[&str]) -> Output {
    process::run(Command::new(AMIPUB).args(args).current_dir(root()), LIMIT).expect("amipub runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs botocore's parameter validation on the given JSON; returns (exit code, report).
fn botocore_validate(json: &str) -> (i32, String) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = process::spawn(
        Command::new(python)
            .arg(root().join("crates/cli/tests/contract/start_change_set.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .expect("python3 runs");
    // Dropped once written: the script reads to the end of its input.
    child
        .take_stdin()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.output(LIMIT);
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(code, 3, "botocore is missing: {}", stderr(&out));
    (code, format!("{}{}", stdout(&out), stderr(&out)))
}

const FEDORA: &str = "examples/products/fedora-cloud-base.toml";
const NGINX: &str = "examples/products/nginx-free.toml";
const METERED: &str = "examples/products/metered-appliance.toml";

#[test]
fn validate_accepts_the_examples() {
    let out = amipub(&["validate", FEDORA, NGINX, METERED]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 files checked, 0 invalid"));
}

#[test]
fn validate_warns_when_the_metering_agent_does_not_measure_a_priced_dimension() {
    // The examples agree: no metering warning.
    let out = amipub(&["validate", METERED]);
    assert!(!stderr(&out).contains("pricing."), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok      "), "{}", stdout(&out));

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("products")).unwrap();
    std::fs::create_dir_all(dir.path().join("meter")).unwrap();
    let spec = dir.path().join("products/acme.toml");
    std::fs::copy(root().join(METERED), &spec).unwrap();
    let agent = std::fs::read_to_string(root().join("examples/meter/acme-gateway.toml")).unwrap();
    // The agent measures "hosts" instead of "managed_hosts".
    std::fs::write(
        dir.path().join("meter/acme-gateway.toml"),
        agent.replace("key = \"managed_hosts\"", "key = \"hosts\""),
    )
    .unwrap();
    let out = amipub(&["validate", spec.to_str().unwrap()]);
    let text = stdout(&out) + &stderr(&out);
    assert!(out.status.success(), "warnings only: {text}");
    assert!(text.contains("pricing.dimensions[2].key"), "{text}");
    assert!(
        text.contains("dimension managed_hosts is priced but")
            && text.contains("does not measure it"),
        "{text}"
    );
    assert!(
        text.contains("measures hosts, which is not a dimension"),
        "{text}"
    );

    // No agent config named at all.
    let spec_text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        spec_text.replace("meter_config = \"../meter/acme-gateway.toml\"\n", ""),
    )
    .unwrap();
    let out = amipub(&["validate", spec.to_str().unwrap()]);
    let text = stdout(&out) + &stderr(&out);
    assert!(
        text.contains("names no metering agent configuration"),
        "{text}"
    );
}

#[test]
fn validate_without_arguments_checks_the_products_directory_and_the_config() {
    let out = amipub(&["validate", "--config", "examples/amipub.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("4 files checked, 0 invalid"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn validate_reports_every_problem_with_file_line_and_fix_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(NGINX)).unwrap();
    let bad = text
        .replace("os_user = \"ec2-user\"", "os_user = \"9lives\"")
        .replace("future = \"None\"", "future = \"Later\"");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &bad).unwrap();
    let out = amipub(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "bad.toml:{}: error[delivery.os-user.format]: delivery.os_user",
            line_of("9lives")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "bad.toml:{}: error[regions.future.value]: regions.future",
            line_of("Later")
        )),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn validate_json_lists_problems_for_machines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[product]\nslug = \"x\"\narchitecture = \"x86_64\"\nfoo = 1\n",
    )
    .unwrap();
    let out = amipub(&["validate", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], false);
    let p = &v["files"][0]["problems"][0];
    assert_eq!(p["rule"], "toml.unknown-field");
    assert_eq!(p["path"], "product.foo");
    assert_eq!(p["line"], 4);
}

#[test]
fn plan_json_for_every_example_passes_botocore_validation() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["plan", "--product", FEDORA, "--format", "json"],
        [
            &[
                "plan",
                "--product",
                FEDORA,
                "--format",
                "json",
                "--ami",
                "ami-0123456789abcdef0",
            ][..],
            &BUILD_VARS,
        ]
        .concat(),
        vec!["plan", "--product", NGINX, "--format", "json"],
        vec![
            "plan",
            "--product",
            NGINX,
            "--format",
            "json",
            "--ami",
            "ami-0123456789abcdef0",
            "--version",
            "2024.10.27",
        ],
        vec![
            "plan",
            "--product",
            METERED,
            "--format",
            "json",
            "--ami",
            "ami-0123456789abcdef0",
            "--version",
            "2.1.0",
        ],
    ];
    for args in cases {
        let out = amipub(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let json = stdout(&out);
        let body: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(body["Catalog"], "AWSMarketplace", "{args:?}");
        assert!(body["ClientRequestToken"].as_str().unwrap().len() <= 64);
        let (code, report) = botocore_validate(&json);
        assert_eq!(code, 0, "{args:?}: {report}");
    }
}

#[test]
fn botocore_rejects_a_broken_body() {
    // The contract check must be able to fail: drop a required member, then give a wrong type.
    let out = amipub(&["plan", "--product", NGINX, "--format", "json"]);
    let mut body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    body.as_object_mut().unwrap().remove("Catalog");
    let (code, report) = botocore_validate(&body.to_string());
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("Catalog"), "{report}");
    let mut body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    body["ChangeSet"][0]["Entity"] = Value::String("AmiProduct@1.0".into());
    let (code, report) = botocore_validate(&body.to_string());
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("Entity"), "{report}");
}

#[test]
fn plan_is_deterministic() {
    let args = [
        "plan",
        "--product",
        NGINX,
        "--format",
        "json",
        "--ami",
        "ami-0123456789abcdef0",
        "--version",
        "1.0",
    ];
    assert_eq!(stdout(&amipub(&args)), stdout(&amipub(&args)));
}

#[test]
fn plan_explains_a_missing_template_variable() {
    let out = amipub(&[
        "plan",
        "--product",
        FEDORA,
        "--ami",
        "ami-0123456789abcdef0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--var release=VALUE"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plan_refuses_an_invalid_spec_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(root().join(NGINX))
        .unwrap()
        .replace("model = \"free\"", "model = \"maybe\"");
    std::fs::write(&file, text).unwrap();
    let out = amipub(&["plan", "--product", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pricing.model"));
}

#[test]
fn plan_text_lists_each_change() {
    let out = amipub(&[
        "plan",
        "--product",
        METERED,
        "--ami",
        "ami-0123456789abcdef0",
        "--version",
        "2.1.0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("AddDeliveryOptions"), "{text}");
    assert!(text.contains("prod-acmegateway01"), "{text}");
    assert!(
        text.contains("version \"2.1.0\" with \"ami-0123456789abcdef0\""),
        "{text}"
    );
}

#[test]
fn load_form_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = amipub(&[
        "load-form",
        "--out",
        dir.path().to_str().unwrap(),
        "--product",
        FEDORA,
        "--product",
        NGINX,
        "--version",
        "nginx-free=2024.10.27@ami-0123456789abcdef0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.path().join("product-load-form.csv")).unwrap();
    assert!(csv.contains("ami-0123456789abcdef0"));
    assert!(dir.path().join("product-load-form.xlsx").exists());
}
