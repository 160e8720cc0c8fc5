//! The release commands end to end against the sandbox: a scan failure explained and fixed with
//! `retry`, an untrusted AMI rejected with nothing created, `--validate-only`, `status` and
//! `show`, `init` and `iam-policy`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod support;

use std::time::Duration;

use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::BUYER_ACCOUNT;
use support::{Env, SOURCE_AMI, VERSION};

const LIMIT: Duration = Duration::from_secs(90);

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_failed_scan_is_explained_and_retry_after_the_fix_completes_it() {
    let env = Env::new(3000.0);
    env.scan_verdict("fail");
    let (code, out, err) = env.run(&env.publish_args(SOURCE_AMI), LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("ended failed"), "{out}");
    assert!(out.contains("scan_failed"), "{out}");
    assert!(out.contains("fix:"), "{out}");
    let id = support::release_id(&err).unwrap();
    assert!(out.contains(&format!("amipub retry {id}")), "{out}");

    // `show` tells the same story.
    let (code, shown, _) = env.run(&args(&["show", &id]), LIMIT);
    assert_eq!(code, 0);
    assert!(shown.contains("failed    at scanning"), "{shown}");

    env.scan_verdict("pass");
    let (code, out, err) = env.run(&args(&["retry", &id[..8]]), LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("is published"), "{out}");
    // One mirror; a second change set only because the first one failed.
    assert_eq!(env.mirrors(), 1);
    assert_eq!(env.version_change_sets(VERSION), 2);

    let (code, status, _) = env.run(&args(&["status"]), LIMIT);
    assert_eq!(code, 0);
    assert!(status.contains(&id) && status.contains("done"), "{status}");
}

#[test]
fn an_ami_from_an_untrusted_owner_is_rejected_and_nothing_is_created() {
    let env = Env::new(3000.0);
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
    let (code, out, err) = env.run(&env.publish_args(&foreign), LIMIT);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("was rejected"), "{out}");
    assert!(out.contains(BUYER_ACCOUNT), "{out}");
    assert_eq!(env.mirrors(), 0);
    assert_eq!(env.change_sets(), before);
    assert_eq!(env.parameters("/fedora/").0, 0);
}

#[test]
fn validate_only_checks_without_changing_anything() {
    let env = Env::new(3000.0);
    let mut a = env.publish_args(SOURCE_AMI);
    a.push("--validate-only".into());
    let (code, out, err) = env.run(&a, LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("passes the checklist"), "{out}");
    assert!(out.contains("ingestion role is in place"), "{out}");
    assert!(out.contains(&format!("version {VERSION} is new")), "{out}");
    assert_eq!(env.mirrors(), 0);
    let (_, status, _) = env.run(&args(&["status"]), LIMIT);
    assert!(status.contains("No releases yet"), "{status}");
}

#[test]
fn init_creates_the_role_once_and_iam_policy_names_every_call() {
    let env = Env::new(3000.0);
    {
        let mut w = lock(&env.world);
        w.iam.roles.clear();
    }
    let mut a = env.publish_args(SOURCE_AMI);
    a.push("--validate-only".into());
    let (code, out, _) = env.run(&a, LIMIT);
    assert_eq!(code, 1);
    assert!(out.contains("does not exist"), "{out}");

    let (code, out, err) = env.run(&args(&["init"]), LIMIT);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("created"), "{out}");
    let (code, out, _) = env.run(&args(&["init"]), LIMIT);
    assert_eq!(code, 0);
    assert!(out.contains("found") && out.contains("verified"), "{out}");
    let (code, out, _) = env.run(&a, LIMIT);
    assert_eq!(code, 0, "{out}");

    let (code, policy, _) = env.run(&args(&["iam-policy", "--with-init"]), LIMIT);
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
    ] {
        assert!(
            actions.iter().any(|a| a == call),
            "{call} missing from {actions:?}"
        );
    }
    assert!(policy.contains("parameter/fedora/cloud/*"), "{policy}");
}

/// `publish` stopped for good at `point` (its lease held, in the middle of a step); the child
/// and the release id, once it says it halted.
fn halted_publish(env: &Env, point: &str) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let a = env.publish_args(SOURCE_AMI);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut child = env
        .command(&a)
        .env("AMIPUB_TEST_HALT_AT", point)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut id = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap_or_default();
        id = id.or_else(|| support::release_id(&line));
        if line.contains("halted at") {
            break;
        }
    }
    // The child's stdout is never read here: it writes little, and is killed soon.
    let Some(id) = id else {
        let _ = child.kill();
        panic!("publish did not name its release before halting at {point}");
    };
    (child, id)
}

/// The state of `id` as `amipub show` prints it.
fn shown_state(env: &Env, id: &str) -> String {
    let (code, out, err) = env.run(&args(&["show", id]), LIMIT);
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
        let env = Env::new(3000.0);
        let (worker, id) = halted_publish(&env, point);
        // Killed however this iteration ends: no halted amipub outlives a failed assertion.
        let mut worker = support::KillOnDrop(worker);
        let before = shown_state(&env, &id);

        // The worker holds the release: both requests are refused or change nothing.
        let (code, out, err) = env.run(&args(&["cancel", &id]), LIMIT);
        assert_eq!(code, 1, "{point}: {out}\n{err}");
        assert!(
            err.contains("being moved by another worker"),
            "{point}: {err}"
        );
        let (code, out, err) = env.run(&args(&["retry", &id, "--no-wait"]), LIMIT);
        assert_eq!(code, 0, "{point}: {out}\n{err}");
        assert!(err.contains("still running"), "{point}: {err}");
        assert_eq!(shown_state(&env, &id), before, "{point}: nothing changed");

        // The worker dies; the cancel now wins, and a new worker does not undo it.
        worker.kill();
        let (code, out, err) = env.run(&args(&["cancel", &id]), LIMIT);
        assert_eq!(code, 0, "{point}: {out}\n{err}");
        assert!(out.contains("is cancelled"), "{point}: {out}");
        let (_, out, err) = env.run(&env.publish_args(SOURCE_AMI), LIMIT);
        assert!(
            shown_state(&env, &id).contains("cancelled"),
            "{point}: {out}\n{err}"
        );
    }
}
