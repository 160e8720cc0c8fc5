//! The release commands end to end against the sandbox: a scan failure explained and fixed with
//! `retry`, an untrusted AMI rejected with nothing created, `--validate-only`, `status` and
//! `show`, `init` and `iam-policy`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::BUYER_ACCOUNT;
use amipub_testkit::process::Child;
use amipub_testkit::service::{Env, SOURCE_AMI, Scan, VERSION, release_id};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn a_failed_scan_is_explained_and_retry_after_the_fix_completes_it() {
    let env = Env::new(AMIPUB, 3000.0);
    env.finish_scan(Scan::Fail);
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("ended failed"), "{out}");
    assert!(out.contains("scan_failed"), "{out}");
    assert!(out.contains("fix:"), "{out}");
    let id = release_id(&err).unwrap();
    assert!(out.contains(&format!("amipub retry {id}")), "{out}");

    // `show` tells the same story.
    let (code, shown, _) = env.amipub(["show", &id]).finish(LIMIT);
    assert_eq!(code, 0);
    assert!(shown.contains("failed    at scanning"), "{shown}");

    env.finish_scan(Scan::Pass);
    let (code, out, err) = env.amipub(["retry", &id[..8]]).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("is published"), "{out}");
    // One mirror; a second change set only because the first one failed.
    assert_eq!(env.mirrors(), 1);
    assert_eq!(env.version_change_sets(VERSION), 2);

    let (code, status, _) = env.amipub(["status"]).finish(LIMIT);
    assert_eq!(code, 0);
    assert!(status.contains(&id) && status.contains("done"), "{status}");
}

#[test]
fn an_ami_from_an_untrusted_owner_is_rejected_and_nothing_is_created() {
    let env = Env::new(AMIPUB, 3000.0);
    let foreign = {
        let mut w = lock(&env.world);
        let mut img = w.ec2.images.get(SOURCE_AMI).unwrap().clone();
        img.id = "ami-0badc0ffee0000001".into();
        img.owner = BUYER_ACCOUNT.into();
        img.name = "not-fedora".into();
        img.public = true;
        w.ec2.images.insert(img.id.clone(), img.clone());
        img.id
    };
    let before = env.change_sets();
    let (code, out, err) = env.publish_build(&foreign).finish(LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("was rejected"), "{out}");
    assert!(out.contains(BUYER_ACCOUNT), "{out}");
    assert_eq!(env.mirrors(), 0);
    assert_eq!(env.change_sets(), before);
    assert_eq!(env.parameters("/fedora/").0, 0);
}

#[test]
fn validate_only_checks_without_changing_anything() {
    let env = Env::new(AMIPUB, 3000.0);
    let a = env.publish_build(SOURCE_AMI).arg("--validate-only");
    let (code, out, err) = a.finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("passes the checklist"), "{out}");
    assert!(out.contains("ingestion role is in place"), "{out}");
    assert!(out.contains(&format!("version {VERSION} is new")), "{out}");
    assert_eq!(env.mirrors(), 0);
    let (_, status, _) = env.amipub(["status"]).finish(LIMIT);
    assert!(status.contains("No releases yet"), "{status}");
}

#[test]
fn init_creates_the_role_once_and_iam_policy_names_every_call() {
    let env = Env::new(AMIPUB, 3000.0);
    {
        let mut w = lock(&env.world);
        w.iam.roles.clear();
    }
    let a = env.publish_build(SOURCE_AMI).arg("--validate-only");
    let (code, out, _) = a.finish(LIMIT);
    assert_eq!(code, 1);
    assert!(out.contains("does not exist"), "{out}");

    env.append_config("[tags]\nFedoraGroup = \"cloud\"\n");
    let (code, out, err) = env.amipub(["init"]).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("created"), "{out}");
    {
        let w = lock(&env.world);
        let role = w.iam.roles.values().next().unwrap();
        assert_eq!(
            role.tags.get("FedoraGroup").map(String::as_str),
            Some("cloud")
        );
    }
    let (code, out, _) = env.amipub(["init"]).finish(LIMIT);
    assert_eq!(code, 0);
    assert!(out.contains("found") && out.contains("verified"), "{out}");
    let (code, out, _) = a.finish(LIMIT);
    assert_eq!(code, 0, "{out}");

    let (code, policy, _) = env.amipub(["iam-policy", "--with-init"]).finish(LIMIT);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let actions: Vec<String> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            serde_json::Value::Array(a) => {
                a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
            }
            _ => vec![],
        })
        .collect();
    for call in [
        "ec2:DescribeImages",
        "ec2:CopyImage",
        "iam:GetRole",
        "aws-marketplace:StartChangeSet",
        "aws-marketplace:DescribeChangeSet",
        "ssm:PutParameter",
        "iam:CreateRole",
        "iam:TagRole",
        "ssm:AddTagsToResource",
        "aws-marketplace:TagResource",
    ] {
        assert!(
            actions.iter().any(|a| a == call),
            "{call} missing from {actions:?}"
        );
    }
    assert!(policy.contains("parameter/fedora/cloud/*"), "{policy}");
}

