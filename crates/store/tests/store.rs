//! The store against real databases, every test body on both backends (a SQLite file and a
//! PostgreSQL schema): round trips, the atomic save with its timeline and outbox row, leases
//! between workers (and after a holder died) with their fencing tokens, claims that never give
//! one row to two workers, the product lock queue, outbox claims, migrations that run once and
//! refuse a schema behind or ahead, the inbox with its intake keys, and a copy between backends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Announcement, Store, TimelineEntry};
use amipub_store::lease::{host, worker_id};
use amipub_store::{Backend, SqlStore};
use amipub_testkit::on_both_stores;
use amipub_testkit::store::TestStore;

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

on_both_stores!(
    a_saved_release_comes_back_with_its_timeline_and_one_outbox_row,
    |s| {
        let mut r = release("r1", "p", State::Received);
        s.save(&r, &[entry("received")], &[]).await.unwrap();
        r.state = State::Announced;
        r.regions.insert("us-east-1".into(), "ami-mp".into());
        let a = Announcement {
            id: "r1-published".into(),
            schema: "amipub.release.published.v1".into(),
            topic: "t".into(),
            body: "{}".into(),
        };
        s.save(&r, &[entry("queued")], std::slice::from_ref(&a))
            .await
            .unwrap();
        // Saving the same announcement again (a replayed step) adds no second row.
        s.save(&r, &[entry("again")], std::slice::from_ref(&a))
            .await
            .unwrap();
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
);

on_both_stores!(
    a_lease_keeps_other_workers_out_until_released_or_its_holder_dies,
    |s| {
        s.save(&release("r1", "p", State::Mirroring), &[], &[])
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
        s.save(&release("r2", "p", State::Done), &[], &[])
            .await
            .unwrap();
        let mut later = release("r3", "p", State::Scanning);
        later.next_check_at = Some(100);
        s.save(&later, &[], &[]).await.unwrap();
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
);

on_both_stores!(
    the_product_lock_queue_lets_the_scanning_and_then_the_oldest_go_first,
    |s| {
        s.save(&release("old", "p", State::Submitting), &[], &[])
            .await
            .unwrap();
        s.save(&release("new", "p", State::Submitting), &[], &[])
            .await
            .unwrap();
        s.save(&release("elsewhere", "q", State::Scanning), &[], &[])
            .await
            .unwrap();
        assert_eq!(s.product_busy("p", "old").await.unwrap(), None);
        assert_eq!(
            s.product_busy("p", "new").await.unwrap().as_deref(),
            Some("old")
        );
        s.save(&release("new", "p", State::Scanning), &[], &[])
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
);

on_both_stores!(
    writes_are_fenced_by_the_lease_and_a_refused_one_changes_nothing,
    |s| {
        s.save(
            &release("r1", "p", State::Mirroring),
            &[entry("received")],
            &[],
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
                &[],
            )
            .await
            .unwrap_err();
        assert!(e.detail.contains("held by nobody"), "{e}");
        assert!(s.claim("r1", 0, &me, 900).await.unwrap().is_some());
        s.save_as(
            &me,
            &release("r1", "p", State::Mirrored),
            &[entry("mirrored")],
            &[],
        )
        .await
        .unwrap();
        // Another worker, and a write as nobody (an operator's), are refused while it holds it.
        let cancelled = release("r1", "p", State::Cancelled);
        let e = s
            .save_as(&other, &cancelled, &[entry("c")], &[])
            .await
            .unwrap_err();
        assert!(
            e.detail.contains(&me) && e.detail.contains("nothing was written"),
            "{e}"
        );
        let e = s.save(&cancelled, &[entry("c")], &[]).await.unwrap_err();
        assert!(e.detail.contains(&me), "{e}");
        assert_eq!(s.get("r1").await.unwrap().unwrap().state, State::Mirrored);
        assert_eq!(
            s.timeline("r1").await.unwrap().len(),
            2,
            "no entry of a refused write"
        );
        // Once it is given back, the operator's write goes through; the old holder's does not.
        s.release_lease("r1", &me).await.unwrap();
        s.save(&cancelled, &[entry("cancelled")], &[])
            .await
            .unwrap();
        let late = release("r1", "p", State::Granted);
        assert!(s.save_as(&me, &late, &[], &[]).await.is_err());
        assert_eq!(s.get("r1").await.unwrap().unwrap().state, State::Cancelled);
    }
);

on_both_stores!(migrations_run_once_and_a_newer_schema_is_refused, |s, t| {
    s.save(&release("r1", "p", State::Received), &[], &[])
        .await
        .unwrap();
    assert_eq!(
        s.migrate().await.unwrap(),
        0,
        "a second run applies nothing"
    );
    s.close().await;
    // Opening again keeps the data.
    let s = SqlStore::open(t.url.as_str()).await.unwrap();
    assert!(s.get("r1").await.unwrap().is_some());
    s.close().await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&t.url).await.unwrap();
    sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'later')")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let e = SqlStore::open(t.url.as_str())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("newer than this amipub knows"), "{e}");
});

#[tokio::test]
async fn a_postgres_database_is_migrated_only_when_asked_and_other_urls_are_refused() {
    let url = amipub_testkit::store::postgres_schema().await;
    let e = SqlStore::open(url.as_str()).await.unwrap_err().to_string();
    assert!(
        e.contains("schema version 0") && e.contains("amipub migrate"),
        "{e}"
    );
    let s = SqlStore::connect(&url.as_str().into()).await.unwrap();
    assert_eq!(
        s.migrate().await.unwrap() as i64,
        amipub_store::migrate::latest()
    );
    assert!(SqlStore::open(url.as_str()).await.is_ok());
    let e = SqlStore::open("mysql://db/amipub")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("sqlite://") && e.contains("postgres://"), "{e}");
}

