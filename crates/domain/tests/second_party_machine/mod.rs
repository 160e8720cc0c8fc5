//! The second-party path of the release state machine: its states and events for the generated
//! page, and walks along it (clones pending then available, a Region that cannot take a clone, a
//! share that does not hold, the reminder, submission, a rejected form and retry, the
//! Marketplace's deadline, AMIs that appear before anyone says the form was submitted).

use std::collections::BTreeMap;

use amipub_domain::ids::Region;
use amipub_domain::release::second_party::{SecondParty, Terms};
use amipub_domain::release::{Command, Event, FailureKind, Release, State, decide};

use super::{T0, all_regions, facts, fresh};

/// The second-party states, in pipeline order.
pub const STATES: [State; 5] = [
    State::Cloning,
    State::Cloned,
    State::Shared,
    State::AwaitingSubmission,
    State::Submitted,
];

/// The page's section on the second-party path.
pub const PAGE_HEADER: &str = "\n## The second-party path\n\n\
    A product with `delivery_path = \"second-party\"` leaves `admitted` for these states instead \
    of the mirror and change-set steps, and joins the catalog path at `published` (or `located`) \
    once the Marketplace's own AMIs appear.\n\n\
    | state | event | next state | runs |\n|---|---|---|---|\n";

fn clones(available: bool) -> BTreeMap<Region, amipub_domain::release::second_party::Clone> {
    all_regions()
        .into_keys()
        .map(|g| {
            let ami = format!("ami-c{:016}", g.as_str().len());
            (
                g,
                amipub_domain::release::second_party::Clone { ami, available },
            )
        })
        .collect()
}

/// A fresh second-party release.
pub fn fresh_sp() -> Release {
    let mut r = fresh();
    r.second_party = Some(SecondParty::new(Terms::default()));
    r
}

/// A second-party release in `state` with the data that state implies, due now.
pub fn in_state(state: State) -> Release {
    let mut r = fresh_sp();
    r.state = state;
    if let Some(sp) = r.second_party.as_mut() {
        sp.clones = clones(state != State::Cloning);
        if matches!(
            state,
            State::Shared | State::AwaitingSubmission | State::Submitted
        ) {
            sp.shared_with = vec!["679593333241".into(), "684062674729".into()];
        }
        if matches!(state, State::AwaitingSubmission | State::Submitted) {
            sp.form = Some("form.xlsx".into());
        }
    }
    r.next_check_at = Some(T0);
    r
}

/// One representative of each event that matters on this path.
pub fn events() -> Vec<(&'static str, Event)> {
    let avail: BTreeMap<Region, String> =
        clones(true).into_iter().map(|(g, c)| (g, c.ami)).collect();
    vec![
        ("tick", Event::Tick),
        (
            "clAv",
            Event::ClonesSeen {
                available: avail,
                pending: BTreeMap::new(),
                failed: BTreeMap::new(),
            },
        ),
        (
            "clFl",
            Event::ClonesSeen {
                available: BTreeMap::new(),
                pending: BTreeMap::new(),
                failed: [(Region::known("eu-west-1"), "OptInRequired".to_owned())].into(),
            },
        ),
        (
            "sh+",
            Event::SharesVerified {
                accounts: vec!["679593333241".into()],
                changed: None,
            },
        ),
        (
            "sh-",
            Event::SharesMissing {
                detail: "snap-1 in eu-west-1 for 684062674729".into(),
            },
        ),
        (
            "form",
            Event::FormWritten {
                name: "form.xlsx".into(),
            },
        ),
        ("rem", Event::Reminded),
        (
            "subm",
            Event::SubmissionRecorded {
                ticket: "https://t/1".into(),
                by: "alice".into(),
            },
        ),
        (
            "rej",
            Event::FormRejected {
                reason: "missing notes".into(),
                by: "alice".into(),
            },
        ),
        (
            "regs",
            Event::RegionsFound {
                found: all_regions(),
            },
        ),
        (
            "cfF",
            Event::CallFailed {
                kind: FailureKind::AccessDenied,
                detail: "denied".into(),
            },
        ),
        ("canc", Event::CancelRequested { by: "ops".into() }),
    ]
}

