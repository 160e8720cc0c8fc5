use super::*;
use crate::release::durations::Durations;
use crate::release::model::State;
use crate::release::pace::STEP_SECS;

const T0: i64 = 1_000_000;

/// A release published at `T0` to eu-west-1 and ap-south-1; `history` gives each Region's
/// (last missed, found) window, if any.
fn published(history: &[(&str, i64, i64)]) -> Release {
    let mut r = Release::new(
        "rel-1",
        "fedora",
        "41",
        "us-east-1",
        "ami-1",
        Vec::new(),
        "x86_64",
        vec!["eu-west-1".into(), "ap-south-1".into()],
        T0,
    );
    r.state = State::Published;
    let mut e = Durations::default();
    for (region, lo, hi) in history {
        e.lag_missed.insert(Region::known(region), *lo);
        e.lag.insert(Region::known(region), *hi);
    }
    r.expected = Some(e);
    r
}

fn names(v: Vec<Region>) -> Vec<String> {
    v.iter().map(|x| x.as_str().to_owned()).collect()
}

#[test]
fn without_history_every_look_asks_every_missing_region_and_backs_off() {
    let mut r = published(&[]);
    assert_eq!(names(due(&r, T0)), ["eu-west-1", "ap-south-1"]);
    assert_eq!(next(&r, T0), LOCATE_POLL_SECS);
    r.attempts = 3;
    assert_eq!(next(&r, T0), LOCATE_POLL_CAP_SECS);
}

#[test]
fn a_region_sure_to_be_there_is_asked_once_when_the_last_one_can_first_appear() {
    let r = published(&[("eu-west-1", 0, 300), ("ap-south-1", 1320, 1620)]);
    assert!(due(&r, T0).is_empty());
    assert!(due(&r, T0 + 1319).is_empty());
    assert_eq!(names(due(&r, T0 + 1320)), ["eu-west-1"]);
    assert_eq!(
        names(due(&r, T0 + 1320 + STEP_SECS)),
        ["eu-west-1", "ap-south-1"]
    );
    // Before that, the engine wakes at most a cap apart, asking nothing.
    assert_eq!(next(&r, T0), LOCATE_POLL_CAP_SECS);
    assert_eq!(next(&r, T0 + 1300), 20);
}

#[test]
fn a_missed_look_moves_the_next_one_a_step_through_the_window() {
    let mut r = published(&[("eu-west-1", 0, 300), ("ap-south-1", 1320, 1620)]);
    let now = T0 + 1320 + STEP_SECS;
    let found = [(Region::known("eu-west-1"), "ami-eu".to_owned())].into();
    note_missed(&mut r, &found, now);
    r.regions.extend(found);
    assert_eq!(
        r.took.lag_missed[&Region::known("ap-south-1")],
        1320 + STEP_SECS
    );
    assert!(!r.took.lag_missed.contains_key(&Region::known("eu-west-1")));
    assert_eq!(next(&r, now), STEP_SECS);
    assert_eq!(names(due(&r, now + STEP_SECS)), ["ap-south-1"]);
}

#[test]
fn the_last_step_lands_on_the_end_of_the_window_then_looks_come_dense() {
    let mut r = published(&[("ap-south-1", 1320, 1620)]);
    r.regions
        .insert(Region::known("eu-west-1"), "ami-eu".into());
    r.took.lag_missed.insert(Region::known("ap-south-1"), 1600);
    assert_eq!(next(&r, T0 + 1600), 20);
    r.took.lag_missed.insert(Region::known("ap-south-1"), 1620);
    assert_eq!(next(&r, T0 + 1620), crate::release::pace::DENSE_SECS);
    r.took.lag_missed.insert(Region::known("ap-south-1"), 2020);
    assert_eq!(next(&r, T0 + 2020), 100);
}

#[test]
fn a_window_whose_ends_cross_keeps_only_its_upper_end() {
    let r = published(&[("eu-west-1", 700, 600), ("ap-south-1", 0, 100)]);
    assert_eq!(names(due(&r, T0 + 100)), ["eu-west-1", "ap-south-1"]);
}

#[test]
fn other_regions_wait_for_their_window_to_close_while_the_leader_steps() {
    let mut r = published(&[("eu-west-1", 1300, 1500), ("ap-south-1", 1320, 1620)]);
    assert_eq!(names(due(&r, T0 + 1320 + STEP_SECS)), ["ap-south-1"]);
    assert_eq!(names(due(&r, T0 + 1500)), ["eu-west-1", "ap-south-1"]);
    // Once the leader is found, eu-west-1 leads and steps from its own lower end.
    r.regions
        .insert(Region::known("ap-south-1"), "ami-ap".into());
    assert_eq!(names(due(&r, T0 + 1300 + STEP_SECS)), ["eu-west-1"]);
}
