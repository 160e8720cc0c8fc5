//! The release state machine: a table over every (state, event) pair, walks along whole paths
//! (happy, shortcut, lock wait, retries, failures and retry, partial location, cancel), and a
//! property test over random event sequences; and `docs/development/pipeline.md`, generated from
//! the machine and kept equal to it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;

use amipub_domain::ids::Region;
use amipub_domain::release::assessment::{ControlError, ControlFinding};
use amipub_domain::release::timing::{LOCATE_DEADLINE_SECS, MAX_CALL_ATTEMPTS};
use amipub_domain::release::{Command, Event, FailureKind, ImageFacts, Release, State, decide};
use proptest::prelude::*;

#[path = "second_party_machine/mod.rs"]
mod second_party;

const T0: i64 = 1_800_000_000;
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "us-gov-west-1"];

fn facts(owner: &str) -> ImageFacts {
    ImageFacts {
        owner: owner.into(),
        state: "available".into(),
        architecture: "x86_64".into(),
        virtualization: "hvm".into(),
        root_device_type: "ebs".into(),
        ena_support: true,
        encrypted: false,
        product_codes: Vec::new(),
    }
}

fn fresh() -> Release {
    Release::new(
        "rel-1",
        "fedora-cloud-base-x86-64",
        "41.20241027.0",
        "us-east-1",
        "ami-06b2596588ff27750",
        vec!["125523088429".into()],
        "x86_64",
        REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        T0,
    )
}

/// A release in `state` with the data that state implies, due now.
fn in_state(state: State) -> Release {
    let mut r = fresh();
    r.state = state;
    if state >= State::Mirroring && !matches!(state, State::Ignored | State::Rejected) {
        r.mirror_ami = Some("ami-0aaaaaaaaaaaaaaaa".into());
    }
    if matches!(
        state,
        State::Scanning
            | State::Published
            | State::Located
            | State::ParametersWritten
            | State::Announced
            | State::Done
    ) {
        r.change_set = Some("cs1".into());
    }
    if state == State::Failed {
        r.failure = Some(amipub_domain::release::Failure {
            step: State::Scanning,
            kind: FailureKind::ScanFailed,
            detail: "x".into(),
            remedy: "y".into(),
            controls: Vec::new(),
        });
    }
    if state == State::Rejected {
        r.rejection = Some("untrusted".into());
    }
    r.next_check_at = Some(T0);
    r
}

fn all_regions() -> BTreeMap<Region, String> {
    REGIONS
        .iter()
        .enumerate()
        .map(|(i, r)| (Region::from(*r), format!("ami-{i:017}")))
        .collect()
}

