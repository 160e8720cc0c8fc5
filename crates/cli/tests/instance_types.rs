//! Instance types that stay current, against the sandbox: the Fedora product asks for every
//! current-generation x86_64 type (less a few), which at first is what its listing offers. A new
//! type appears in the sandbox's EC2: `amipub plan` shows it as an addition, and `amipub serve`'s
//! daily check records the sync job that adds it, with no marketing approval.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::{Duration, Instant};

use amipub_testkit::bus::Serve;
use amipub_testkit::service::Env;
use serde_json::json;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const NEW: &str = "m8i.large";
/// What serve logs when the check records a sync job.
const RECORDED: &str = "(new in EC2): sync job";

/// The product's spec with `all_current`: EC2's current x86_64 types in the sandbox, less the
/// four the seeded listing lacks, are exactly the listing's.
fn all_current(env: &Env) {
    let path = env.path("products/fedora.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let old = "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"t3.large\", \"m5.large\", \"m5.xlarge\", \"c5.large\", \"r5.large\"]";
    assert!(text.contains(old));
    let new = "all_current = true\nexclude = [\"c5.xlarge\", \"m6i.large\", \"c6i.large\", \"m7i.large\"]";
    std::fs::write(&path, text.replace(old, new)).unwrap();
}

fn plan(env: &Env) -> String {
    let product = env.path("products/fedora.toml").display().to_string();
    let (code, out, err) = env
        .amipub(["plan", "--product", &product])
        .finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{out}\n{err}");
    out
}

#[test]
fn a_new_current_type_shows_in_plan_and_the_daily_check_adds_it() {
    let env = Env::new(AMIPUB, 30_000.0);
    all_current(&env);
    let before = plan(&env);
    assert!(!before.contains("instance_types"), "{before}");

    let mut serve = Serve::spawn(&env);
    serve.wait_for_log("no [bus]", Duration::from_secs(60));
    // The first check (at start) finds nothing new.
    std::thread::sleep(Duration::from_secs(2));
    assert!(!serve.log_text().contains(RECORDED), "{}", serve.log_text());

    env.admin(
        "POST",
        "/_sandbox/instance-types",
        &json!({ "name": NEW, "architectures": ["x86_64"] }),
    );
    let shown = plan(&env);
    assert!(shown.contains("~ instance_types.available"), "{shown}");
    assert!(shown.contains(&format!("+ {NEW}")), "{shown}");
    assert!(shown.contains("AddInstanceTypes"), "{shown}");

    // A day of sandbox time later (under 3 s here) the check records the sync job; it adds the
    // type without an approval.
    serve.wait_for_log(RECORDED, Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let after = plan(&env);
        if !after.contains("instance_types") {
            break;
        }
        assert!(Instant::now() < deadline, "{after}\n{}", serve.log_text());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(serve.count_in_log(RECORDED), 1, "{}", serve.log_text());
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
