//! Lifecycle jobs against the sandbox over time and through crashes: retention restricting
//! with new versions, a sync restricting what it no longer keeps (announced), and cleaning up
//! after the grace period; and create, sync, promote, visibility and cleanup jobs killed with
//! SIGKILL at every step, each converging with its AWS work done once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_sandbox::server::lock;
use amipub_testkit::lifecycle::{
    LIMIT, REFERENCE, create, fresh_spec, ok, product_doc, publish, run, spec_id,
};
use amipub_testkit::service::Env;
use serde_json::Value;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

/// The bodies of the `restricted` announcements a command printed.
fn restricted_in(out: &str) -> Vec<Value> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["schema"] == "amipub.release.restricted.v1")
        .map(|m| m["body"].clone())
        .collect()
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
    let told = restricted_in(&out);
    assert_eq!(told.len(), 1, "{out}");
    assert_eq!(
        told[0]["restricted_versions"],
        serde_json::json!(["1.3"]),
        "{out}"
    );
    assert_eq!(told[0]["replacement"]["version_title"], "1.5", "{out}");
    assert_eq!(told[0]["reason"], "retention", "{out}");
    // An end of life reached: 1.4 goes, told with that reason.
    let text = std::fs::read_to_string(&path).unwrap()
        + "\n[[retention.end_of_life]]\nrelease = \"1.4\"\ndate = \"2020-01-01\"\n";
    std::fs::write(&path, text).unwrap();
    let out = ok(&env, &["apply", "--product", p]);
    let told = restricted_in(&out);
    assert_eq!(told.len(), 1, "{out}");
    assert_eq!(
        told[0]["restricted_versions"],
        serde_json::json!(["1.4"]),
        "{out}"
    );
    assert_eq!(told[0]["reason"], "end_of_life", "{out}");
    assert_eq!(told[0]["replacement"]["version_title"], "1.5", "{out}");
    // Creating, releasing, retiring and deleting: each call is one the policy allows.
    assert_eq!(env.calls_the_policy_misses(), Vec::<String>::new());
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
