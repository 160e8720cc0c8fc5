//! The lifecycle suites' helpers: an example product spec without its ids (a product to
//! create), `amipub` runs that must succeed, a release of the sample build as a given version,
//! the sandbox's document of a product, and creating a product behind its approval.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::path::PathBuf;
use std::time::Duration;

use amipub_sandbox::server::lock;
use serde_json::Value;

use crate::root;
use crate::service::Env;

/// How long one `amipub` command of these suites may take.
pub const LIMIT: Duration = Duration::from_secs(180);
/// The marketing approval's ticket the suites record.
pub const REFERENCE: &str = "https://tickets.example.org/marketing/42";

/// An example spec without its ids (a product that does not exist yet), written into the home.
pub fn fresh_spec(env: &Env, example: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/products").join(example)).unwrap();
    let text: String = text
        .lines()
        .filter(|l| {
            !(l.starts_with("id = ")
                || l.starts_with("offer_id = ")
                || l.starts_with("product_code = "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = env.path(&format!("products/{example}"));
    // The metered product's spec names the meter configuration next to it.
    std::fs::create_dir_all(env.path("meter")).unwrap();
    std::fs::copy(
        root().join("examples/meter/acme-gateway.toml"),
        env.path("meter/acme-gateway.toml"),
    )
    .unwrap();
    std::fs::write(&path, edit(text + "\n")).unwrap();
    path
}

/// `amipub <args>` in the home: exit code, stdout, stderr.
pub fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    env.amipub(args).finish(LIMIT)
}

/// `amipub <args>`, which must succeed; its stdout.
pub fn ok(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = run(env, args);
    assert_eq!(code, 0, "amipub {args:?}\n{out}\n{err}");
    out
}

/// Publishes the sample build as `version` of the product of `spec`.
pub fn publish(env: &Env, spec: &str, version: &str) {
    let (code, out, err) = env.publish_version(spec, version).finish(LIMIT);
    assert_eq!(code, 0, "amipub publish {version}\n{out}\n{err}");
}

/// The sandbox's DescribeEntity document of product `id`.
pub fn product_doc(env: &Env, id: &str) -> Value {
    lock(&env.world)
        .catalog
        .entities
        .get(id)
        .unwrap()
        .doc
        .clone()
}

/// The product id `apply` wrote into the spec at `path`.
pub fn spec_id(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let spec = amipub_domain::spec::parse_spec(&text).unwrap();
    spec.product
        .id
        .expect("apply wrote the product id into the spec")
}

/// Creates the product of `path` (approving its content first); returns its id.
pub fn create(env: &Env, path: &PathBuf) -> String {
    let p = path.to_str().unwrap();
    ok(env, &["approve", "--product", p, "--reference", REFERENCE]);
    let out = ok(env, &["apply", "--product", p]);
    assert!(out.contains("created prod-"), "{out}");
    spec_id(path)
}