/// The result the engine would feed back for each command, with everything going well.
fn answer(cmd: &Command) -> Event {
    match cmd {
        Command::InspectSource { .. } => Event::SourceInspected(facts("125523088429")),
        Command::EnsureClones { regions, .. } => Event::ClonesSeen {
            available: regions
                .keys()
                .map(|g| (g.clone(), format!("ami-{g}")))
                .collect(),
            pending: BTreeMap::new(),
            failed: BTreeMap::new(),
        },
        Command::ShareClones { .. } => Event::SharesVerified {
            accounts: vec!["679593333241".into(), "684062674729".into()],
            changed: None,
        },
        Command::WriteForm => Event::FormWritten {
            name: "f.xlsx".into(),
        },
        Command::Remind => Event::Reminded,
        Command::LocateRegions { .. } => Event::RegionsFound {
            found: all_regions(),
        },
        Command::WriteParameters => Event::ParametersWritten {
            verified: "ok".into(),
        },
        Command::QueueAnnouncement => Event::AnnouncementQueued,
        other => panic!("{other:?} is not a second-party command"),
    }
}

/// Feeds `event` and then the answers to every command it asks for.
fn feed(r: &Release, event: &Event, now: i64) -> (Release, Vec<&'static str>) {
    let (mut r, mut queue) = decide(r, event, now);
    let mut ran = Vec::new();
    while let Some(cmd) = queue.pop() {
        ran.push(cmd.name());
        let (next, more) = decide(&r, &answer(&cmd), now);
        r = next;
        queue.extend(more);
    }
    (r, ran)
}

#[test]
fn the_second_party_path_clones_shares_writes_the_form_and_waits_for_a_person() {
    let (r, ran) = feed(&fresh_sp(), &Event::Tick, T0);
    assert_eq!(
        ran,
        [
            "inspect_source",
            "ensure_clones",
            "share_clones",
            "write_form"
        ]
    );
    assert_eq!(r.state, State::AwaitingSubmission);
    let sp = r.second_party.clone().unwrap();
    assert_eq!(sp.cloned_count(&r.expected_regions), 3);
    assert_eq!(sp.form.as_deref(), Some("f.xlsx"));
    // Nothing appears for a day: one look an hour, then one reminder, then looks again.
    let mut r = r;
    let mut now = T0;
    let mut reminders = 0;
    let no_amis = Event::RegionsFound {
        found: BTreeMap::new(),
    };
    for _ in 0..30 {
        now = r.next_check_at.unwrap();
        let (next, cmds) = decide(&r, &Event::Tick, now);
        r = next;
        for c in cmds {
            let ev = if c == Command::Remind {
                reminders += 1;
                Event::Reminded
            } else {
                no_amis.clone()
            };
            r = decide(&r, &ev, now).0;
        }
    }
    assert_eq!(reminders, 1, "one reminder per wait");
    assert_eq!(r.state, State::AwaitingSubmission);
    assert!(now - T0 >= 86_400);
    let submitted = Event::SubmissionRecorded {
        ticket: "https://t/1".into(),
        by: "alice".into(),
    };
    let (r, ran) = feed(&r, &submitted, now);
    assert_eq!(
        ran,
        ["locate_regions", "write_parameters", "queue_announcement"]
    );
    assert_eq!(r.state, State::Announced);
    assert_eq!(
        r.second_party.unwrap().ticket.as_deref(),
        Some("https://t/1")
    );
    assert_eq!(r.regions, all_regions());
}

