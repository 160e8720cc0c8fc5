//! Crash safety of the second-party path: the real binary is stopped at a named point
//! (`AMIPUB_TEST_HALT_AT`) of clone, share, form, submission and publication, killed with
//! SIGKILL and run again. After each restart the release must be Done with exactly one clone
//! per Region (one CopyImage each), one stored workbook, one form ticket, and one announcement,
//! sent.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_domain::catalog_data::{commercial_regions, govcloud_regions};
use amipub_domain::release::State;
use amipub_engine::ports::Forms;
use amipub_sandbox::catalog::second_party::{FORMS, admin};
use amipub_sandbox::server::lock;
use amipub_testkit::service::{Env, SOURCE_AMI, each_point, release_id, verdict};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const SCALE: f64 = 3000.0;
const LIMIT: Duration = Duration::from_secs(120);

/// Points of `publish` (clone, share, form) and of `submitted --wait` (publication).
const PUBLISH_POINTS: &[&str] = &[
    "before:ensure_clones",
    "after:ensure_clones",
    "saved:cloning",
    "after:ensure_clones#2",
    "saved:cloned",
    "before:share_clones",
    "after:share_clones",
    "saved:shared",
    "before:write_form",
    "after:write_form",
    "saved:awaiting_submission",
];
const SUBMITTED_POINTS: &[&str] = &[
    "saved:submitted",
    "before:locate_regions",
    "after:locate_regions",
    "saved:located",
    "after:write_parameters",
    "saved:parameters_written",
    "after:queue_announcement",
    "outbox:printed",
    "saved:done",
];

fn regions() -> Vec<String> {
    commercial_regions()
        .chain(govcloud_regions())
        .map(|r| r.code.clone())
        .collect()
}

/// The stored workbook, handed to the sandbox's Marketplace and accepted.
fn submit_and_accept(env: &Env, id: &str) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let form = rt.block_on(async { env.store().await.form(id).await.unwrap() });
    let Some((_, bytes)) = form else {
        return Err("no workbook stored".into());
    };
    let mut w = lock(&env.world);
    let t = admin(&mut w, "POST", FORMS, None, &bytes).map_err(|e| e.1)?;
    let ticket = t["ticket"].as_str().unwrap_or_default().to_owned();
    let done = admin(
        &mut w,
        "POST",
        &format!("{FORMS}/{ticket}/process"),
        None,
        &[],
    )
    .map_err(|e| e.1)?;
    match done["status"].as_str() {
        Some("accepted") => Ok(()),
        _ => Err(format!("the sandbox did not accept the form: {done}")),
    }
}

fn crash_and_resume(point: &str) -> Result<(), String> {
    let env = Env::new(AMIPUB, SCALE);
    let all = regions();
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    let (_, gov) = env.second_party(&names);
    {
        let mut w = lock(&env.world);
        w.config.second_party_publish_delay_seconds = 3600.0;
        if point.contains("ensure_clones#2") {
            w.config.copy_seconds = 3600.0;
        }
    }
    let publish = env.publish_build(SOURCE_AMI).arg("--source").arg(&gov);
    let mut printed = 0;
    let announced = |s: &str| s.matches("\"schema\":\"amipub.release.").count();
    let id = if PUBLISH_POINTS.contains(&point) {
        let (halted, out) = publish.kill_at(point, LIMIT);
        if !halted {
            return Err(format!("{point}: the process never reached the point"));
        }
        printed += announced(&out);
        let (code, out, err) = publish.finish(LIMIT);
        if code != 0 || !err.contains("Resuming release") {
            return Err(format!("{point}: the restart exited {code}:\n{err}\n{out}"));
        }
        release_id(&err).unwrap()
    } else {
        let (code, _, err) = publish.finish(LIMIT);
        if code != 0 {
            return Err(format!("{point}: publish exited {code}:\n{err}"));
        }
        release_id(&err).unwrap()
    };
    submit_and_accept(&env, &id).map_err(|e| format!("{point}: {e}"))?;
    let submitted = env.amipub(["submitted", &id, "--ticket", "https://t/1", "--wait"]);
    if SUBMITTED_POINTS.contains(&point) {
        let (halted, out) = submitted.kill_at(point, LIMIT);
        if !halted {
            return Err(format!("{point}: the process never reached the point"));
        }
        printed += announced(&out);
        // The submission is recorded: following the release to its end is retry's job, unless
        // it was killed having stored Done.
        let rt = tokio::runtime::Runtime::new().unwrap();
        let r = rt.block_on(async { env.store().await.get(&id).await.unwrap().unwrap() });
        if r.state != State::Done {
            let (code, out, err) = env.amipub(["retry", &id]).finish(LIMIT);
            printed += announced(&out);
            if code != 0 {
                return Err(format!("{point}: the restart exited {code}:\n{err}\n{out}"));
            }
        }
    } else {
        let (code, out, err) = submitted.finish(LIMIT);
        printed += announced(&out);
        if code != 0 {
            return Err(format!("{point}: submitted exited {code}:\n{err}\n{out}"));
        }
    }
    check(&env, &id, point, printed, all.len())
}

fn check(env: &Env, id: &str, point: &str, printed: usize, regions: usize) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (r, rows, form) = rt.block_on(async {
        let store = env.store().await;
        (
            store.get(id).await.unwrap().unwrap(),
            store.outbox_of(id).await.unwrap(),
            store.form(id).await.unwrap(),
        )
    });
    let mut problems = Vec::new();
    if r.state != State::Done {
        problems.push(format!("state {:?} {:?}", r.state, r.failure));
    }
    let clones = env.clones(id);
    let copies = {
        let w = lock(&env.world);
        w.requests
            .iter()
            .filter(|q| q.operation == "CopyImage" && q.error.is_none())
            .count()
    };
    if clones.len() != regions || copies != regions {
        problems.push(format!(
            "{} clones, {copies} copies for {regions} Regions",
            clones.len()
        ));
    }
    let tickets = lock(&env.world).catalog.forms.len();
    if form.is_none() || tickets != 1 {
        problems.push(format!(
            "workbook stored: {}, tickets: {tickets}",
            form.is_some()
        ));
    }
    let schemas: Vec<&str> = rows.iter().map(|r| r.schema.as_str()).collect();
    if schemas != ["amipub.release.published.v1"] || rows.iter().any(|r| r.sent_at.is_none()) {
        problems.push(format!("outbox {schemas:?}"));
    }
    verdict(point, problems, printed, rows.len())
}

#[test]
fn a_second_party_release_killed_at_any_point_resumes_without_duplicates() {
    let points: Vec<&str> = PUBLISH_POINTS
        .iter()
        .chain(SUBMITTED_POINTS)
        .copied()
        .collect();
    assert!(points.len() >= 12);
    let failures = each_point(&points, crash_and_resume);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
