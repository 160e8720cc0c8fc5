//! Tags against the sandbox: with `[tags] FedoraGroup = "cloud"`, the seller-side copy a release
//! makes and its snapshots carry that tag and the provenance tags (source AMI, its owner, the
//! compose), as do its SSM parameters and its change set; `amipub verify` says the copy's tags
//! are right, flags the copy once a tag is taken off it or its snapshot, a parameter that lost
//! its tags (naming the Regions) and the listing's product and offer (made before amipub), and
//! `amipub apply --tags` puts back what each lacks; every call made is one `amipub iam-policy`
//! allows. A create job tags the product and offer it makes (`EntityTags`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::Duration;

use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::SELLER_ACCOUNT;
use amipub_testkit::lifecycle::{create, fresh_spec};
use amipub_testkit::service::{Env, SOURCE_AMI};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(300);

/// The seller-side copy: its id, its tags and each of its snapshots' tags.
fn mirror(
    env: &Env,
) -> (
    String,
    BTreeMap<String, String>,
    Vec<BTreeMap<String, String>>,
) {
    let w = lock(&env.world);
    let image = w
        .ec2
        .images
        .values()
        .find(|i| i.owner == SELLER_ACCOUNT && i.tags.contains_key("amipub:release"))
        .expect("a mirror");
    let snaps = image
        .snapshots
        .iter()
        .map(|s| w.ec2.snapshots[s].tags.clone())
        .collect();
    (image.id.clone(), image.tags.clone(), snaps)
}

fn verify(env: &Env) -> String {
    let (_, out, err) = env.amipub(["verify", "--all"]).finish(LIMIT);
    format!("{out}\n{err}")
}