on_both_stores!(
    a_delivery_is_stored_with_its_releases_and_keys_and_only_dead_letters_are_judged_again,
    |s| {
        use amipub_store::InboxEntry;
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
);

on_both_stores!(
    concurrent_claims_never_give_one_release_to_two_workers,
    |s| {
        for i in 0..40 {
            let id = format!("r{i}");
            s.save(&release(&id, "p", State::Mirroring), &[], &[])
                .await
                .unwrap();
        }
        let claims = (0..4).map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                let me = format!("elsewhere:{w}:claimer");
                let mut got = Vec::new();
                for _ in 0..20 {
                    for mut r in s.claim_due(0, &me, 900, 3).await.unwrap() {
                        // Finished: never due again.
                        r.state = State::Done;
                        s.save_as(&me, &r, &[], &[]).await.unwrap();
                        s.release_lease(&r.id, &me).await.unwrap();
                        got.push(r.id.to_string());
                    }
                }
                got
            })
        });
        let mut all: Vec<String> = Vec::new();
        for c in claims {
            all.extend(c.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a release was claimed twice");
        assert_eq!(n, 40, "every release was claimed once");
    }
);

on_both_stores!(a_lease_that_ran_out_fences_its_old_holder_out, |s| {
    s.save(&release("r1", "p", State::Mirroring), &[], &[])
        .await
        .unwrap();
    let frozen = "elsewhere:1:frozen";
    let thawed = "elsewhere:2:live";
    // A lease of no time has run out as soon as it is granted: the holder may not write.
    assert!(s.claim("r1", 0, frozen, 0).await.unwrap().is_some());
    let e = s
        .save_as(frozen, &release("r1", "p", State::Mirrored), &[], &[])
        .await
        .unwrap_err();
    assert!(e.detail.contains("lease ran out"), "{e}");
    // Another worker takes it; the old holder's write is refused, the new one's goes through.
    assert!(s.claim("r1", 0, thawed, 900).await.unwrap().is_some());
    assert!(
        s.save_as(frozen, &release("r1", "p", State::Failed), &[], &[])
            .await
            .is_err()
    );
    s.save_as(thawed, &release("r1", "p", State::Mirrored), &[], &[])
        .await
        .unwrap();
    assert_eq!(s.get("r1").await.unwrap().unwrap().state, State::Mirrored);
});

on_both_stores!(
    a_stale_grant_in_the_same_process_is_fenced_by_its_token,
    |s, t| {
        s.save(&release("r1", "p", State::Mirroring), &[], &[])
            .await
            .unwrap();
        let me = "elsewhere:1:w";
        // Two handles of one worker (two tasks): the first grant is superseded by the second.
        let first = SqlStore::open(t.url.as_str()).await.unwrap();
        assert!(first.claim("r1", 0, me, 900).await.unwrap().is_some());
        assert!(s.claim("r1", 0, me, 900).await.unwrap().is_some());
        assert!(
            first
                .save_as(me, &release("r1", "p", State::Failed), &[], &[])
                .await
                .is_err(),
            "the older grant may not write"
        );
        s.save_as(me, &release("r1", "p", State::Mirrored), &[], &[])
            .await
            .unwrap();
    }
);

