//! Crash safety of `amipub publish`: the real binary is stopped at a named point of the pipeline
//! (`AMIPUB_TEST_HALT_AT`) and killed with SIGKILL, then run again with the same arguments. After
//! each restart the release must be Done, and the sandbox must hold exactly one seller-side
//! copy, one change set for the version, one version of each SSM parameter, and the store one
//! announcement, sent.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_testkit::service::{Env, PARAMS, SOURCE_AMI, VERSION, each_point, release_id, verdict};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

/// Every step boundary (before the call, after the call but before the result is stored, after
/// the transition is stored) and the middle of the long steps (a pending copy, a running scan,
/// Regions half found), and the announcement printed but not yet marked sent.
const KILL_POINTS: &[&str] = &[
    "before:inspect_source",
    "after:inspect_source",
    "saved:admitted",
    "before:ensure_mirror",
    "after:ensure_mirror",
    "saved:mirroring",
    "after:check_mirror#2",
    "saved:mirrored",
    "before:verify_grant",
    "after:verify_grant",
    "saved:granted",
    "before:submit_version",
    "after:submit_version",
    "saved:scanning",
    "after:check_change_set#2",
    "saved:published",
    "before:locate_regions",
    "after:locate_regions#2",
    "saved:located",
    "before:write_parameters",
    "after:write_parameters",
    "saved:parameters_written",
    "before:queue_announcement",
    "after:queue_announcement",
    "saved:announced",
    "outbox:printed",
    "saved:done",
];

const SCALE: f64 = 3000.0;
const LIMIT: Duration = Duration::from_secs(90);

fn crash_and_resume(point: &str) -> Result<(), String> {
    let env = Env::new(AMIPUB, SCALE);
    {
        // The points in the middle of a long step need that step to outlast a slow machine's
        // pauses: a copy, a scan or one Region's publication that takes virtual hours.
        let mut w = amipub_sandbox::server::lock(&env.world);
        if point.contains("mirror") {
            w.config.copy_seconds = 3_600.0;
        }
        if point.contains("change_set") {
            w.config.scan_seconds = 7_200.0;
        }
        if point.contains("locate") {
            w.config
                .region_lag_overrides
                .insert("us-west-2".into(), 7_200.0);
        }
    }
    let publish = env.publish_build(SOURCE_AMI);
    let (halted, first_out) = publish.kill_at(point, LIMIT);
    if !halted {
        return Err(format!("{point}: the process never reached the point"));
    }
    let (code, out, err) = publish.finish(LIMIT);
    if code != 0 {
        return Err(format!("{point}: the restart exited {code}\n{err}\n{out}"));
    }
    if !err.contains("Resuming release") {
        return Err(format!(
            "{point}: the restart did not resume the release:\n{err}"
        ));
    }
    let mirrors = env.mirrors();
    let change_sets = env.version_change_sets(VERSION);
    let (params, max_versions) = env.parameters("/fedora/cloud/41/");
    // Each announcement is one JSON line on stdout, naming its schema once.
    let announced = |s: &str| s.matches("\"schema\":\"amipub.release.").count();
    let printed = announced(&first_out) + announced(&out);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outbox = rt.block_on(async {
        let store = env.store().await;
        let id = release_id(&err).unwrap();
        let r = store.get(&id).await.unwrap().unwrap();
        (
            r.state,
            r.regions.len(),
            store.outbox_of(&id).await.unwrap(),
        )
    });
    let (state, regions, rows) = outbox;
    let mut problems = Vec::new();
    if state != amipub_domain::release::State::Done {
        problems.push(format!("state {state:?}"));
    }
    if mirrors != 1 {
        problems.push(format!("{mirrors} seller-side copies"));
    }
    if change_sets != 1 {
        problems.push(format!("{change_sets} change sets for the version"));
    }
    if params != regions * PARAMS.len() || max_versions != 1 {
        problems.push(format!(
            "{params} parameters for {regions} Regions, up to {max_versions} versions each"
        ));
    }
    // One `published` announcement, after at most one `submitted` (none when the restart finds
    // the version already scanned), all sent.
    let schemas: Vec<&str> = rows.iter().map(|r| r.schema.as_str()).collect();
    let shape_ok = schemas == ["amipub.release.submitted.v1", "amipub.release.published.v1"]
        || schemas == ["amipub.release.published.v1"];
    if !shape_ok || rows.iter().any(|r| r.sent_at.is_none()) {
        problems.push(format!("outbox {rows:?}"));
    }
    verdict(point, problems, printed, rows.len())
}

#[test]
fn a_release_killed_at_any_point_resumes_to_done_without_duplicates() {
    assert!(KILL_POINTS.len() >= 20);
    let failures = each_point(KILL_POINTS, crash_and_resume);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