#[test]
fn pending_clones_are_polled_and_a_region_without_a_clone_fails_naming_it() {
    let r = in_state(State::Admitted);
    let mut r = r;
    r.second_party = Some(SecondParty::new(Terms::default()));
    let (_, cmds) = decide(&r, &Event::Tick, T0);
    let Some(Command::EnsureClones { regions, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(regions.len(), 3);
    let tokens: std::collections::BTreeSet<&String> = regions.values().collect();
    assert_eq!(tokens.len(), 3, "one token per Region");
    let pending = Event::ClonesSeen {
        available: [(Region::known("us-east-1"), "ami-1".to_owned())].into(),
        pending: [(Region::known("eu-west-1"), "ami-2".to_owned())].into(),
        failed: BTreeMap::new(),
    };
    let (r, cmds) = decide(&r, &pending, T0);
    assert!(cmds.is_empty());
    assert_eq!(r.state, State::Cloning);
    assert!(r.next_check_at.unwrap() > T0);
    // The next look asks only for the Regions without an available clone.
    let (_, cmds) = decide(&r, &Event::Tick, r.next_check_at.unwrap());
    let Some(Command::EnsureClones { regions, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        regions.keys().map(|g| g.as_str()).collect::<Vec<_>>(),
        ["eu-west-1", "us-gov-west-1"]
    );
    let failed = Event::ClonesSeen {
        available: BTreeMap::new(),
        pending: BTreeMap::new(),
        failed: [(
            Region::known("us-gov-west-1"),
            "not enabled: enable it".to_owned(),
        )]
        .into(),
    };
    let (r, _) = decide(&r, &failed, T0 + 60);
    assert_eq!(r.state, State::Failed);
    let f = r.failure.clone().unwrap();
    assert_eq!(f.step, State::Cloning);
    assert!(
        f.detail.contains("us-gov-west-1: not enabled"),
        "{}",
        f.detail
    );
    // Retry looks again, keeping the clone already available.
    let (r, cmds) = decide(&r, &Event::RetryRequested { by: "ops".into() }, T0 + 120);
    assert_eq!(r.state, State::Admitted);
    let Some(Command::EnsureClones { regions, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert!(!regions.contains_key(&Region::known("us-east-1")));
}

#[test]
fn a_missing_share_fails_and_a_rejected_form_is_retried_from_the_shares() {
    let (r, _) = decide(
        &in_state(State::Cloned),
        &Event::SharesMissing {
            detail: "snap-1 in eu-west-1 for 684062674729".into(),
        },
        T0,
    );
    assert_eq!(r.state, State::Failed);
    assert!(
        r.failure
            .as_ref()
            .unwrap()
            .detail
            .contains("snap-1 in eu-west-1 for 684062674729")
    );
    let (r, cmds) = decide(&r, &Event::RetryRequested { by: "ops".into() }, T0);
    assert_eq!(
        (r.state, cmds.first().map(Command::name)),
        (State::Cloned, Some("share_clones"))
    );

    let rejected = Event::FormRejected {
        reason: "Release Notes is empty".into(),
        by: "bob".into(),
    };
    let (r, _) = decide(&in_state(State::Submitted), &rejected, T0);
    assert_eq!(r.state, State::Failed);
    assert!(
        r.failure
            .as_ref()
            .unwrap()
            .detail
            .contains("Release Notes is empty")
    );
    let (r, cmds) = decide(&r, &Event::RetryRequested { by: "ops".into() }, T0);
    assert_eq!(
        (r.state, cmds.first().map(Command::name)),
        (State::Cloned, Some("share_clones"))
    );
    assert_eq!(
        r.second_party.as_ref().unwrap().form,
        None,
        "a new workbook is written"
    );
    let (r, ran) = feed(&r, &Event::Tick, r.next_check_at.unwrap());
    assert_eq!(ran, ["share_clones", "write_form"]);
    assert_eq!(r.state, State::AwaitingSubmission);
}

#[test]
fn the_marketplace_gets_its_deadline_and_amis_that_appear_first_move_the_release_on() {
    let mut r = in_state(State::Submitted);
    r.entered_at = T0;
    let late = T0 + Terms::default().publish_deadline;
    let (r2, _) = decide(&r, &Event::Tick, late);
    assert_eq!(r2.state, State::Failed);
    assert_eq!(r2.failure.unwrap().kind, FailureKind::Timeout);
    r.next_check_at = None;
    let (r3, _) = decide(&r, &Event::Tick, late - 1);
    assert_eq!(r3.state, State::Submitted);

    let some = Event::RegionsFound {
        found: [(Region::known("us-east-1"), "ami-m".to_owned())].into(),
    };
    let (r, cmds) = decide(&in_state(State::AwaitingSubmission), &some, T0);
    assert_eq!(
        r.state,
        State::Published,
        "the rest are located as on the catalog path"
    );
    assert_eq!(cmds.first().map(Command::name), Some("locate_regions"));
}

#[test]
fn catalog_releases_never_enter_second_party_states() {
    let (r, ran) = feed(
        &fresh(),
        &Event::ClonesSeen {
            available: BTreeMap::new(),
            pending: BTreeMap::new(),
            failed: BTreeMap::new(),
        },
        T0,
    );
    assert_eq!((r.state, ran.len()), (State::Received, 0));
}
