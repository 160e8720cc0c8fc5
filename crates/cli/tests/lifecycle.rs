//! The product lifecycle end to end against the sandbox: each example product created from
//! scratch with two versions; spec edits planned and applied; the approval gate; retention with
//! grace-period cleanup; `latest` under regional lag and `promote` rollback; GovCloud with its
//! own credentials; `verify` after a release and with planted drift; Limited → Public.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::path::PathBuf;
use std::time::Duration;

use amipub_sandbox::server::lock;
use amipub_sandbox::world::MARKETPLACE_ACCOUNT;
use amipub_sandbox::worlds::{GOVCLOUD_SELLER_ACCOUNT, SELLER_ACCOUNT};
use amipub_testkit::root;
use amipub_testkit::service::{Env, SOURCE_AMI};
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(180);
const REFERENCE: &str = "https://tickets.example.org/marketing/42";

/// An example spec without its ids (a product that does not exist yet), written into the home.
fn fresh_spec(env: &Env, example: &str, edit: impl Fn(String) -> String) -> PathBuf {
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

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    env.amipub(args).finish(LIMIT)
}

fn ok(env: &Env, args: &[&str]) -> String {
    let (code, out, err) = run(env, args);
    assert_eq!(code, 0, "amipub {args:?}\n{out}\n{err}");
    out
}

fn publish(env: &Env, spec: &str, version: &str) {
    ok(
        env,
        &[
            "publish",
            "--product",
            spec,
            "--ami",
            SOURCE_AMI,
            "--version",
            version,
            "--var",
            "release=41",
            "--var",
            "compose_id=Fedora-41-20241027.0",
            "--var",
            "subvariant=Cloud_Base",
            "--var",
            "image_name=Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4",
        ],
    );
}

fn product_doc(env: &Env, id: &str) -> Value {
    lock(&env.world)
        .catalog
        .entities
        .get(id)
        .unwrap()
        .doc
        .clone()
}

fn spec_id(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let spec = amipub_domain::spec::parse_spec(&text).unwrap();
    spec.product
        .id
        .expect("apply wrote the product id into the spec")
}

/// Creates the product of `path` (approving its content first); returns its id.
fn create(env: &Env, path: &PathBuf) -> String {
    let p = path.to_str().unwrap();
    ok(env, &["approve", "--product", p, "--reference", REFERENCE]);
    let out = ok(env, &["apply", "--product", p]);
    assert!(out.contains("created prod-"), "{out}");
    spec_id(path)
}