on_both_stores!(
    two_workers_that_find_the_queue_free_cannot_both_take_the_product,
    |s| {
        // "old" has not reached submitting yet when "new" asks: "new" takes the product…
        s.save(&release("old", "p", State::Mirrored), &[], &[])
            .await
            .unwrap();
        s.save(&release("new", "p", State::Submitting), &[], &[])
            .await
            .unwrap();
        assert_eq!(s.product_busy("p", "new").await.unwrap(), None);
        // …so "old", submitting a moment later, waits for it although it is older.
        s.save(&release("old", "p", State::Submitting), &[], &[])
            .await
            .unwrap();
        assert_eq!(
            s.product_busy("p", "old").await.unwrap().as_deref(),
            Some("new")
        );
        // "new", asking again (its next look), still goes: neither waits for the other.
        assert_eq!(s.product_busy("p", "new").await.unwrap(), None);
        // Once "new" is done, "old" goes.
        s.save(&release("new", "p", State::Done), &[], &[])
            .await
            .unwrap();
        assert_eq!(s.product_busy("p", "old").await.unwrap(), None);
    }
);

on_both_stores!(each_outbox_row_is_claimed_by_one_sender, |s| {
    let a = |id: &str| Announcement {
        id: id.into(),
        schema: "amipub.release.published.v1".into(),
        topic: "t".into(),
        body: "{}".into(),
    };
    for i in 0..3 {
        let r = release(&format!("r{i}"), "p", State::Announced);
        s.save(&r, &[], std::slice::from_ref(&a(&format!("m{i}"))))
            .await
            .unwrap();
    }
    let one = s.outbox_claim("w1", 2, 60).await.unwrap();
    let two = s.outbox_claim("w2", 10, 60).await.unwrap();
    let ids =
        |rows: &[amipub_store::OutboxRow]| rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&one), ["m0", "m1"]);
    assert_eq!(ids(&two), ["m2"]);
    // A claim that ran out (its sender died) goes to another sender; a sent row to none.
    s.outbox_attempt("m0", true).await.unwrap();
    let dead = s.outbox_claim("w3", 10, 0).await.unwrap();
    assert!(
        dead.is_empty(),
        "w1 and w2 still hold theirs: {:?}",
        ids(&dead)
    );
    assert_eq!(ids(&s.outbox_claim("w1", 10, 0).await.unwrap()), ["m1"]);
    assert_eq!(ids(&s.outbox_claim("w3", 10, 60).await.unwrap()), ["m1"]);
    // A sender of this host whose process is gone leaves its claim at once.
    let r = release("r3", "p", State::Announced);
    s.save(&r, &[], std::slice::from_ref(&a("m3")))
        .await
        .unwrap();
    let gone = format!("{}:4294967295:sender", host());
    assert_eq!(ids(&s.outbox_claim(&gone, 10, 600).await.unwrap()), ["m3"]);
    assert_eq!(ids(&s.outbox_claim("w4", 10, 600).await.unwrap()), ["m3"]);
});

on_both_stores!(
    a_release_finds_the_share_list_of_the_products_previous_second_party_release,
    |s| {
        use amipub_domain::release::second_party::{SecondParty, Terms};
        use amipub_engine::ports::Forms;
        let with = |id: &str, product: &str, accounts: &[&str]| {
            let mut r = release(id, product, State::Done);
            let mut sp = SecondParty::new(Terms::default());
            sp.shared_with = accounts.iter().map(|a| (*a).to_owned()).collect();
            r.second_party = Some(sp);
            r
        };
        assert_eq!(s.last_share_list("p", "r9").await.unwrap(), None);
        s.save(&release("r0", "p", State::Done), &[], &[])
            .await
            .unwrap();
        s.save(&with("r1", "p", &["1"]), &[], &[]).await.unwrap();
        s.save(&with("r2", "p", &["1", "2"]), &[], &[])
            .await
            .unwrap();
        s.save(&with("r3", "other", &["3"]), &[], &[])
            .await
            .unwrap();
        s.save(&with("r4", "p", &[]), &[], &[]).await.unwrap();
        let list = s.last_share_list("p", "r4").await.unwrap();
        assert_eq!(list, Some(vec!["1".to_owned(), "2".to_owned()]));
        let list = s.last_share_list("p", "r2").await.unwrap();
        assert_eq!(
            list,
            Some(vec!["1".to_owned()]),
            "the release itself is left out"
        );
        s.save_form("r2", "f.xlsx", b"PK").await.unwrap();
        assert_eq!(
            s.form("r2").await.unwrap(),
            Some(("f.xlsx".into(), b"PK".to_vec()))
        );
        assert_eq!(s.form("r1").await.unwrap(), None);
    }
);

