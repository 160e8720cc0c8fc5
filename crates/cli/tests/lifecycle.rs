//! The product lifecycle end to end against the sandbox: each example product created from
//! scratch with two versions; spec edits planned and applied; the approval gate; `latest` under
//! regional lag and `promote` rollback; GovCloud with its own credentials; `verify` after a
//! release and with planted drift; Limited → Public. Retention and jobs killed mid-step are in
//! `lifecycle_jobs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_sandbox::server::lock;
use amipub_sandbox::world::MARKETPLACE_ACCOUNT;
use amipub_sandbox::worlds::{GOVCLOUD_SELLER_ACCOUNT, SELLER_ACCOUNT};
use amipub_testkit::lifecycle::{LIMIT, create, fresh_spec, ok, product_doc, publish, run};
use amipub_testkit::service::{Env, SOURCE_AMI};
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

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
