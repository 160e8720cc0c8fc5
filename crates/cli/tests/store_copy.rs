//! `amipub store copy` of a SQLite installation holding 1,000 releases (with timelines,
//! announcements, inbox rows and lifecycle jobs) into an empty PostgreSQL database: `amipub
//! status --json` and `amipub show --json` print the same from either database. (And a worker
//! refuses the database before it is migrated.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::Duration;

use amipub_domain::job::{Job, JobKind, JobRequest};
use amipub_domain::release::{Release, State};
use amipub_engine::lifecycle_ports::Jobs;
use amipub_engine::ports::{Announcement, Store, TimelineEntry};
use amipub_store::InboxEntry;
use amipub_testkit::service::Env;

const BIN: &str = env!("CARGO_BIN_EXE_amipub");
const RELEASES: usize = 1000;

fn entry(at: i64, event: &str, from: State, to: State) -> TimelineEntry {
    TimelineEntry {
        at,
        event: event.into(),
        from: from.name().into(),
        to: to.name().into(),
        detail: format!("{event} at {at}"),
    }
}

/// A release `i` in one of several states, with its timeline.
fn release(i: usize) -> (Release, Vec<TimelineEntry>) {
    let states = [
        State::Done,
        State::Scanning,
        State::Failed,
        State::Mirroring,
    ];
    let at = 1_700_000_000 + i as i64 * 60;
    let mut r = Release::new(
        &format!("r-{i:012x}"),
        &format!("product-{}", i % 7),
        &format!("41.{i}"),
        "us-east-1",
        &format!("ami-{i:017x}"),
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into(), "eu-west-1".into()],
        at,
    );
    r.state = states[i % states.len()];
    if r.state == State::Done {
        r.regions
            .insert("us-east-1".into(), format!("ami-{:017x}", i + 1));
    }
    let timeline = vec![
        entry(at, "received", State::Received, State::Received),
        entry(at + 30, "mirroring", State::Received, State::Mirroring),
        entry(at + 90, "moved", State::Mirroring, r.state),
    ];
    (r, timeline)
}

async fn fill(env: &Env) -> Vec<String> {
    let s = env.store().await;
    let mut shown = Vec::new();
    for i in 0..RELEASES {
        let (r, timeline) = release(i);
        let a = (i % 10 == 0).then(|| Announcement {
            id: format!("{}-published", r.id),
            schema: "amipub.release.published.v1".into(),
            topic: "t".into(),
            body: "{}".into(),
        });
        s.save(&r, &timeline, a.as_slice()).await.unwrap();
        if i % 3 == 0 {
            let mut e = InboxEntry::new(&format!("m-{i}"), i as i64, "t", b"{}");
            e.outcome = "accepted".into();
            s.take_delivery(&e, &[]).await.unwrap();
        }
        if i % 97 == 0 {
            shown.push(r.id.to_string());
        }
    }
    for k in 0..5 {
        let job = Job::new(
            JobRequest {
                kind: JobKind::Promote,
                product: format!("product-{k}"),
                spec: "[product]".into(),
                args: BTreeMap::from([("version".to_owned(), format!("41.{k}"))]),
            },
            1_700_000_000 + k,
        );
        let first = entry(1, "requested", State::Received, State::Received);
        s.record_job(&job, &first).await.unwrap();
        shown.push(job.id.clone());
    }
    s.close().await;
    shown
}

/// `status --json` and `show --json` of every id in `ids`.
fn read_all(env: &Env, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let (code, status, err) = env
        .amipub(["status", "--json", "--limit", "5000"])
        .finish(Duration::from_secs(120));
    assert_eq!(code, 0, "{err}");
    out.push(status);
    for id in ids {
        let (code, shown, err) = env
            .amipub(["show", id, "--json"])
            .finish(Duration::from_secs(60));
        assert_eq!(code, 0, "{id}: {err}");
        out.push(shown);
    }
    out
}

#[test]
fn a_thousand_releases_copied_to_postgres_read_the_same() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new(BIN, 1.0);
    let ids = rt.block_on(fill(&env));
    let from_sqlite = read_all(&env, &ids);
    assert!(
        from_sqlite[0].matches("\"id\"").count() >= RELEASES,
        "status lists them all"
    );

    let pg = rt.block_on(amipub_testkit::store::postgres_schema());
    let sqlite = format!("sqlite://{}", env.path("amipub.db").display());
    // Before the copy the PostgreSQL schema is empty: a worker refuses it and says what to run.
    let sqlite_home = env.path("amipub.toml");
    let sqlite_config = std::fs::read_to_string(&sqlite_home).unwrap();
    env.use_store(&pg);
    let (code, _, err) = env
        .amipub(["serve", "--listen", "127.0.0.1:0"])
        .finish(Duration::from_secs(60));
    assert_ne!(code, 0);
    assert!(err.contains("amipub migrate"), "{err}");
    std::fs::write(&sqlite_home, sqlite_config).unwrap();
    let (code, out, err) = env
        .amipub(["store", "copy", "--from", &sqlite, "--to", &pg])
        .finish(Duration::from_secs(300));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("releases       {RELEASES}")), "{out}");
    assert!(out.contains("timeline       3000"), "{out}");
    env.use_store(&pg);
    let from_postgres = read_all(&env, &ids);
    assert_eq!(from_sqlite.len(), from_postgres.len());
    for (a, b) in from_sqlite.iter().zip(&from_postgres) {
        assert_eq!(a, b);
    }
    // A second copy would merge into a database that holds data: refused.
    let (code, _, err) = env
        .amipub(["store", "copy", "--from", &sqlite, "--to", &pg])
        .finish(Duration::from_secs(120));
    assert_ne!(code, 0);
    assert!(err.contains("empty"), "{err}");
}
