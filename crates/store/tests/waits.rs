//! Wake-ups in the SQL store, on both backends: a stored wake-up makes due what waits on its key
//! and is then forgotten; one whose waiter a worker holds stays until the lease is given back;
//! the same key stored twice is one wake-up; and the product's Done releases come back newest
//! first as the history waits are paced by.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Store, lock_holder};
use amipub_testkit::on_both_stores;

fn waiting(id: &str, state: State, on: &str, until: i64) -> Release {
    let mut r = Release::new(
        id,
        "p",
        &format!("v-{id}"),
        "us-east-1",
        &format!("ami-{id}"),
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into()],
        0,
    );
    r.state = state;
    match state {
        State::Scanning => r.change_set = Some(on.into()),
        _ => r.blocked_by = Some(on.into()),
    }
    r.next_check_at = Some(until);
    r
}

fn due_ids(due: &[Release]) -> Vec<&str> {
    due.iter().map(|r| r.id.as_str()).collect()
}

on_both_stores!(a_wake_up_makes_its_waiters_due_once, |s| {
    s.save(&waiting("a", State::Scanning, "cs-1", 1000), &[], &[])
        .await
        .unwrap();
    let behind = lock_holder("a");
    s.save(&waiting("b", State::Submitting, &behind, 2000), &[], &[])
        .await
        .unwrap();
    s.add_wake("cs-1", 10).await.unwrap();
    s.add_wake("cs-1", 11).await.unwrap();
    assert_eq!(s.apply_wakes(12).await.unwrap(), 1);
    let due = s.claim_due(12, "w1", 900, 10).await.unwrap();
    assert_eq!(due_ids(&due), ["a"], "only what waits on cs-1");
    s.release_lease("a", "w1").await.unwrap();
    // Applied and forgotten: nothing more to wake.
    assert_eq!(s.apply_wakes(13).await.unwrap(), 0);
    s.add_wake(&behind, 14).await.unwrap();
    assert_eq!(s.apply_wakes(14).await.unwrap(), 1);
    let due = s.claim_due(14, "w1", 900, 10).await.unwrap();
    assert_eq!(due_ids(&due), ["a", "b"]);
});

on_both_stores!(a_wake_up_for_a_held_waiter_waits_for_the_lease, |s| {
    s.save(&waiting("a", State::Scanning, "cs-1", 1000), &[], &[])
        .await
        .unwrap();
    assert!(s.claim("a", 5, "w1", 900).await.unwrap().is_some());
    s.add_wake("cs-1", 10).await.unwrap();
    assert_eq!(s.apply_wakes(10).await.unwrap(), 0, "held: not now");
    s.release_lease("a", "w1").await.unwrap();
    assert_eq!(s.apply_wakes(11).await.unwrap(), 1, "kept, then applied");
    assert_eq!(
        due_ids(&s.claim_due(11, "w2", 900, 10).await.unwrap()),
        ["a"]
    );
});

on_both_stores!(a_wake_up_leaves_finished_and_unrelated_rows_alone, |s| {
    let mut done = waiting("d", State::Scanning, "cs-1", 1000);
    done.state = State::Done;
    s.save(&done, &[], &[]).await.unwrap();
    s.save(&waiting("o", State::Scanning, "cs-2", 1000), &[], &[])
        .await
        .unwrap();
    s.add_wake("cs-1", 10).await.unwrap();
    assert_eq!(s.apply_wakes(10).await.unwrap(), 0);
    assert!(s.claim_due(10, "w1", 900, 10).await.unwrap().is_empty());
});

on_both_stores!(
    the_history_is_the_newest_done_releases_of_the_product,
    |s| {
        for (id, state) in [
            ("r1", State::Done),
            ("r2", State::Failed),
            ("r3", State::Done),
            ("r4", State::Done),
        ] {
            let mut r = waiting(id, State::Scanning, "x", 0);
            r.state = state;
            r.took.scan = Some(id[1..].parse().unwrap());
            s.save(&r, &[], &[]).await.unwrap();
        }
        let mut other = waiting("q1", State::Scanning, "x", 0);
        other.product = "q".into();
        other.state = State::Done;
        s.save(&other, &[], &[]).await.unwrap();
        let recent = s.recent_done("p", 2).await.unwrap();
        assert_eq!(due_ids(&recent), ["r4", "r3"]);
        assert_eq!(recent[0].took.scan, Some(4));
    }
);
