//! The console's queries on both backends: pages of releases and jobs (newest first, filtered,
//! continued by cursor) and many timelines in one query.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Store, TimelineEntry};
use amipub_store::Filter;
use amipub_testkit::on_both_stores;

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

fn entry(at: i64, to: &str) -> TimelineEntry {
    TimelineEntry {
        at,
        event: "e".into(),
        from: "-".into(),
        to: to.into(),
        detail: String::new(),
    }
}

fn ids(rows: &[(i64, Release)]) -> Vec<&str> {
    rows.iter().map(|(_, r)| r.id.as_str()).collect()
}

on_both_stores!(pages_of_releases_follow_the_cursor_and_the_filters, |s| {
    for (i, (product, state)) in [
        ("a", State::Done),
        ("b", State::Failed),
        ("a", State::Failed),
        ("a", State::Scanning),
        ("b", State::Done),
    ]
    .into_iter()
    .enumerate()
    {
        s.save(&release(&format!("r{i}"), product, state), &[], &[])
            .await
            .unwrap();
    }
    let page = |state: Option<&str>, product: Option<&str>, before: Option<i64>| Filter {
        state: state.map(str::to_owned),
        product: product.map(str::to_owned),
        before,
        limit: 2,
    };
    let first = s.release_page(&page(None, None, None)).await.unwrap();
    assert_eq!(ids(&first), ["r4", "r3"]);
    let cursor = first.last().unwrap().0;
    let second = s
        .release_page(&page(None, None, Some(cursor)))
        .await
        .unwrap();
    assert_eq!(ids(&second), ["r2", "r1"]);
    let failed_a = s
        .release_page(&page(Some("failed"), Some("a"), None))
        .await
        .unwrap();
    assert_eq!(ids(&failed_a), ["r2"]);
    let b = s.release_page(&page(None, Some("b"), None)).await.unwrap();
    assert_eq!(ids(&b), ["r4", "r1"]);
    assert!(
        s.job_page(&page(None, None, None))
            .await
            .unwrap()
            .is_empty()
    );
});

on_both_stores!(timelines_of_several_releases_come_in_one_query, |s| {
    s.save(
        &release("r1", "a", State::Done),
        &[entry(1, "x"), entry(2, "y")],
        &[],
    )
    .await
    .unwrap();
    s.save(&release("r2", "a", State::Done), &[entry(5, "z")], &[])
        .await
        .unwrap();
    let all = s
        .timelines(&["r1".to_owned(), "r2".to_owned(), "r9".to_owned()])
        .await
        .unwrap();
    let to: Vec<&str> = all["r1"].iter().map(|e| e.to.as_str()).collect();
    assert_eq!(to, ["x", "y"]);
    assert_eq!(all["r2"].len(), 1);
    assert!(!all.contains_key("r9"));
    assert!(s.timelines(&[]).await.unwrap().is_empty());
});

on_both_stores!(a_verify_run_replaces_the_products_last_one, |s| {
    use amipub_domain::lifecycle::{Row, Status};
    let row = |item: &str, status| Row::new("p", "us-east-1", item, status, "e", "a");
    let first = [
        row("ami 1", Status::Correct),
        row("ssm /x", Status::Missing),
    ];
    s.record_verify("p", &first, 10).await.unwrap();
    s.record_verify(
        "q",
        &[Row::new("q", "-", "listing", Status::Correct, "", "")],
        10,
    )
    .await
    .unwrap();
    s.record_verify("p", &[row("ami 2", Status::Incorrect)], 20)
        .await
        .unwrap();
    let p = s.verify_rows(Some("p")).await.unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].row.item.as_str(), p[0].row.status, p[0].at),
        ("ami 2", Status::Incorrect, 20)
    );
    assert_eq!(s.verify_rows(None).await.unwrap().len(), 2);
});