/// `publish` stopped for good at `point` (its lease held, in the middle of a step); the child
/// (killed when dropped) and the release id, once it says it halted.
fn halted_publish(env: &Env, point: &str) -> (Child, String) {
    let child = env.publish_build(SOURCE_AMI).halt_at(point, LIMIT);
    let Some(id) = release_id(&child.stderr().text()) else {
        panic!("publish did not name its release before halting at {point}");
    };
    (child, id)
}

/// The state of `id` as `amipub show` prints it.
fn shown_state(env: &Env, id: &str) -> String {
    let (code, out, err) = env.amipub(["show", id]).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    let state = out.lines().find(|l| l.starts_with("state "));
    state.unwrap_or_default().to_owned()
}

#[test]
fn cancel_and_retry_against_a_worker_mid_step_win_or_are_refused_never_lost() {
    // Every step boundary of a release that is not finished yet: before and after each step's
    // calls, and after each stored transition.
    for point in [
        "before:inspect_source",
        "after:inspect_source",
        "saved:admitted",
        "before:ensure_mirror",
        "after:ensure_mirror",
        "saved:mirroring",
        "saved:mirrored",
        "before:verify_grant",
        "after:verify_grant",
        "saved:granted",
        "before:submit_version",
        "after:submit_version",
        "saved:scanning",
        "saved:published",
        "before:locate_regions",
        "after:locate_regions",
        "saved:located",
        "before:write_parameters",
        "after:write_parameters",
        "saved:parameters_written",
        "before:queue_announcement",
        "after:queue_announcement",
        "saved:announced",
    ] {
        let env = Env::new(AMIPUB, 3000.0);
        // Killed however this iteration ends: no halted amipub outlives a failed assertion.
        let (mut worker, id) = halted_publish(&env, point);
        let before = shown_state(&env, &id);

        // The worker holds the release: both requests are refused or change nothing.
        let (code, out, err) = env.amipub(["cancel", &id]).finish(LIMIT);
        assert_eq!(code, 1, "{point}: {out}\n{err}");
        assert!(
            err.contains("being moved by another worker"),
            "{point}: {err}"
        );
        let (code, out, err) = env.amipub(["retry", &id, "--no-wait"]).finish(LIMIT);
        assert_eq!(code, 0, "{point}: {out}\n{err}");
        assert!(err.contains("still running"), "{point}: {err}");
        assert_eq!(shown_state(&env, &id), before, "{point}: nothing changed");

        // The worker dies; the cancel now wins, and a new worker does not undo it.
        worker.kill().unwrap();
        let (code, out, err) = env.amipub(["cancel", &id]).finish(LIMIT);
        assert_eq!(code, 0, "{point}: {out}\n{err}");
        assert!(out.contains("is cancelled"), "{point}: {out}");
        let (_, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
        assert!(
            shown_state(&env, &id).contains("cancelled"),
            "{point}: {out}\n{err}"
        );
    }
}

/// With a `[bus]`, `amipub serve` sends announcements: a release run from the command line must
/// leave them in the outbox rather than print them (the bus would never see a printed one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_bus_configured_publish_leaves_its_announcements_to_serve() {
    let env = Env::new(AMIPUB, 3000.0);
    env.append_config(
        "[bus]\nurl = \"amqp://guest@127.0.0.1:5672/unused\"\npassword_env = \"AMIPUB_TEST_BUS_PW\"\n\
           queue = \"amipub\"\nbindings = [\"org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#\"]\n\
           topic_prefix = \"org.fedoraproject.prod.\"\n",
    );
    let (code, out, err) = env.publish_build(SOURCE_AMI).finish(LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("\"schema\""), "{out}");
    let backlog = env.store().await.outbox_backlog().await.unwrap();
    assert!(
        backlog >= 2,
        "submitted and published wait for serve: {backlog}"
    );
}