#[test]
fn each_example_product_is_created_from_scratch_and_gets_two_versions() {
    let env = Env::new(AMIPUB, 3000.0);
    for example in [
        "fedora-cloud-base.toml",
        "nginx-free.toml",
        "metered-appliance.toml",
    ] {
        let path = fresh_spec(&env, example, |t| t);
        let p = path.to_str().unwrap();
        // Without an approval covering the content, nothing is created.
        let (code, _, err) = run(&env, &["apply", "--product", p]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("approve --product"), "{err}");
        let before = env.change_sets();
        let id = create(&env, &path);
        assert_eq!(
            env.change_sets(),
            before + 1,
            "one change set creates product and offer"
        );
        publish(&env, p, "1.0.0");
        publish(&env, p, "1.1.0");
        // A Draft with versions goes to Limited with its offer on the next apply.
        ok(&env, &["apply", "--product", p]);
        let doc = product_doc(&env, &id);
        assert_eq!(doc["Description"]["Visibility"], "Limited", "{example}");
        let titles: Vec<&str> = doc["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["VersionTitle"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["1.0.0", "1.1.0"], "{example}");
        // Every spec field is on the listing: the plan finds no difference.
        let out = ok(&env, &["plan", "--product", p]);
        assert!(out.contains("no differences"), "{example}:\n{out}");
        assert!(
            out.contains("Plan for") && out.contains(": 0 change sets"),
            "{example}:\n{out}"
        );
        let spec =
            amipub_domain::spec::parse_spec(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            doc["Description"]["ProductTitle"],
            spec.listing.title.as_str()
        );
        assert_eq!(
            doc["Description"]["SearchKeywords"]
                .as_array()
                .unwrap()
                .len(),
            spec.listing.keywords.len()
        );
        assert_eq!(
            doc["RegionAvailability"]["Regions"]
                .as_array()
                .unwrap()
                .len(),
            spec.region_codes().len()
        );
        assert_eq!(
            doc["Description"]["ProductCode"].as_str(),
            spec.product.product_code.as_deref()
        );
    }
}

#[test]
fn spec_edits_are_planned_field_by_field_applied_behind_the_approval_and_then_gone() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "metered-appliance.toml", |t| t);
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    publish(&env, p, "1.0.0");
    ok(&env, &["apply", "--product", p]);
    // Edit the title, drop a Region, add an instance type with its price, change a price.
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = amipub_domain::spec::parse_spec(&text).unwrap();
    let dim = spec.pricing.dimensions[0].clone();
    let edited = text
        .replacen(
            &format!("title = \"{}\"", spec.listing.title),
            "title = \"Acme API Gateway 2\"",
            1,
        )
        .replacen("\"eu-central-1\"", "", 1)
        .replace(", ]", "]")
        .replacen(&format!("price = \"{}\"", dim.price), "price = \"0.5\"", 1);
    let edited = add_instance_type(&edited, &spec);
    std::fs::write(&path, &edited).unwrap();
    let (code, out, err) = run(&env, &["plan", "--product", p]);
    assert_eq!(code, 0, "{out}\n{err}");
    let fields: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("~ "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "instance_types.available",
            "listing.title",
            "pricing.rates",
            "regions"
        ],
        "{out}"
    );
    assert!(out.contains("- eu-central-1"), "{out}");
    assert!(out.contains("+ Acme API Gateway 2"), "{out}");
    assert!(out.contains(&format!("~ {}: ", dim.key)), "{out}");
    assert!(out.contains("apply will refuse"), "{out}");
    // The approval covers the old content: refused, naming the changed content fields.
    let (code, _, err) = run(&env, &["apply", "--product", p]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("changed: listing.title, pricing.rates"),
        "{err}"
    );
    assert_eq!(
        product_doc(&env, &id)["Description"]["ProductTitle"],
        spec.listing.title.as_str()
    );
    ok(
        &env,
        &[
            "approve",
            "--product",
            p,
            "--reference",
            "https://tickets.example.org/marketing/43",
        ],
    );
    ok(&env, &["apply", "--product", p]);
    let doc = product_doc(&env, &id);
    assert_eq!(doc["Description"]["ProductTitle"], "Acme API Gateway 2");
    assert!(
        !doc["RegionAvailability"]["Regions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("eu-central-1"))
    );
    let out = ok(&env, &["plan", "--product", p]);
    assert!(out.contains("no differences"), "{out}");
    // Someone edits the title in the console: the same spec fixes it again with a new change set
    // (not the old, finished one handed back for the same token).
    let before = env.change_sets();
    lock(&env.world).catalog.entities.get_mut(&id).unwrap().doc["Description"]["ProductTitle"] =
        Value::from("Edited in the console");
    ok(&env, &["apply", "--product", p]);
    assert_eq!(env.change_sets(), before + 1);
    assert_eq!(
        product_doc(&env, &id)["Description"]["ProductTitle"],
        "Acme API Gateway 2"
    );
}

#[test]
fn govcloud_without_its_credentials_fails_the_release_saying_what_to_add() {
    let env = Env::new(AMIPUB, 3000.0);
    let config = std::fs::read_to_string(env.path("amipub.toml")).unwrap();
    let without = config.replace(
        "[partitions.aws-us-gov]\naccount_id = \"222233334444\"\n",
        "",
    );
    assert_ne!(without, config);
    std::fs::write(env.path("amipub.toml"), without).unwrap();
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("[partitions.aws-us-gov]"), "{out}");
    assert!(
        !lock(&env.world)
            .requests
            .iter()
            .any(|r| r.region.starts_with("us-gov-")),
        "no GovCloud call with commercial keys"
    );
}

/// The spec text with one more instance type (and, for hourly pricing, its price).
fn add_instance_type(text: &str, spec: &amipub_domain::spec::ProductSpec) -> String {
    let list = spec
        .instance_types
        .available
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = text.replacen(
        &format!("available = [{list}]"),
        &format!("available = [{list}, \"m6i.large\"]"),
        1,
    );
    assert_ne!(out, text, "the instance type list is written on one line");
    if !spec.pricing.hourly.is_empty() {
        out = out.replacen(
            "[pricing.hourly]\n",
            "[pricing.hourly]\n\"m6i.large\" = \"0.2\"\n",
            1,
        );
    }
    out
}