#[test]
fn copies_carry_the_configured_and_provenance_tags_and_verify_flags_a_lack() {
    let env = Env::new(AMIPUB, 3000.0);
    env.append_config("[tags]\nFedoraGroup = \"cloud\"\n");
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");

    let (ami, tags, snaps) = mirror(&env);
    for t in std::iter::once(&tags).chain(&snaps) {
        assert_eq!(t["FedoraGroup"], "cloud", "{t:?}");
        assert_eq!(t["amipub:source-ami"], SOURCE_AMI, "{t:?}");
        assert_eq!(t["amipub:source-owner"], "125523088429", "{t:?}");
        assert_eq!(t["amipub:compose-id"], "Fedora-41-20241027.0", "{t:?}");
        assert_eq!(t["amipub:product"], "fedora-cloud-base-x86-64", "{t:?}");
    }
    assert!(!snaps.is_empty());
    // The change set that added the version.
    {
        let w = lock(&env.world);
        // amipub's own (the world's seeded ones are named otherwise).
        let started: Vec<_> = w
            .catalog
            .change_sets
            .values()
            .filter(|c| c.name.starts_with("amipub"))
            .collect();
        assert!(!started.is_empty());
        for cs in started {
            assert_eq!(
                cs.tags.get("FedoraGroup").map(String::as_str),
                Some("cloud"),
                "{} {} {:?} {:?}",
                cs.id,
                cs.name,
                cs.tags,
                cs.changes
                    .iter()
                    .map(|c| &c.change_type)
                    .collect::<Vec<_>>()
            );
        }
    }
    // The SSM parameters the release created, in every Region.
    {
        let w = lock(&env.world);
        let params: Vec<_> = w
            .ssm
            .parameters
            .values()
            .filter(|p| p.name.starts_with("/fedora/cloud/41/"))
            .collect();
        assert!(params.len() > 60, "{}", params.len());
        for p in params {
            assert_eq!(
                p.tags.get("FedoraGroup").map(String::as_str),
                Some("cloud"),
                "{}",
                p.name
            );
            assert_eq!(
                p.tags.get("amipub:product").map(String::as_str),
                Some("fedora-cloud-base-x86-64")
            );
            // The versioned parameter is the release's own; aliases move between releases.
            let alias = p.name.ends_with("/latest");
            let release = p.tags.get("amipub:release").map(String::as_str);
            assert_eq!(release.is_none(), alias, "{} {:?}", p.name, p.tags);
            let compose = p.tags.get("amipub:compose-id").map(String::as_str);
            assert_eq!(
                compose,
                (!alias).then_some("Fedora-41-20241027.0"),
                "{}",
                p.name
            );
        }
    }
    let row = format!("tags of seller image {ami}");
    let before = verify(&env);
    let line = before
        .lines()
        .find(|l| l.contains(&row))
        .unwrap_or_default();
    assert!(line.starts_with("Correct"), "{before}");

    lock(&env.world)
        .ec2
        .images
        .get_mut(&ami)
        .unwrap()
        .tags
        .remove("FedoraGroup");
    let after = verify(&env);
    let line = after.lines().find(|l| l.contains(&row)).unwrap_or_default();
    assert!(line.starts_with("Incorrect"), "{after}");
    assert!(line.contains("lacks FedoraGroup"), "{after}");
    // A snapshot that lost a tag is flagged too.
    let snap = {
        let mut w = lock(&env.world);
        let snap = w.ec2.images[&ami].snapshots[0].clone();
        w.ec2
            .snapshots
            .get_mut(&snap)
            .unwrap()
            .tags
            .remove("amipub:compose-id");
        snap
    };
    let after = verify(&env);
    let line = after.lines().find(|l| l.contains(&row)).unwrap_or_default();
    assert!(
        line.contains(&format!("{snap} lacks amipub:compose-id")),
        "{after}"
    );

    // `apply --tags` puts back what resources made before lack: the copy's tag, and a
    // parameter's.
    let latest = "/fedora/cloud/41/x86_64/latest";
    // And the release's versioned one.
    let ours = |name: &str| name.starts_with("/fedora/cloud/41/x86_64/");
    let stripped = |w: &mut amipub_sandbox::world::World| {
        for p in w.ssm.parameters.values_mut().filter(|p| ours(&p.name)) {
            p.tags.clear();
        }
    };
    let ssm_row = format!("tags of ssm {latest}");
    let before = verify(&env);
    // The listing was there before amipub: its entities lack the configured tag until
    // `apply --tags` adds it.
    let entity_rows = [
        "tags of product prod-fedoracbx8664",
        "tags of offer offer-fedoracbx8664",
    ];
    for row in entity_rows {
        let line = before.lines().find(|l| l.contains(row)).unwrap_or_default();
        assert!(line.starts_with("Incorrect"), "{before}");
        assert!(line.contains("lacks FedoraGroup"), "{before}");
    }
    let line = before
        .lines()
        .find(|l| l.contains(&ssm_row))
        .unwrap_or_default();
    assert!(line.starts_with("Correct"), "{before}");
    stripped(&mut lock(&env.world));
    let after = verify(&env);
    let line = after
        .lines()
        .find(|l| l.contains(&ssm_row))
        .unwrap_or_default();
    assert!(line.starts_with("Incorrect"), "{after}");
    assert!(line.contains("FedoraGroup, amipub:product in "), "{after}");
    let product = env.path("products/fedora.toml").display().to_string();
    let (code, out, err) = env
        .amipub(["apply", "--tags", "--product", &product])
        .finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "tagged {ami} and 1 snapshot(s): FedoraGroup, amipub:compose-id"
        )),
        "{out}"
    );
    for id in ["prod-fedoracbx8664", "offer-fedoracbx8664"] {
        assert!(out.contains(&format!("tagged {id}: FedoraGroup")), "{out}");
    }
    let again = verify(&env);
    for row in [row.as_str(), ssm_row.as_str()]
        .into_iter()
        .chain(entity_rows)
    {
        let line = again.lines().find(|l| l.contains(row)).unwrap_or_default();
        assert!(line.starts_with("Correct"), "{again}");
    }
    let w = lock(&env.world);
    for p in w.ssm.parameters.values().filter(|p| ours(&p.name)) {
        assert_eq!(
            p.tags.get("FedoraGroup").map(String::as_str),
            Some("cloud"),
            "{}",
            p.region
        );
        let release = p.tags.get("amipub:release");
        assert_eq!(
            release.is_some(),
            p.name != latest,
            "{} {:?}",
            p.name,
            p.tags
        );
    }
    drop(w);
    // Tagging and reading tags back: each call is one the policy allows.
    assert_eq!(env.calls_the_policy_misses(), Vec::<String>::new());
}

#[test]
fn the_product_and_offer_a_create_job_makes_carry_the_tags() {
    let env = Env::new(AMIPUB, 3000.0);
    env.append_config("[tags]\nFedoraGroup = \"cloud\"\n");
    // A product that does not exist yet (the example names no ids), created.
    let path = fresh_spec(&env, "nginx-free.toml", |t| t);
    create(&env, &path);
    let written =
        amipub_domain::spec::parse_spec(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ids = [
        written.product.id.unwrap(),
        written.product.offer_id.unwrap(),
    ];
    let w = lock(&env.world);
    for id in ids {
        let arn = w.catalog.entities[&id].arn();
        let tags = w.catalog.tags.get(&arn).cloned().unwrap_or_default();
        assert_eq!(
            tags.get("FedoraGroup").map(String::as_str),
            Some("cloud"),
            "{id}: {tags:?}"
        );
        assert_eq!(
            tags.get("amipub:product").map(String::as_str),
            Some("nginx-free"),
            "{id}: {tags:?}"
        );
    }
}
