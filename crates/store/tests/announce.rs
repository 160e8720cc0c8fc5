//! Announcements of jobs in the SQL store, on both backends: queued once per id, and only about
//! a release the store holds (a mirror made by another installation names none here).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::release::Release;
use amipub_engine::lifecycle_ports::Jobs;
use amipub_engine::ports::{Announcement, Store};
use amipub_testkit::on_both_stores;

fn note(id: &str) -> Announcement {
    Announcement {
        id: id.into(),
        schema: "amipub.release.image-retired.v1".into(),
        topic: "amipub.release.image-retired.v1".into(),
        body: "{}".into(),
    }
}

on_both_stores!(a_job_announces_once_and_only_about_known_releases, |s| {
    let r = Release::new(
        "r-000000000001",
        "p",
        "1",
        "us-east-1",
        "ami-0123456789abcdef0",
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into()],
        0,
    );
    s.save(&r, &[], &[]).await.unwrap();
    s.announce("r-000000000001", &note("image-retired-ami-1"), 10)
        .await
        .unwrap();
    s.announce("r-000000000001", &note("image-retired-ami-1"), 20)
        .await
        .unwrap();
    s.announce("r-0000000000ff", &note("image-retired-ami-2"), 30)
        .await
        .unwrap();
    let rows = s.outbox_of("r-000000000001").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(s.outbox_backlog().await.unwrap(), 1);
});