/// One representative event of each kind, in the table's column order.
fn events() -> Vec<(&'static str, Event)> {
    vec![
        ("tick", Event::Tick),
        ("src+", Event::SourceInspected(facts("125523088429"))),
        ("srcU", Event::SourceInspected(facts("999999999999"))),
        ("srcM", Event::SourceMissing),
        (
            "mSt",
            Event::MirrorStarted {
                ami: "ami-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "mAv",
            Event::MirrorAvailable {
                ami: "ami-0aaaaaaaaaaaaaaaa".into(),
            },
        ),
        (
            "mFl",
            Event::MirrorFailed {
                detail: "copy failed".into(),
            },
        ),
        ("gr+", Event::GrantVerified),
        (
            "gr-",
            Event::GrantMissing {
                detail: "no role".into(),
            },
        ),
        ("vLs", Event::VersionListed),
        (
            "lock",
            Event::ProductLocked {
                change_set: "other".into(),
            },
        ),
        (
            "csSt",
            Event::ChangeSetStarted {
                id: "cs1".into(),
                restricts: Vec::new(),
            },
        ),
        ("csRn", Event::ChangeSetRunning),
        (
            "csOk",
            Event::ChangeSetSucceeded {
                controls: Vec::new(),
            },
        ),
        (
            "csFl",
            Event::ChangeSetFailed {
                errors: vec![("SCAN_ERROR".into(), "https://report".into())],
                controls: Vec::new(),
            },
        ),
        ("csCn", Event::ChangeSetCancelled),
        (
            "regs",
            Event::RegionsFound {
                found: all_regions(),
            },
        ),
        (
            "par",
            Event::ParametersWritten {
                verified: "ok".into(),
            },
        ),
        ("ann", Event::AnnouncementQueued),
        (
            "cfR",
            Event::CallFailed {
                kind: FailureKind::Throttled,
                detail: "slow down".into(),
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
        ("retry", Event::RetryRequested { by: "ops".into() }),
    ]
}

/// Rows: states; columns: the events above; cells: the state after the event.
const TABLE: &str = "
            tick src+ srcU srcM mSt  mAv  mFl  gr+  gr-  vLs  lock csSt csRn csOk csFl csCn regs par  ann  cfR  cfF  canc retry
Received    Rcv  Adm  Rej  Rej  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Rcv  Fal  Can  Rcv
Admitted    Adm  Adm  Adm  Adm  Mir  Mrd  Fal  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Adm  Fal  Can  Adm
Mirroring   Mir  Mir  Mir  Mir  Mir  Mrd  Fal  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Mir  Fal  Can  Mir
Mirrored    Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Grt  Fal  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Mrd  Fal  Can  Mrd
Granted     Grt  Grt  Grt  Grt  Grt  Grt  Grt  Grt  Grt  Pub  Sub  Scn  Grt  Grt  Grt  Grt  Grt  Grt  Grt  Grt  Fal  Can  Grt
Submitting  Sub  Sub  Sub  Sub  Sub  Sub  Sub  Sub  Sub  Pub  Sub  Scn  Sub  Sub  Sub  Sub  Sub  Sub  Sub  Sub  Fal  Can  Sub
Scanning    Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Scn  Pub  Fal  Fal  Scn  Scn  Scn  Scn  Fal  Can  Scn
Published   Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Pub  Loc  Pub  Pub  Pub  Fal  Can  Pub
Located     Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Loc  Par  Loc  Loc  Fal  Can  Loc
ParamsDone  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Par  Ann  Par  Fal  Can  Par
Announced   Don  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Ann  Fal  Can  Ann
Done        Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don  Don
Ignored     Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign  Ign
Rejected    Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej  Rej
Failed      Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Fal  Grt
Cancelled   Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can  Can
";

fn abbrev(s: &str) -> State {
    match s {
        "Rcv" => State::Received,
        "Adm" => State::Admitted,
        "Mir" => State::Mirroring,
        "Mrd" => State::Mirrored,
        "Grt" => State::Granted,
        "Sub" => State::Submitting,
        "Scn" => State::Scanning,
        "Pub" => State::Published,
        "Loc" => State::Located,
        "Par" => State::ParametersWritten,
        "Ann" => State::Announced,
        "Don" => State::Done,
        "Ign" => State::Ignored,
        "Rej" => State::Rejected,
        "Fal" => State::Failed,
        "Can" => State::Cancelled,
        other => panic!("unknown cell {other}"),
    }
}

#[test]
fn every_state_event_pair_has_the_tabled_outcome() {
    let mut lines = TABLE.trim().lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let events = events();
    assert_eq!(header, events.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    let mut failures = Vec::new();
    let mut rows = 0;
    let catalog = State::ALL.into_iter().filter(|s| !s.is_second_party());
    for (row, state) in lines.zip(catalog) {
        rows += 1;
        let cells: Vec<&str> = row.split_whitespace().skip(1).collect();
        assert_eq!(cells.len(), events.len(), "row {row}");
        for ((name, event), cell) in events.iter().zip(cells) {
            let before = in_state(state);
            let (after, _) = decide(&before, event, T0);
            if after.state != abbrev(cell) {
                failures.push(format!(
                    "{state:?} + {name}: got {:?}, table says {cell}",
                    after.state
                ));
            }
        }
    }
    assert_eq!(rows, State::ALL.len() - 5);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Drives a release with the result the engine would feed back for each command.
fn answer(cmd: &Command) -> Event {
    match cmd {
        Command::InspectSource { .. } => Event::SourceInspected(facts("125523088429")),
        Command::EnsureMirror { .. } => Event::MirrorStarted {
            ami: "ami-0aaaaaaaaaaaaaaaa".into(),
        },
        Command::CheckMirror { ami } => Event::MirrorAvailable { ami: ami.clone() },
        Command::VerifyGrant => Event::GrantVerified,
        Command::SubmitVersion { .. } => Event::ChangeSetStarted {
            id: "cs1".into(),
            restricts: Vec::new(),
        },
        Command::CheckChangeSet { .. } => Event::ChangeSetSucceeded {
            controls: Vec::new(),
        },
        Command::LocateRegions { .. } => Event::RegionsFound {
            found: all_regions(),
        },
        Command::WriteParameters => Event::ParametersWritten {
            verified: "ok".into(),
        },
        Command::QueueAnnouncement => Event::AnnouncementQueued,
        Command::CancelChangeSet { .. } => Event::Tick,
        other => panic!("{other:?} is not a catalog command"),
    }
}

/// Runs until the release settles; returns the states visited.
fn run(
    mut r: Release,
    mut now: i64,
    mut answer: impl FnMut(&Command, &Release) -> Event,
) -> (Release, Vec<State>) {
    let mut visited = vec![r.state];
    for _ in 0..500 {
        if r.state.is_terminal() {
            break;
        }
        if let Some(t) = r.next_check_at {
            now = now.max(t);
        }
        let (next, cmds) = decide(&r, &Event::Tick, now);
        r = next;
        let mut pending = cmds;
        while let Some(cmd) = pending.pop() {
            let ev = answer(&cmd, &r);
            let (next, more) = decide(&r, &ev, now);
            r = next;
            pending.extend(more);
        }
        if visited.last() != Some(&r.state) {
            visited.push(r.state);
        }
    }
    (r, visited)
}

#[test]
fn the_happy_path_visits_every_step_in_order() {
    let (r, visited) = run(fresh(), T0, |c, _| answer(c));
    assert_eq!(r.state, State::Done);
    // The states where the release waits for time to pass; the others are crossed at once.
    assert_eq!(
        visited,
        vec![
            State::Received,
            State::Mirroring,
            State::Scanning,
            State::Announced,
            State::Done
        ]
    );
    assert_eq!(r.regions, all_regions());
    assert_eq!(r.mirror_ami.as_deref(), Some("ami-0aaaaaaaaaaaaaaaa"));
    // The walk passes through every pipeline state (some within one step).
    let mut r = fresh();
    let mut seen = vec![r.state];
    let mut queue = decide(&r, &Event::Tick, T0).1;
    while let Some(cmd) = queue.pop() {
        let (next, more) = decide(&r, &answer(&cmd), T0);
        r = next;
        seen.push(r.state);
        queue.extend(more);
        if queue.is_empty() && !r.state.is_terminal() {
            let (next, more) = decide(&r, &Event::Tick, r.next_check_at.unwrap_or(T0));
            r = next;
            seen.push(r.state);
            queue.extend(more);
        }
    }
    for s in [
        State::Admitted,
        State::Mirroring,
        State::Mirrored,
        State::Granted,
        State::Scanning,
        State::Published,
        State::Located,
        State::ParametersWritten,
        State::Announced,
        State::Done,
    ] {
        assert!(seen.contains(&s), "{s:?} not visited: {seen:?}");
    }
}

#[test]
fn an_existing_version_skips_the_scan() {
    let (r, visited) = run(fresh(), T0, |c, _| match c {
        Command::SubmitVersion { .. } => Event::VersionListed,
        other => answer(other),
    });
    assert_eq!(r.state, State::Done);
    assert!(!visited.contains(&State::Scanning));
    assert!(r.change_set.is_none());
}

#[test]
fn a_foreign_lock_makes_the_release_wait_then_continue() {
    let mut locks = 3;
    let (r, visited) = run(fresh(), T0, |c, _| match c {
        Command::SubmitVersion { .. } if locks > 0 => {
            locks -= 1;
            Event::ProductLocked {
                change_set: "someone-else".into(),
            }
        }
        other => answer(other),
    });
    assert_eq!(r.state, State::Done);
    assert!(visited.contains(&State::Submitting));
    assert!(r.blocked_by.is_none());
}

#[test]
fn retryable_failures_back_off_then_fail_with_a_remedy() {
    let mut r = in_state(State::Mirrored);
    let mut waits = Vec::new();
    for _ in 0..MAX_CALL_ATTEMPTS {
        let (next, cmds) = decide(
            &r,
            &Event::CallFailed {
                kind: FailureKind::Throttled,
                detail: "Rate exceeded".into(),
            },
            T0,
        );
        assert!(cmds.is_empty());
        r = next;
        if let Some(t) = r.next_check_at {
            waits.push(t - T0);
        }
    }
    assert_eq!(r.state, State::Failed);
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    let f = r.failure.unwrap();
    assert_eq!((f.step, f.kind), (State::Mirrored, FailureKind::Throttled));
    assert!(f.remedy.contains("amipub retry"));
}

#[test]
fn a_long_wait_for_the_product_lock_keeps_every_retry_of_the_next_call() {
    // Many polls of a busy product, then a run of server faults one short of the limit, an
    // answer, and another such run: the release keeps waiting and never fails.
    let mut r = in_state(State::Granted);
    for _ in 0..(MAX_CALL_ATTEMPTS * 3) {
        r = decide(
            &r,
            &Event::ProductLocked {
                change_set: "cs-other".into(),
            },
            T0,
        )
        .0;
    }
    assert!(r.attempts >= MAX_CALL_ATTEMPTS);
    let fault = Event::CallFailed {
        kind: FailureKind::ServerFault,
        detail: "InternalServiceException".into(),
    };
    for _ in 0..2 {
        for _ in 0..(MAX_CALL_ATTEMPTS - 1) {
            r = decide(&r, &fault, T0).0;
        }
        assert_eq!(r.state, State::Submitting, "{:?}", r.failure);
        r = decide(
            &r,
            &Event::ProductLocked {
                change_set: "cs-other".into(),
            },
            T0,
        )
        .0;
    }
    assert_eq!(r.failures, 0);
    for _ in 0..MAX_CALL_ATTEMPTS {
        r = decide(&r, &fault, T0).0;
    }
    assert_eq!(r.state, State::Failed);
}

#[test]
fn a_failed_scan_is_explained_and_retry_completes_it() {
    let mut scans = 0;
    let (failed, _) = run(fresh(), T0, |c, _| match c {
        Command::CheckChangeSet { .. } => {
            scans += 1;
            Event::ChangeSetFailed {
                errors: vec![(
                    "SCAN_ERROR".into(),
                    "https://reports.example/r1.json".into(),
                )],
                controls: Vec::new(),
            }
        }
        other => answer(other),
    });
    assert_eq!(failed.state, State::Failed);
    let f = failed.failure.clone().unwrap();
    assert_eq!((f.step, f.kind), (State::Scanning, FailureKind::ScanFailed));
    assert!(
        f.detail.contains("security scan") && f.detail.contains("https://reports.example/r1.json")
    );
    let (retried, cmds) = decide(
        &failed,
        &Event::RetryRequested { by: "ops".into() },
        T0 + 10,
    );
    assert_eq!(retried.state, State::Granted);
    assert_eq!(retried.generation, 1);
    let Command::SubmitVersion {
        client_request_token,
        ..
    } = &cmds[0]
    else {
        panic!("{cmds:?}")
    };
    let (_, first) = decide(&in_state(State::Granted), &Event::Tick, T0);
    let Command::SubmitVersion {
        client_request_token: old,
        ..
    } = &first[0]
    else {
        panic!()
    };
    assert_ne!(
        client_request_token, old,
        "a retry must not reuse the failed change set's token"
    );
    let (done, _) = run(retried, T0 + 10, |c, _| answer(c));
    assert_eq!(done.state, State::Done);
}

#[test]
fn untrusted_or_unfit_sources_are_rejected_before_anything_is_created() {
    let (r, cmds) = decide(&fresh(), &Event::SourceInspected(facts("999999999999")), T0);
    assert_eq!(r.state, State::Rejected);
    assert!(cmds.is_empty());
    assert!(r.rejection.unwrap().contains("not a trusted build account"));
    let mut bad = facts("125523088429");
    bad.encrypted = true;
    bad.architecture = "arm64".into();
    let (r, cmds) = decide(&fresh(), &Event::SourceInspected(bad), T0);
    assert_eq!(r.state, State::Rejected);
    assert!(cmds.is_empty());
    let why = r.rejection.unwrap();
    assert!(why.contains("encrypted") && why.contains("arm64"), "{why}");
}

#[test]
fn lagging_regions_are_awaited_until_the_deadline_then_reported_as_found() {
    let mut r = in_state(State::Published);
    r.entered_at = T0;
    let one: BTreeMap<Region, String> =
        [("us-east-1".into(), "ami-00000000000000001".to_owned())].into();
    let (r1, cmds) = decide(&r, &Event::RegionsFound { found: one.clone() }, T0 + 60);
    assert_eq!(r1.state, State::Published);
    assert!(cmds.is_empty() && r1.next_check_at.is_some());
    let (r2, cmds) = decide(&r1, &Event::Tick, r1.next_check_at.unwrap());
    assert_eq!(
        cmds,
        vec![Command::LocateRegions {
            regions: vec!["eu-west-1".into(), "us-gov-west-1".into()]
        }]
    );
    let (r3, _) = decide(
        &r2,
        &Event::RegionsFound {
            found: BTreeMap::new(),
        },
        T0 + LOCATE_DEADLINE_SECS,
    );
    assert_eq!(r3.state, State::Located);
    assert_eq!(r3.regions.len(), 1);
}

#[test]
fn cancelling_a_scanning_release_cancels_its_change_set() {
    let (r, cmds) = decide(
        &in_state(State::Scanning),
        &Event::CancelRequested { by: "ops".into() },
        T0,
    );
    assert_eq!(r.state, State::Cancelled);
    assert_eq!(cmds, vec![Command::CancelChangeSet { id: "cs1".into() }]);
}

#[test]
fn a_tick_before_the_release_is_due_does_nothing() {
    let mut r = in_state(State::Scanning);
    r.next_check_at = Some(T0 + 100);
    let (after, cmds) = decide(&r, &Event::Tick, T0 + 99);
    assert_eq!(after, r);
    assert!(cmds.is_empty());
}

fn arb_event() -> impl Strategy<Value = Event> {
    let evs = events();
    (0..evs.len(), any::<bool>()).prop_map(move |(i, partial)| match (&evs[i].1, partial) {
        (Event::RegionsFound { .. }, true) => Event::RegionsFound {
            found: [("eu-west-1".into(), "ami-00000000000000002".to_owned())].into(),
        },
        (e, _) => e.clone(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_invariants(seq in proptest::collection::vec((arb_event(), 0i64..100_000), 1..120)) {
        let mut r = fresh();
        let mut now = T0;
        for (event, dt) in seq {
            now += dt;
            let before = r.clone();
            let (next, cmds) = decide(&r, &event, now);
            // Settled releases never move (an operator's retry aside).
            if matches!(before.state, State::Done | State::Ignored | State::Rejected | State::Cancelled) {
                prop_assert_eq!(&next, &before);
            }
            // Done only follows Announced.
            if next.state == State::Done && before.state != State::Done {
                prop_assert_eq!(before.state, State::Announced);
            }
            prop_assert_eq!(next.state == State::Failed, next.failure.is_some());
            prop_assert!(next.state != State::Rejected || next.rejection.is_some());
            if matches!(next.state, State::Mirrored | State::Granted | State::Submitting | State::Scanning) {
                prop_assert!(next.mirror_ami.is_some());
            }
            if next.state == State::Scanning {
                prop_assert!(next.change_set.is_some());
            }
            prop_assert!(next.regions.keys().all(|k| next.expected_regions.contains(k)));
            prop_assert!(next.attempts <= MAX_CALL_ATTEMPTS + 1000);
            prop_assert!(next.failures < MAX_CALL_ATTEMPTS);
            for c in &cmds {
                if let Command::EnsureMirror { client_token, .. } | Command::SubmitVersion { client_request_token: client_token, .. } = c {
                    prop_assert!(client_token.len() <= 64);
                }
            }
            r = next;
        }
    }
}

/// `docs/development/pipeline.md` as the state machine makes it: the states, and for each the
/// events that change something, with the state they lead to and the commands run next.
fn pipeline_page() -> String {
    let mut out = String::from(
        "# The release pipeline\n\n\
         Generated from the release state machine (`amipub_domain::release::decide`) by\n\
         `crates/domain/tests/release_machine.rs`, which fails when this page and the machine\n\
         differ; `AMIPUB_BLESS=1 cargo test -p amipub-domain --test release_machine` rewrites it.\n\
         Each event is a representative of its kind (a trusted or untrusted source, a retryable or\n\
         final call failure).\n\n## States\n\n| state | finished | on a tick, runs |\n|---|---|---|\n",
    );
    for state in State::ALL.into_iter().filter(|s| !s.is_second_party()) {
        let (_, cmds) = decide(&in_state(state), &Event::Tick, T0);
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            state.name(),
            if state.is_terminal() { "yes" } else { "" },
            names(&cmds)
        ));
    }
    out.push_str("\n## Transitions\n\n| state | event | next state | runs |\n|---|---|---|---|\n");
    transitions(
        &mut out,
        &mut State::ALL.into_iter().filter(|s| !s.is_second_party()),
        in_state,
        events(),
    );
    out.push_str(second_party::PAGE_HEADER);
    transitions(
        &mut out,
        &mut second_party::STATES.into_iter(),
        second_party::in_state,
        second_party::events(),
    );
    out
}

/// One row per (state, event) pair that changes something.
fn transitions(
    out: &mut String,
    states: &mut dyn Iterator<Item = State>,
    in_state: fn(State) -> Release,
    events: Vec<(&'static str, Event)>,
) {
    for state in states {
        for (label, event) in events.clone() {
            let before = in_state(state);
            let (after, cmds) = decide(&before, &event, T0);
            if after.state == state && cmds.is_empty() {
                continue;
            }
            let event = match label {
                "srcU" => "source_inspected (untrusted owner)".to_owned(),
                "cfR" => "call_failed (retryable)".to_owned(),
                "cfF" => "call_failed (final)".to_owned(),
                _ => event.name().to_owned(),
            };
            out.push_str(&format!(
                "| `{}` | {event} | `{}` | {} |\n",
                state.name(),
                after.state.name(),
                names(&cmds)
            ));
        }
    }
}

fn names(cmds: &[Command]) -> String {
    cmds.iter()
        .map(|c| format!("`{}`", c.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_pipeline_page_is_the_state_machine() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/development/pipeline.md");
    let page = pipeline_page();
    if std::env::var_os("AMIPUB_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == page,
        "docs/development/pipeline.md differs from the state machine; run \
         AMIPUB_BLESS=1 cargo test -p amipub-domain --test release_machine and review the diff"
    );
}

#[test]
fn a_failed_change_set_keeps_its_failed_controls_on_the_release() {
    let mut r = Release::new(
        "r-0123456789ab",
        "fedora",
        "41.1",
        "us-east-1",
        "ami-0123456789abcdef0",
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into()],
        0,
    );
    r.state = State::Scanning;
    r.change_set = Some("cs1".into());
    let controls = vec![
        ControlFinding::read("MALWARE", "PASS", &[]),
        ControlFinding::read(
            "SUDO_USER",
            "FAIL",
            &[ControlError::new("NO_SUDO_USER", "Add a sudo user.", &[])],
        ),
    ];
    let event = Event::ChangeSetFailed {
        errors: vec![("SCAN_ERROR".into(), "https://report".into())],
        controls,
    };
    let (after, cmds) = decide(&r, &event, 100);
    let f = after.failure.unwrap();
    assert!(cmds.is_empty());
    assert_eq!(
        (after.state, f.step, f.kind),
        (State::Failed, State::Scanning, FailureKind::ScanFailed)
    );
    assert_eq!(f.controls.len(), 1);
    assert_eq!(f.controls[0].control, "SUDO_USER");
    assert!(
        f.remedy.contains("SUDO_USER: Add a sudo user."),
        "{}",
        f.remedy
    );
}
