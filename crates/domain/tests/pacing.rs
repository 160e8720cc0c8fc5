//! Pacing through the release machine: a release notes the window each of its waits ended in
//! (the last look that missed, the one that found), and the next release of the product steps
//! through those windows instead of aiming at their late ends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;

use amipub_domain::ids::Region;
use amipub_domain::release::durations::{Durations, expect};
use amipub_domain::release::pace::STEP_SECS;
use amipub_domain::release::{Event, Release, State, decide};

const T0: i64 = 1_800_000_000;

fn admitted(expected: Option<Durations>) -> Release {
    let mut r = Release::new(
        "rel-1",
        "fedora",
        "41",
        "us-east-1",
        "ami-1",
        vec!["125523088429".into()],
        "x86_64",
        vec!["eu-west-1".into(), "ap-south-1".into()],
        T0,
    );
    r.state = State::Admitted;
    r.expected = expected;
    r
}

fn started() -> Event {
    Event::MirrorStarted {
        ami: "ami-copy".into(),
    }
}

/// Feeds `event` at `at`; returns when the release looks next.
fn feed(r: &mut Release, event: &Event, at: i64) -> i64 {
    *r = decide(r, event, T0 + at).0;
    r.next_check_at.unwrap() - T0
}

#[test]
fn a_copy_notes_its_window_and_the_next_release_steps_through_it() {
    let mut first = admitted(Some(Durations::default()));
    assert_eq!(feed(&mut first, &started(), 0), 30);
    let mut at = 30;
    while at < 600 {
        at = feed(&mut first, &started(), at);
    }
    let available = Event::MirrorAvailable {
        ami: "ami-copy".into(),
    };
    first = decide(&first, &available, T0 + at).0;
    let (lo, hi) = (first.took.copy_missed.unwrap(), first.took.copy.unwrap());
    assert!(lo < 600 && 600 <= hi, "window ({lo}, {hi}]");

    let mut next = admitted(Some(expect(&[&first.took])));
    let mut looks = vec![feed(&mut next, &started(), 0)];
    while *looks.last().unwrap() < hi {
        let at = *looks.last().unwrap();
        looks.push(feed(&mut next, &started(), at));
    }
    // After the window opens, the looks are a step apart and the last lands on its end.
    let inside: Vec<i64> = looks.iter().copied().filter(|t| *t > lo).collect();
    assert_eq!(inside[0], lo + STEP_SECS, "looks {looks:?}");
    assert!(
        inside.windows(2).all(|w| w[1] - w[0] <= STEP_SECS),
        "looks {looks:?}"
    );
    assert_eq!(*looks.last().unwrap(), hi);
}

#[test]
fn a_located_region_keeps_the_look_that_missed_it() {
    let mut r = admitted(Some(Durations::default()));
    r.state = State::Published;
    let eu = Region::known("eu-west-1");
    let ap = Region::known("ap-south-1");
    let found = |regions: &[&Region]| Event::RegionsFound {
        found: regions
            .iter()
            .map(|x| ((*x).clone(), format!("ami-{x}")))
            .collect::<BTreeMap<_, _>>(),
    };
    feed(&mut r, &found(&[]), 60);
    feed(&mut r, &found(&[&eu]), 180);
    r = decide(&r, &found(&[&ap]), T0 + 420).0;
    assert_eq!(r.state, State::Located);
    assert_eq!((r.took.lag_missed[&eu], r.took.lag[&eu]), (60, 180));
    assert_eq!((r.took.lag_missed[&ap], r.took.lag[&ap]), (180, 420));
}
