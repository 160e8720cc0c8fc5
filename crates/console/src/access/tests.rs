//! The access rules: tokens, sessions, trusted proxies and the loopback reader.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use super::*;

const OP: &str = "op-token-0123456789abcdef";
const VIEW: &str = "view-token-0123456789abcdef";

fn settings(proxies: &[&str]) -> ConsoleSettings {
    ConsoleSettings {
        trusted_proxies: proxies.iter().map(|p| (*p).to_owned()).collect(),
        operator_groups: vec!["cloud-sig".into()],
        viewer_groups: vec!["fedora-contributors".into()],
        ..ConsoleSettings::default()
    }
}

fn access(proxies: &[&str]) -> Access {
    let file = format!("# who role token\nalice operator {OP}\nbob viewer {VIEW}  # read only\n");
    Access::new(&settings(proxies), Some(&file), None).unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    h
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_bearer_token_names_its_holder_and_role() {
    let keys = Keys::random().unwrap();
    let a = access(&[]);
    let h = headers(&[("authorization", &format!("Bearer {OP}"))]);
    let c = a.caller(&keys, ip("10.0.0.9"), &h, 0).unwrap().unwrap();
    assert_eq!(
        (c.name.as_str(), c.role, c.proof),
        ("alice", Role::Operator, Proof::Token)
    );
    let h = headers(&[("authorization", &format!("bearer {VIEW}"))]);
    let c = a.caller(&keys, ip("10.0.0.9"), &h, 0).unwrap().unwrap();
    assert_eq!((c.name.as_str(), c.role), ("bob", Role::Viewer));
}

#[test]
fn an_unknown_token_is_refused_even_on_loopback() {
    let keys = Keys::random().unwrap();
    let h = headers(&[("authorization", "Bearer not-a-known-token-at-all")]);
    let got = access(&[]).caller(&keys, ip("127.0.0.1"), &h, 0);
    assert!(matches!(got, Err(Refusal::Unauthenticated(_))), "{got:?}");
}

#[test]
fn identity_headers_from_an_untrusted_address_are_ignored() {
    let keys = Keys::random().unwrap();
    let forged = headers(&[
        ("x-forwarded-user", "mallory"),
        ("x-forwarded-groups", "cloud-sig"),
    ]);
    let a = access(&["192.0.2.10"]);
    // From elsewhere: nobody.
    assert_eq!(
        a.caller(&keys, ip("198.51.100.7"), &forged, 0).unwrap(),
        None
    );
    // From loopback: only the anonymous reader, never mallory the operator.
    let c = a
        .caller(&keys, ip("127.0.0.1"), &forged, 0)
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.name.as_str(), c.role, c.proof),
        ("anonymous", Role::Viewer, Proof::Loopback)
    );
    assert!(!c.may_act());
}