/// (table, column, nullable, integer-or-text) of every column, PostgreSQL's `rowid` identities
/// aside (SQLite has that column implicitly).
async fn columns(t: &TestStore, backend: Backend) -> Vec<(String, String, bool, &'static str)> {
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&t.url).await.unwrap();
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c, CASE WHEN p.\"notnull\" = 1 OR p.pk = 1 THEN 0 ELSE 1 END AS n, \
             upper(p.type) AS ty FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c, \
             CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS n, upper(data_type::text) AS ty \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let mut out: Vec<_> = sqlx::query(sql)
        .fetch_all(&raw)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            use sqlx::Row;
            let ty: String = r.get("ty");
            let class = if ty.contains("INT") {
                "integer"
            } else {
                "text"
            };
            let n: i64 = r.get("n");
            (
                r.get::<String, _>("t"),
                r.get::<String, _>("c"),
                n == 1,
                class,
            )
        })
        .filter(|(_, c, _, _)| c != "rowid")
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn both_backends_migrations_describe_the_same_schema() {
    let lite = TestStore::new(Backend::Sqlite).await;
    let pg = TestStore::new(Backend::Postgres).await;
    let (a, b) = (
        columns(&lite, Backend::Sqlite).await,
        columns(&pg, Backend::Postgres).await,
    );
    assert!(a.len() > 50, "{a:?}");
    let only_sqlite: Vec<_> = a.iter().filter(|c| !b.contains(c)).collect();
    let only_pg: Vec<_> = b.iter().filter(|c| !a.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "SQLite only: {only_sqlite:?}\nPostgreSQL only: {only_pg:?}"
    );
}

#[tokio::test]
async fn a_copy_from_sqlite_to_postgres_keeps_every_row_in_order() {
    use amipub_store::InboxEntry;
    let lite = TestStore::new(Backend::Sqlite).await;
    let s = &lite.store;
    for i in 0..5 {
        let r = release(&format!("r{i}"), "p", State::Received);
        let mut e = InboxEntry::new(&format!("m{i}"), i, "t", b"{}");
        e.outcome = "accepted".into();
        s.take_delivery(&e, &[(format!("p/ami-r{i}"), r, entry("received"))])
            .await
            .unwrap();
    }
    let a = Announcement {
        id: "r1-published".into(),
        schema: "amipub.release.published.v1".into(),
        topic: "t".into(),
        body: "{}".into(),
    };
    let done = release("r1", "p", State::Announced);
    s.save(
        &done,
        &[entry("queued"), entry("announced")],
        std::slice::from_ref(&a),
    )
    .await
    .unwrap();
    s.put_product("p", "[product]").await.unwrap();
    let checked = amipub_domain::lifecycle::Row::new(
        "p",
        "-",
        "listing",
        amipub_domain::lifecycle::Status::Correct,
        "",
        "",
    );
    s.record_verify("p", &[checked], 9).await.unwrap();
    let pg = TestStore::new(Backend::Postgres).await;
    let copied = amipub_store::copy::copy(s, &pg.store).await.unwrap();
    let n = |t: &str| copied.iter().find(|(name, _)| *name == t).unwrap().1;
    assert_eq!(
        (n("releases"), n("timeline"), n("inbox"), n("outbox")),
        (5, 7, 5, 1)
    );
    let d = &pg.store;
    assert_eq!(d.list(10).await.unwrap(), s.list(10).await.unwrap());
    assert_eq!(
        d.timeline("r1").await.unwrap(),
        s.timeline("r1").await.unwrap()
    );
    assert_eq!(
        d.inbox(None, 10).await.unwrap(),
        s.inbox(None, 10).await.unwrap()
    );
    assert_eq!(
        d.outbox_of("r1").await.unwrap(),
        s.outbox_of("r1").await.unwrap()
    );
    assert_eq!(
        d.product_spec("p").await.unwrap().as_deref(),
        Some("[product]")
    );
    assert_eq!(
        d.verify_rows(None).await.unwrap(),
        s.verify_rows(None).await.unwrap()
    );
    // Copying again would merge: refused, nothing written.
    let e = amipub_store::copy::copy(s, d)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty"), "{e}");
    assert_eq!(d.list(10).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_postgres_worker_is_woken_by_new_work() {
    let pg = TestStore::new(Backend::Postgres).await;
    let mut wake = pg.store.wakeups();
    assert!(wake.available());
    // The first wait opens the listener; nothing is pending yet.
    assert!(!wake.wait(std::time::Duration::from_millis(200)).await);
    let s = pg.store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        s.save(&release("r1", "p", State::Received), &[], &[])
            .await
            .unwrap();
    });
    assert!(
        wake.wait(std::time::Duration::from_secs(20)).await,
        "the insert woke the worker"
    );
    let (_d, lite) = amipub_testkit::store::temp().await;
    assert!(!lite.wakeups().available());
}