#[test]
fn keep_three_restricts_with_new_versions_and_cleans_up_after_the_grace_period() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "nginx-free.toml", |t| {
        t.replace("keep_latest = 2", "keep_latest = 3")
            .replace("grace_days = ", "grace_days = 2 #")
    });
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    for v in ["1", "2", "3", "4", "5"] {
        publish(&env, p, &format!("1.{v}"));
    }
    let doc = product_doc(&env, &id);
    let option = |title: &str| -> String {
        doc["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["VersionTitle"] == title)
            .unwrap()["DeliveryOptions"][0]["Id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let w = lock(&env.world);
    let restricts_of = |version: &str| -> Vec<String> {
        let cs = w
            .catalog
            .change_sets
            .values()
            .find(|c| {
                c.changes.iter().any(|ch| {
                    ch.change_type == "AddDeliveryOptions"
                        && ch.details["Version"]["VersionTitle"] == version
                })
            })
            .unwrap();
        cs.changes
            .iter()
            .filter(|c| c.change_type == "RestrictDeliveryOptions")
            .flat_map(|c| {
                c.details["DeliveryOptionIds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    assert!(restricts_of("1.3").is_empty());
    assert_eq!(restricts_of("1.4"), [option("1.1")]);
    assert_eq!(restricts_of("1.5"), [option("1.2")]);
    let mirror = |title: &str| {
        doc["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["VersionTitle"] == title)
            .unwrap()["Sources"][0]["Image"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mirrors: Vec<String> = ["1.1", "1.2", "1.3", "1.4", "1.5"]
        .iter()
        .map(|t| mirror(t))
        .collect();
    let snapshots: Vec<Vec<String>> = mirrors
        .iter()
        .map(|m| w.ec2.images[m].snapshots.clone())
        .collect();
    let images_before = w.ec2.images.values().filter(|i| !i.deregistered).count();
    let snaps_before = w.ec2.snapshots.len();
    drop(w);

    // First apply: the soft step (tagged, unshared), nothing deleted.
    let out = ok(&env, &["apply", "--product", p]);
    assert!(out.contains(&format!("retired {}", mirrors[0])), "{out}");
    {
        let w = lock(&env.world);
        assert!(
            w.ec2.images[&mirrors[0]]
                .tags
                .contains_key("amipub:retired-at")
        );
        assert!(!w.ec2.images[&mirrors[0]].deregistered);
        assert!(
            !w.ec2.images[&mirrors[2]]
                .tags
                .contains_key("amipub:retired-at")
        );
    }
    // Within the grace period: still there.
    ok(&env, &["apply", "--product", p]);
    assert!(!lock(&env.world).ec2.images[&mirrors[0]].deregistered);
    // After it: the two retired mirrors and their snapshots are gone, nothing else is.
    lock(&env.world).clock.advance(3.0 * 86_400.0);
    let out = ok(&env, &["apply", "--product", p]);
    assert!(out.contains(&format!("deleted {}", mirrors[1])), "{out}");
    let w = lock(&env.world);
    for (i, m) in mirrors.iter().enumerate() {
        let gone = w.ec2.images.get(m).is_none_or(|img| img.deregistered);
        assert_eq!(gone, i < 2, "mirror of 1.{}", i + 1);
        for s in &snapshots[i] {
            assert_eq!(
                !w.ec2.snapshots.contains_key(s),
                i < 2,
                "snapshot of 1.{}",
                i + 1
            );
        }
    }
    assert_eq!(
        w.ec2.images.values().filter(|i| !i.deregistered).count(),
        images_before - 2
    );
    assert_eq!(
        w.ec2.snapshots.len(),
        snaps_before - snapshots[0].len() - snapshots[1].len()
    );
    drop(w);
    // Keeping fewer: the sync restricts 1.3 and tells consumers, naming 1.5 instead.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("keep_latest = 3", "keep_latest = 2")).unwrap();
    let out = ok(&env, &["apply", "--product", p]);
    assert!(out.contains("restricted 1.3; announced with 1.5"), "{out}");
    let told: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["schema"] == "amipub.release.restricted.v1")
        .collect();
    assert_eq!(told.len(), 1, "{out}");
    let body: Value = match &told[0]["body"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        b => b.clone(),
    };
    assert_eq!(
        body["restricted_versions"],
        serde_json::json!(["1.3"]),
        "{body}"
    );
    assert_eq!(body["replacement"]["version_title"], "1.5", "{body}");
    // Creating, releasing, retiring and deleting: each call is one the policy allows.
    assert_eq!(env.calls_the_policy_misses(), Vec::<String>::new());
}

/// Every `latest` parameter of the seller (both partitions) holds an AMI that is available and
/// public in its Region.
fn latest_is_always_launchable(env: &Env) -> usize {
    let w = lock(&env.world);
    let mut n = 0;
    for prm in w
        .ssm
        .parameters
        .values()
        .filter(|p| p.name.ends_with("/latest") && p.name.starts_with("/fedora/"))
    {
        let v = &prm.latest().unwrap().value;
        let img = w
            .ec2
            .images
            .get(v)
            .unwrap_or_else(|| panic!("{} in {} → missing {v}", prm.name, prm.region));
        assert!(
            !img.deregistered
                && img.public
                && img.region == prm.region
                && img.ready_at <= w.clock.elapsed(),
            "{} in {} → {v}",
            prm.name,
            prm.region
        );
        n += 1;
    }
    n
}

fn latest_in(env: &Env, region: &str) -> Option<String> {
    let w = lock(&env.world);
    w.ssm
        .parameters
        .values()
        .find(|p| p.region == region && p.name == "/fedora/cloud/41/x86_64/latest")
        .and_then(|p| p.latest())
        .map(|v| v.value.clone())
}

#[test]
fn latest_follows_launchable_amis_promote_rolls_back_and_govcloud_uses_its_own_account() {
    let env = Env::new(AMIPUB, 3000.0);
    let spec = env.path("products/fedora.toml");
    let p = spec.to_str().unwrap();
    publish(&env, p, "41.1");
    publish(&env, p, "41.2");
    let regions = {
        let text = std::fs::read_to_string(&spec).unwrap();
        amipub_domain::spec::parse_spec(&text)
            .unwrap()
            .region_codes()
    };
    let (code, shown, _) = run(&env, &["status"]);
    assert_eq!(code, 0);
    let rid = shown
        .lines()
        .find(|l| l.contains("41.2"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let shown = ok(&env, &["show", &rid]);
    assert!(
        shown.contains(&format!("{n} of {n} Regions verified", n = regions.len())),
        "{shown}"
    );
    assert_eq!(latest_is_always_launchable(&env), regions.len());
    let v2: Vec<Option<String>> = regions.iter().map(|r| latest_in(&env, r)).collect();

    // GovCloud: located and parameterised with the GovCloud account's credentials only.
    {
        let w = lock(&env.world);
        let gov: Vec<_> = w
            .ssm
            .parameters
            .values()
            .filter(|p| p.region.starts_with("us-gov-") && p.name.starts_with("/fedora/"))
            .collect();
        assert_eq!(
            gov.len(),
            2 * 3,
            "two Regions: two versioned parameters and latest in each"
        );
        assert!(gov.iter().all(|p| p.account == GOVCLOUD_SELLER_ACCOUNT));
        let calls: Vec<_> = w
            .requests
            .iter()
            .filter(|r| r.region.starts_with("us-gov-"))
            .collect();
        assert!(!calls.is_empty());
        assert!(
            calls
                .iter()
                .all(|r| r.account.as_deref() == Some(GOVCLOUD_SELLER_ACCOUNT)),
            "a GovCloud call with other credentials"
        );
        assert!(
            !w.ssm
                .parameters
                .values()
                .any(|p| p.account == SELLER_ACCOUNT && p.region.starts_with("us-gov-"))
        );
    }

    // Rollback: latest → 41.1 in every Region, then forward again.
    let out = ok(
        &env,
        &[
            "promote",
            "--product",
            p,
            "--version",
            "41.1",
            "--alias",
            "latest",
        ],
    );
    assert!(
        out.contains(&format!(
            "in {} of {} Regions",
            regions.len(),
            regions.len()
        )),
        "{out}"
    );
    for (i, r) in regions.iter().enumerate() {
        let now = latest_in(&env, r);
        assert_ne!(now, v2[i], "{r} still on 41.2");
        let w = lock(&env.world);
        let img = &w.ec2.images[now.as_ref().unwrap()];
        assert!(
            img.description.as_deref().unwrap_or("").ends_with("41.1"),
            "{r}: {:?}",
            img.description
        );
    }
    ok(&env, &["promote", "--product", p, "--version", "41.2"]);
    assert_eq!(
        regions
            .iter()
            .map(|r| latest_in(&env, r))
            .collect::<Vec<_>>(),
        v2
    );

    // Regional lag: eu-west-3 gets 41.3 only after the locate deadline; latest there keeps 41.2.
    lock(&env.world)
        .config
        .region_lag_overrides
        .insert("eu-west-3".into(), 30.0 * 86_400.0);
    publish(&env, p, "41.3");
    assert_eq!(
        latest_in(&env, "eu-west-3"),
        v2[regions.iter().position(|r| r == "eu-west-3").unwrap()]
    );
    assert_ne!(
        latest_in(&env, "eu-west-1"),
        v2[regions.iter().position(|r| r == "eu-west-1").unwrap()]
    );
    assert_eq!(latest_is_always_launchable(&env), regions.len());
    // Promoting 41.3 everywhere leaves eu-west-3 alone and says so.
    let (code, out, err) = run(&env, &["promote", "--product", p, "--version", "41.3"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("eu-west-3: no Marketplace AMI of 41.3"),
        "{err}"
    );
    assert_eq!(latest_is_always_launchable(&env), regions.len());
}

#[test]
fn verify_is_correct_after_a_release_and_names_each_planted_drift() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "nginx-free.toml", |t| {
        t + "\n[ssm]\nversioned = \"/nginx/{version}\"\n\n[ssm.aliases]\nlatest = \"/nginx/latest\"\n"
    });
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    publish(&env, p, "1.0.0");
    ok(&env, &["apply", "--product", p]);
    let out = ok(&env, &["verify", "--product", p]);
    assert!(
        out.contains("verify: ") && !out.contains("incorrect") && !out.contains("missing"),
        "{out}"
    );
    // The release recorded its own check.
    let (_, status, _) = run(&env, &["status"]);
    let rid = status
        .lines()
        .find(|l| l.contains("1.0.0"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let shown = ok(&env, &["show", &rid]);
    assert!(shown.contains("Regions verified"), "{shown}");
    // The run is kept for the console, with where the listing stands.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kept = rt.block_on(async { env.store().await.verify_rows(None).await.unwrap() });
    assert!(
        kept.iter().any(|c| c.row.item == "listing.visibility"),
        "{kept:?}"
    );

    // Plant drift: a deleted parameter, a wrong value, a deregistered Marketplace AMI, an edited title.
    let (wrong_region, gone_region) = ("us-east-2", "eu-west-1");
    {
        let mut w = lock(&env.world);
        let key = w
            .ssm
            .parameters
            .iter()
            .find(|(_, p)| {
                p.region == "us-west-2" && p.account == SELLER_ACCOUNT && p.name.ends_with("latest")
            })
            .map(|(k, _)| k.clone())
            .unwrap();
        w.ssm.parameters.remove(&key);
        let other = w
            .ec2
            .images
            .values()
            .find(|i| i.region == wrong_region && i.owner != MARKETPLACE_ACCOUNT && i.public)
            .map(|i| i.id.clone())
            .unwrap();
        let prm = w
            .ssm
            .parameters
            .values_mut()
            .find(|p| {
                p.region == wrong_region
                    && p.account == SELLER_ACCOUNT
                    && p.name.ends_with("latest")
            })
            .unwrap();
        let mut v = prm.latest().unwrap().clone();
        v.value = other;
        v.version += 1;
        prm.versions.push(v);
        let mp = w
            .ec2
            .images
            .values_mut()
            .find(|i| {
                i.region == gone_region
                    && i.owner == MARKETPLACE_ACCOUNT
                    && i.description.as_deref().unwrap_or("").ends_with("1.0.0")
            })
            .unwrap();
        mp.deregistered = true;
        let e = w.catalog.entities.get_mut(&id).unwrap();
        e.doc["Description"]["ProductTitle"] = Value::from("Edited by hand");
    }
    let (code, out, err) = run(&env, &["verify", "--product", p, "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let status_of = |region: &str, item: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["region"] == region && r["item"].as_str().unwrap().contains(item))
            .map(|r| r["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(status_of("-", "listing.title"), ["incorrect"]);
    assert_eq!(status_of("us-west-2", "latest"), ["missing"]);
    assert_eq!(status_of(wrong_region, "latest"), ["incorrect"]);
    assert_eq!(status_of(gone_region, "ami 1.0.0"), ["missing"]);
    let bad: Vec<&Value> = rows.iter().filter(|r| r["status"] != "correct").collect();
    // The deregistered AMI also makes the two parameters there point at an unlaunchable image.
    assert_eq!(bad.len(), 6, "{bad:#?}");
    assert!(
        status_of(gone_region, "ssm")
            .iter()
            .all(|s| s == "incorrect")
    );
}

#[test]
fn a_limited_product_goes_public() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "nginx-free.toml", |t| t);
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    publish(&env, p, "1.0.0");
    let (code, _, err) = run(&env, &["visibility", "--product", p, "public"]);
    assert_eq!(code, 2, "a Draft cannot go Public: {err}");
    ok(&env, &["apply", "--product", p]);
    let out = ok(&env, &["visibility", "--product", p, "public"]);
    assert!(out.contains("visibility is now Public"), "{out}");
    assert_eq!(
        product_doc(&env, &id)["Description"]["Visibility"],
        "Public"
    );
    let out = ok(&env, &["visibility", "--product", p, "public"]);
    assert!(out.contains("already Public"), "{out}");
}

/// Step boundaries inside a lifecycle job: after the plan, around StartChangeSet, while and
/// after following the change set, around the closing work, and after each stored transition.
const JOB_KILL_POINTS: &[&str] = &[
    "after:job_plan",
    "saved:job_submitting",
    "before:job_start",
    "after:job_start",
    "saved:job_following",
    "after:job_check",
    "saved:job_finishing",
    "before:job_finish",
    "after:job_finish",
    "saved:job_done",
];

#[test]
fn create_and_sync_jobs_killed_at_every_step_converge_with_one_change_set_each() {
    for point in JOB_KILL_POINTS {
        let env = Env::new(AMIPUB, 3000.0);
        let path = fresh_spec(&env, "nginx-free.toml", |t| t);
        let p = path.to_str().unwrap();
        ok(&env, &["approve", "--product", p, "--reference", REFERENCE]);
        let apply = env.amipub(["apply", "--product", p]);

        // Creation, killed at the point, then the same command again.
        let before = env.change_sets();
        let (halted, _) = apply.kill_at(point, LIMIT);
        assert!(halted, "{point}: the create job never got there");
        let (code, out, err) = run(&env, &["apply", "--product", p]);
        assert_eq!(code, 0, "{point}:\n{out}\n{err}");
        let id = spec_id(&path);
        assert_eq!(env.change_sets(), before + 1, "{point}: one creation");
        let products = lock(&env.world)
            .catalog
            .entities
            .values()
            .filter(|e| e.doc["Description"]["ProductTitle"] == "NGINX Web Server on Amazon Linux")
            .count();
        assert_eq!(products, 1, "{point}: one product");

        // A console edit, fixed by a sync job killed at the point, then run again.
        lock(&env.world).catalog.entities.get_mut(&id).unwrap().doc["Description"]["ProductTitle"] =
            Value::from("Edited in the console");
        let before = env.change_sets();
        let (halted, _) = apply.kill_at(point, LIMIT);
        assert!(halted, "{point}: the sync job never got there");
        let (code, out, err) = run(&env, &["apply", "--product", p]);
        assert_eq!(code, 0, "{point}:\n{out}\n{err}");
        assert_eq!(
            env.change_sets(),
            before + 1,
            "{point}: one sync change set"
        );
        assert_ne!(
            product_doc(&env, &id)["Description"]["ProductTitle"],
            "Edited in the console",
            "{point}"
        );
    }
}

#[test]
fn a_promote_job_killed_at_every_step_converges_and_writes_each_parameter_once() {
    for point in [
        "after:job_plan",
        "saved:job_finishing",
        "before:job_finish",
        "after:job_finish",
        "saved:job_done",
    ] {
        let env = Env::new(AMIPUB, 3000.0);
        let p = env.path("products/fedora.toml");
        let p = p.to_str().unwrap();
        publish(&env, p, "41.1");
        publish(&env, p, "41.2");
        let promote = env.amipub(["promote", "--product", p, "--version", "41.1"]);
        let (halted, _) = promote.kill_at(point, LIMIT);
        assert!(halted, "{point}: the promote job never got there");
        let (code, out, err) = promote.finish(LIMIT);
        assert_eq!(code, 0, "{point}:\n{out}\n{err}");
        let regions = lock(&env.world)
            .ssm
            .parameters
            .values()
            .filter(|x| x.name == "/fedora/cloud/41/x86_64/latest")
            .count();
        assert!(regions > 0, "{point}");
        // Written by each publish, then once by the promotion: never twice.
        let (n, most) = env.parameters("/fedora/cloud/41/x86_64/latest");
        assert_eq!((n, most), (regions, 3), "{point}:\n{out}");
    }
}

#[test]
fn a_visibility_job_killed_at_every_step_converges_with_one_request() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "nginx-free.toml", |t| t);
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    publish(&env, p, "1.0.0");
    ok(&env, &["apply", "--product", p]);
    // A review of hours rather than days: the points are the same, the test is shorter.
    lock(&env.world).config.visibility_review_seconds = 4.0 * 3600.0;
    let visibility = env.amipub(["visibility", "--product", p, "public"]);
    let requests = || {
        lock(&env.world)
            .catalog
            .change_sets
            .values()
            .filter(|c| {
                c.changes
                    .iter()
                    .any(|ch| ch.change_type == "UpdateVisibility")
            })
            .count()
    };
    // Each point in turn on the same request: killed there, the next run follows the same job.
    for point in [
        "after:job_plan",
        "after:job_start",
        "saved:job_following",
        "after:job_check",
    ] {
        let (halted, _) = visibility.kill_at(point, LIMIT);
        assert!(halted, "{point}: the visibility job never got there");
        assert!(
            requests() <= 1,
            "{point}: at most one UpdateVisibility request"
        );
    }
    let (code, out, err) = visibility.finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("visibility is now Public"), "{out}");
    assert_eq!(requests(), 1);
    assert_eq!(
        product_doc(&env, &id)["Description"]["Visibility"],
        "Public"
    );
}

#[test]
fn cleanup_killed_around_its_work_retires_and_deletes_each_mirror_once() {
    let env = Env::new(AMIPUB, 3000.0);
    let path = fresh_spec(&env, "nginx-free.toml", |t| {
        t.replace("keep_latest = 2", "keep_latest = 1")
            .replace("grace_days = ", "grace_days = 2 #")
    });
    let p = path.to_str().unwrap();
    let id = create(&env, &path);
    publish(&env, p, "1.1");
    publish(&env, p, "1.2");
    let old = product_doc(&env, &id)["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["VersionTitle"] == "1.1")
        .unwrap()["Sources"][0]["Image"]
        .as_str()
        .unwrap()
        .to_owned();
    let apply = env.amipub(["apply", "--product", p]);
    let calls = |op: &str| {
        lock(&env.world)
            .requests
            .iter()
            .filter(|r| r.operation == op && r.status < 400)
            .count()
    };
    let retired_at = || {
        lock(&env.world).ec2.images[&old]
            .tags
            .get("amipub:retired-at")
            .cloned()
    };
    // Killed first just after the closing work (retired, not yet stored), then around it.
    for point in ["after:job_finish", "before:job_finish", "saved:job_done"] {
        let (halted, _) = apply.kill_at(point, LIMIT);
        assert!(halted, "{point}");
        ok(&env, &["apply", "--product", p]);
    }
    // Retired by the first run that got to it, and never again.
    let first = retired_at();
    assert!(first.is_some(), "the mirror of 1.1 is retired");
    assert_eq!(calls("CreateTags"), 1, "tagged retired once");
    ok(&env, &["apply", "--product", p]);
    assert_eq!(retired_at(), first);
    // Past the grace period: deleted by the first run that gets to it, once.
    lock(&env.world).clock.advance(3.0 * 86_400.0);
    for point in ["after:job_finish", "saved:job_done"] {
        let (halted, _) = apply.kill_at(point, LIMIT);
        assert!(halted, "{point}");
        ok(&env, &["apply", "--product", p]);
    }
    assert_eq!(calls("DeregisterImage"), 1, "deregistered once");
    assert!(
        lock(&env.world)
            .ec2
            .images
            .get(&old)
            .is_none_or(|i| i.deregistered)
    );
}
