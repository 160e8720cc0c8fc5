//! Schedules in the SQL store, on both backends: new is due at once, taken it is not due again
//! until its period passed, and of two workers asking at once only one takes a turn.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_testkit::on_both_stores;

on_both_stores!(a_schedule_is_taken_once_per_period, |s| {
    let day = 86_400;
    assert!(s.take_schedule("types", 1_000, day).await.unwrap());
    assert!(!s.take_schedule("types", 1_001, day).await.unwrap());
    assert!(
        !s.take_schedule("types", 1_000 + day - 1, day)
            .await
            .unwrap()
    );
    // Another schedule has its own time.
    assert!(s.take_schedule("other", 1_001, day).await.unwrap());
    let (a, b) = tokio::join!(
        s.take_schedule("types", 1_000 + day, day),
        s.take_schedule("types", 1_000 + day, day)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|t| **t).count(),
        1,
        "one of two workers takes the turn"
    );
});
