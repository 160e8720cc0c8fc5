//! The SQLite store against a real database file: round trips, the atomic save with its timeline
//! and outbox row, leases between workers (and after a holder died), the product lock queue, and
//! migrations that run once and refuse a newer schema, and the inbox with its intake keys.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Announcement, Store, TimelineEntry};
use amipub_store::SqliteStore;
use amipub_store::lease::{host, worker_id};
use amipub_testkit::store::{temp, url};

fn release(id: &str, product: &str, state: State) -> Release {
    let mut r = Release::new(
        id,
        product,
        &format!("v-{id}"),
        "us-east-1",
        &format!("ami-{id}"),
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into()],
        0,
    );
    r.state = state;
    r
}

fn entry(event: &str) -> TimelineEntry {
    TimelineEntry {
        at: 1,
        event: event.into(),
        from: "a".into(),
        to: "b".into(),
        detail: String::new(),
    }
}

#[tokio::test]
async fn a_saved_release_comes_back_with_its_timeline_and_one_outbox_row() {
    let (_d, s) = temp().await;
    let mut r = release("r1", "p", State::Received);
    s.save(&r, &[entry("received")], None).await.unwrap();
    r.state = State::Announced;
    r.regions.insert("us-east-1".into(), "ami-mp".into());
    let a = Announcement {
        id: "r1-published".into(),
        schema: "amipub.release.published.v1".into(),
        topic: "t".into(),
        body: "{}".into(),
    };
    s.save(&r, &[entry("queued")], Some(&a)).await.unwrap();
    // Saving the same announcement again (a replayed step) adds no second row.
    s.save(&r, &[entry("again")], Some(&a)).await.unwrap();
    assert_eq!(s.get("r1").await.unwrap().unwrap(), r);
    let t: Vec<String> = s
        .timeline("r1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(t, ["received", "queued", "again"]);
    assert_eq!(s.outbox_pending(10).await.unwrap().len(), 1);
    s.outbox_attempt("r1-published", true).await.unwrap();
    assert!(s.outbox_pending(10).await.unwrap().is_empty());
    assert!(s.outbox_of("r1").await.unwrap()[0].sent_at.is_some());
    assert_eq!(
        s.by_source("p", "ami-r1", "v-r1")
            .await
            .unwrap()
            .unwrap()
            .id,
        "r1"
    );
    assert_eq!(s.find("r").await.unwrap().len(), 1);
    assert!(
        s.find("r_").await.unwrap().is_empty(),
        "LIKE wildcards are escaped"
    );
}

#[tokio::test]
async fn a_lease_keeps_other_workers_out_until_released_or_its_holder_dies() {
    let (_d, s) = temp().await;
    s.save(&release("r1", "p", State::Mirroring), &[], None)
        .await
        .unwrap();
    let me = worker_id("a");
    let other = format!("{}:{}:b", host(), std::process::id());
    assert_eq!(s.claim_due(0, &me, 900, 10).await.unwrap().len(), 1);
    // A live worker's lease holds…
    assert!(s.claim("r1", 0, &other, 900).await.unwrap().is_none());
    assert!(s.claim_due(0, &other, 900, 10).await.unwrap().is_empty());
    // …the holder itself may take it again…
    assert!(s.claim("r1", 0, &me, 900).await.unwrap().is_some());
    s.release_lease("r1", &me).await.unwrap();
    assert!(s.claim("r1", 0, &other, 900).await.unwrap().is_some());
    s.release_lease("r1", &other).await.unwrap();
    // …and a lease of a process that no longer runs is free at once.
    let dead = format!("{}:4294967295:gone", host());
    assert!(s.claim("r1", 0, &dead, 900).await.unwrap().is_some());
    assert!(s.claim("r1", 0, &me, 900).await.unwrap().is_some());
    // Finished releases are never claimed; releases not yet due are not either.
    s.save(&release("r2", "p", State::Done), &[], None)
        .await
        .unwrap();
    let mut later = release("r3", "p", State::Scanning);
    later.next_check_at = Some(100);
    s.save(&later, &[], None).await.unwrap();
    let due: Vec<String> = s
        .claim_due(50, &worker_id("c"), 900, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.to_string())
        .collect();
    assert!(due.is_empty(), "{due:?}");
    assert_eq!(
        s.claim_due(100, &worker_id("c"), 900, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_product_lock_queue_lets_the_scanning_and_then_the_oldest_go_first() {
    let (_d, s) = temp().await;
    s.save(&release("old", "p", State::Submitting), &[], None)
        .await
        .unwrap();
    s.save(&release("new", "p", State::Submitting), &[], None)
        .await
        .unwrap();
    s.save(&release("elsewhere", "q", State::Scanning), &[], None)
        .await
        .unwrap();
    assert_eq!(s.product_busy("p", "old").await.unwrap(), None);
    assert_eq!(
        s.product_busy("p", "new").await.unwrap().as_deref(),
        Some("old")
    );
    s.save(&release("new", "p", State::Scanning), &[], None)
        .await
        .unwrap();
    assert_eq!(
        s.product_busy("p", "old").await.unwrap().as_deref(),
        Some("new")
    );
    assert_eq!(
        s.product_busy("q", "x").await.unwrap().as_deref(),
        Some("elsewhere")
    );
}

#[tokio::test]
async fn writes_are_fenced_by_the_lease_and_a_refused_one_changes_nothing() {
    let (_d, s) = temp().await;
    s.save(
        &release("r1", "p", State::Mirroring),
        &[entry("received")],
        None,
    )
    .await
    .unwrap();
    let me = worker_id("a");
    let other = format!("{}:{}:b", host(), std::process::id());
    // Without the lease, a worker may not write.
    let e = s
        .save_as(
            &me,
            &release("r1", "p", State::Mirrored),
            &[entry("x")],
            None,
        )
        .await
        .unwrap_err();
    assert!(e.detail.contains("held by nobody"), "{e}");
    assert!(s.claim("r1", 0, &me, 900).await.unwrap().is_some());
    s.save_as(
        &me,
        &release("r1", "p", State::Mirrored),
        &[entry("mirrored")],
        None,
    )
    .await
    .unwrap();
    // Another worker, and a write as nobody (an operator's), are refused while it holds it.
    let cancelled = release("r1", "p", State::Cancelled);
    let e = s
        .save_as(&other, &cancelled, &[entry("c")], None)
        .await
        .unwrap_err();
    assert!(
        e.detail.contains(&me) && e.detail.contains("nothing was written"),
        "{e}"
    );
    let e = s.save(&cancelled, &[entry("c")], None).await.unwrap_err();
    assert!(e.detail.contains(&me), "{e}");
    assert_eq!(s.get("r1").await.unwrap().unwrap().state, State::Mirrored);
    assert_eq!(
        s.timeline("r1").await.unwrap().len(),
        2,
        "no entry of a refused write"
    );
    // Once it is given back, the operator's write goes through; the old holder's does not.
    s.release_lease("r1", &me).await.unwrap();
    s.save(&cancelled, &[entry("cancelled")], None)
        .await
        .unwrap();
    let late = release("r1", "p", State::Granted);
    assert!(s.save_as(&me, &late, &[], None).await.is_err());
    assert_eq!(s.get("r1").await.unwrap().unwrap().state, State::Cancelled);
}

#[tokio::test]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir.path().join("s.db"));
    let s = SqliteStore::open(&url).await.unwrap();
    s.save(&release("r1", "p", State::Received), &[], None)
        .await
        .unwrap();
    s.close().await;
    // Opening again keeps the data.
    let s = SqliteStore::open(&url).await.unwrap();
    assert!(s.get("r1").await.unwrap().is_some());
    s.close().await;
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'later')")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let e = SqliteStore::open(&url).await.unwrap_err().to_string();
    assert!(e.contains("newer than this amipub knows"), "{e}");
    // Other URL schemes are refused with the fix.
    let e = SqliteStore::open("postgres://db/amipub")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("sqlite://"), "{e}");
}

#[tokio::test]
async fn a_delivery_is_stored_with_its_releases_and_keys_and_only_dead_letters_are_judged_again() {
    use amipub_store::InboxEntry;
    let (_d, s) = temp().await;
    let r = release("r1", "p", State::Received);
    let mut accepted = InboxEntry::new("m-1", 5, "t", b"{}");
    accepted.outcome = "accepted".into();
    let made = vec![("p/ami-r1".to_owned(), r.clone(), entry("received"))];
    s.take_delivery(&accepted, &made).await.unwrap();
    assert_eq!(
        s.intake_release("p/ami-r1").await.unwrap().as_deref(),
        Some("r1")
    );
    assert_eq!(
        s.release_of_source("p", "ami-r1").await.unwrap().as_deref(),
        Some("r1")
    );
    assert_eq!(s.timeline("r1").await.unwrap().len(), 1);
    // The same release again (another message): nothing doubles.
    let mut again = InboxEntry::new("m-2", 6, "t", b"{}");
    again.outcome = "duplicate".into();
    s.take_delivery(&again, &made).await.unwrap();
    assert_eq!(s.timeline("r1").await.unwrap().len(), 1);
    assert_eq!(s.list(10).await.unwrap().len(), 1);
    // A first outcome stays ...
    let mut late = InboxEntry::new("m-1", 7, "t", b"{}");
    late.outcome = "dead".into();
    s.take_delivery(&late, &[]).await.unwrap();
    let (o, _) = s.inbox_outcome("m-1").await.unwrap().unwrap();
    assert_eq!(o, "accepted");
    // ... unless it was a dead letter, which a fixed cause may turn into a release.
    let mut dead = InboxEntry::new("m-3", 8, "t", b"{}");
    dead.outcome = "dead".into();
    dead.reason = Some("untrusted_owner: not ours".into());
    s.take_delivery(&dead, &[]).await.unwrap();
    let (o, reason) = s.inbox_outcome("m-3").await.unwrap().unwrap();
    assert_eq!(
        (o.as_str(), reason.as_deref()),
        ("dead", Some("untrusted_owner: not ours"))
    );
    let mut fixed = InboxEntry::new("m-3", 9, "t", b"{}");
    fixed.outcome = "accepted".into();
    s.take_delivery(&fixed, &[]).await.unwrap();
    let (o, reason) = s.inbox_outcome("m-3").await.unwrap().unwrap();
    assert_eq!((o.as_str(), reason), ("accepted", None));
    let counts: std::collections::BTreeMap<String, i64> =
        s.inbox_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("accepted"), Some(&2));
    assert_eq!(counts.get("duplicate"), Some(&1));
    assert_eq!(
        s.inbox(Some("accepted"), 10).await.unwrap()[0].message_id,
        "m-3"
    );
}