#[test]
fn a_trusted_proxy_maps_groups_to_roles() {
    let keys = Keys::random().unwrap();
    let a = access(&["192.0.2.10"]);
    let from_proxy = |pairs: &[(&str, &str)]| a.caller(&keys, ip("192.0.2.10"), &headers(pairs), 0);
    let op = from_proxy(&[
        ("x-forwarded-user", "carol"),
        ("x-forwarded-groups", "packager, cloud-sig"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(
        (op.name.as_str(), op.role, op.proof),
        ("carol", Role::Operator, Proof::Proxy)
    );
    let viewer = from_proxy(&[
        ("x-forwarded-email", "dan@example.org"),
        ("x-forwarded-groups", "fedora-contributors"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(
        (viewer.name.as_str(), viewer.role),
        ("dan@example.org", Role::Viewer)
    );
    let outsider = from_proxy(&[("x-forwarded-user", "eve"), ("x-forwarded-groups", "other")]);
    assert!(
        matches!(outsider, Err(Refusal::Forbidden(_))),
        "{outsider:?}"
    );
    // The proxy itself without a user is nobody, even when it runs on loopback.
    let a = access(&["127.0.0.1"]);
    assert_eq!(
        a.caller(&keys, ip("127.0.0.1"), &HeaderMap::new(), 0)
            .unwrap(),
        None
    );
    // An IPv4 proxy seen through an IPv6 socket is the same proxy.
    let c = a
        .caller(
            &keys,
            ip("::ffff:127.0.0.1"),
            &headers(&[
                ("x-forwarded-user", "carol"),
                ("x-forwarded-groups", "cloud-sig"),
            ]),
            0,
        )
        .unwrap()
        .unwrap();
    assert_eq!(c.proof, Proof::Proxy);
}

#[test]
fn open_reads_nobody_closes_loopback() {
    let keys = Keys::random().unwrap();
    let mut s = settings(&[]);
    s.open_reads = OpenReads::Nobody;
    let a = Access::new(&s, None, Some(OP.to_owned())).unwrap();
    assert_eq!(
        a.caller(&keys, ip("127.0.0.1"), &HeaderMap::new(), 0)
            .unwrap(),
        None
    );
    let h = headers(&[("authorization", &format!("Bearer {OP}"))]);
    let c = a.caller(&keys, ip("127.0.0.1"), &h, 0).unwrap().unwrap();
    assert_eq!((c.name.as_str(), c.role), ("token", Role::Operator));
}

#[test]
fn a_session_cookie_holds_until_it_runs_out_and_cannot_be_forged() {
    let keys = Keys::random().unwrap();
    let a = access(&[]);
    let alice = a.by_token(OP).unwrap();
    let value = keys.session_value(&alice, 1000);
    let cookie = |v: &str| headers(&[("cookie", &format!("theme=dark; {SESSION_COOKIE}={v}"))]);
    let c = a
        .caller(&keys, ip("10.0.0.1"), &cookie(&value), 999)
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.name.as_str(), c.role, c.proof),
        ("alice", Role::Operator, Proof::Session)
    );
    assert_eq!(
        a.caller(&keys, ip("10.0.0.1"), &cookie(&value), 1001)
            .unwrap(),
        None
    );
    // Another key (a restart) or an edited role: not a session.
    let other = Keys::random().unwrap();
    assert_eq!(
        a.caller(&other, ip("10.0.0.1"), &cookie(&value), 999)
            .unwrap(),
        None
    );
    let forged = value.replacen("operator", "viewer", 1);
    assert_eq!(
        a.caller(&keys, ip("10.0.0.1"), &cookie(&forged), 999)
            .unwrap(),
        None
    );
}

#[test]
fn a_bad_tokens_file_names_the_line() {
    let s = settings(&[]);
    let short = Access::new(&s, Some("alice operator short"), None)
        .err()
        .unwrap();
    assert!(
        short.starts_with("line 1:") && short.contains("at least 16"),
        "{short}"
    );
    let role = Access::new(&s, Some("\nalice admin 0123456789abcdef0"), None)
        .err()
        .unwrap();
    assert!(
        role.starts_with("line 2:") && role.contains("admin"),
        "{role}"
    );
    let fields = Access::new(&s, Some("alice 0123456789abcdef0"), None)
        .err()
        .unwrap();
    assert!(fields.contains("three fields"), "{fields}");
}

#[test]
fn csrf_tokens_are_per_caller() {
    let keys = Keys::random().unwrap();
    let a = access(&[]);
    let (alice, bob) = (a.by_token(OP).unwrap(), a.by_token(VIEW).unwrap());
    let t = keys.csrf(&alice);
    assert!(keys.csrf_ok(&alice, &t));
    assert!(!keys.csrf_ok(&bob, &t));
    assert!(!keys.csrf_ok(&alice, ""));
}

#[test]
fn a_proxy_that_adds_instead_of_replacing_is_refused() {
    let keys = Keys::random().unwrap();
    let a = access(&["192.0.2.10"]);
    let twice = headers(&[
        ("x-forwarded-user", "mallory"),
        ("x-forwarded-user", "carol"),
        ("x-forwarded-groups", "cloud-sig"),
    ]);
    let got = a.caller(&keys, ip("192.0.2.10"), &twice, 0);
    assert!(matches!(got, Err(Refusal::Unauthenticated(_))), "{got:?}");
}

#[test]
fn a_request_relayed_by_an_unlisted_local_proxy_is_not_a_loopback_reader() {
    let keys = Keys::random().unwrap();
    let a = access(&[]);
    for h in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        assert_eq!(
            a.caller(&keys, ip("127.0.0.1"), &headers(&[h]), 0).unwrap(),
            None
        );
    }
}

#[test]
fn a_short_token_in_the_environment_is_refused() {
    let got = Access::new(&settings(&[]), None, Some("short".into()))
        .err()
        .unwrap();
    assert!(
        got.contains("AMIPUB_CONSOLE_TOKEN") && got.contains("at least 16"),
        "{got}"
    );
}

#[test]
fn a_csrf_token_belongs_to_a_role_and_a_proof_too() {
    let keys = Keys::random().unwrap();
    let viewer = Caller {
        name: "bob".into(),
        role: Role::Viewer,
        proof: Proof::Session,
    };
    let operator = Caller {
        name: "bob".into(),
        role: Role::Operator,
        proof: Proof::Proxy,
    };
    assert!(!keys.csrf_ok(&operator, &keys.csrf(&viewer)));
}

#[test]
fn workers_sharing_a_key_file_accept_each_others_sessions() {
    let secret = "a-shared-secret-of-more-than-32-characters";
    let (a, b) = (
        Keys::from_secret(secret).unwrap(),
        Keys::from_secret(secret).unwrap(),
    );
    let alice = access(&[]).by_token(OP).unwrap();
    let value = a.session_value(&alice, 100);
    assert_eq!(b.session(&value, 50).unwrap().name, "alice");
    assert!(b.csrf_ok(&alice, &a.csrf(&alice)));
    assert!(Keys::from_secret("short").is_err());
}
