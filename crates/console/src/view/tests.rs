//! Words and durations of the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use super::*;
use amipub_domain::release::durations::Durations;

fn release(state: State) -> Release {
    let mut r = Release::new(
        "r-1",
        "fedora-cloud",
        "42.1",
        "us-east-1",
        "ami-1",
        vec![],
        "x86_64",
        vec!["us-east-1".into(), "eu-west-1".into()],
        1_000,
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

#[test]
fn spans_read_as_people_say_them() {
    assert_eq!(span(42), "42 s");
    assert_eq!(span(90), "1 min");
    assert_eq!(span(7300), "2 h 1 min");
    assert_eq!(span(200_000), "2 d 7 h");
    assert_eq!(span(-5), "0 s");
}

#[test]
fn a_locked_product_names_the_change_set_and_since_when() {
    let mut r = release(State::Submitting);
    r.blocked_by = Some("cs-other".into());
    r.entered_at = 1_764_856_920; // 2025-12-04 14:02 UTC
    assert_eq!(
        release_why(&r, r.entered_at + 60),
        "product locked by change set cs-other since 2025-12-04 14:02 UTC"
    );
}

#[test]
fn a_scan_says_when_it_usually_ends() {
    let mut r = release(State::Scanning);
    r.change_set = Some("cs-1".into());
    r.expected = Some(Durations {
        scan: Some(3600),
        ..Durations::default()
    });
    assert_eq!(
        release_why(&r, 1_000 + 1_200),
        "scan running (cs-1), usually ends in ~40 min"
    );
    assert_eq!(
        release_why(&r, 1_000 + 4_000),
        "scan running (cs-1), taking longer than usual"
    );
}

#[test]
fn regions_count_what_is_found() {
    let mut r = release(State::Published);
    r.regions.insert("us-east-1".into(), "ami-mp".into());
    assert_eq!(regions(&r), "1 of 2 Regions");
    assert_eq!(
        release_why(&r, 1_000),
        "waiting for Marketplace AMIs: 1 of 2 Regions found"
    );
}

#[test]
fn phases_add_up_the_time_in_each_state() {
    let t = [
        entry(0, "received"),
        entry(10, "mirroring"),
        entry(610, "scanning"),
        entry(700, "mirroring"),
        entry(760, "done"),
    ];
    assert_eq!(
        phases(&t, None),
        vec![
            ("received".to_owned(), 10),
            ("mirroring".to_owned(), 660),
            ("scanning".to_owned(), 90),
        ]
    );
    // A state still current counts up to now.
    assert_eq!(
        phases(&t[..2], Some(100)).last(),
        Some(&("mirroring".to_owned(), 90))
    );
}
