//! The console's access rules through its router: who may read, who may act, CSRF tokens,
//! forged proxy identities, sign-in and body limits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod rig;

use amipub_console::ops::Action;
use amipub_domain::release::State;
use axum::http::StatusCode;
use rig::*;

#[tokio::test]
async fn reads_are_open_on_loopback_only() {
    let rig = rig(&[]).await;
    rig.save(&release("r-1", "42.1", State::Scanning), &[])
        .await;
    let local = rig.call("GET", "/", "127.0.0.1", &[], "").await;
    assert_eq!(local.status, StatusCode::OK);
    assert!(local.body.contains("r-1"), "{}", local.body);
    let remote = rig.call("GET", "/", "203.0.113.5", &[], "").await;
    assert_eq!(remote.status, StatusCode::UNAUTHORIZED);
    assert!(!remote.body.contains("r-1"));
    assert!(remote.headers.contains_key("www-authenticate"));
    let api = rig
        .call("GET", "/api/v1/releases", "203.0.113.5", &[], "")
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert!(api.body.starts_with("{\"error\""), "{}", api.body);
    let with_token = rig
        .call(
            "GET",
            "/api/v1/releases",
            "203.0.113.5",
            &[("authorization", &bearer(VIEW))],
            "",
        )
        .await;
    assert_eq!(with_token.status, StatusCode::OK);
}

#[tokio::test]
async fn without_credentials_every_action_is_refused_and_nothing_changes() {
    let rig = rig(&[]).await;
    let before = release("r-1", "42.1", State::Failed);
    rig.save(&before, &[]).await;
    for (path, body) in [
        ("/releases/r-1/retry", "csrf=x"),
        ("/releases/r-1/cancel", ""),
        ("/jobs/j-000000000001/cancel", ""),
        (
            "/products/fedora-cloud/promote",
            "version=42.1&alias=latest",
        ),
        ("/products/fedora-cloud/approve", "reference=t"),
    ] {
        for from in ["127.0.0.1", "203.0.113.5"] {
            let a = rig.call("POST", path, from, &[], body).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path} from {from}");
        }
    }
    assert!(rig.asked().is_empty());
    assert_eq!(rig.store.get("r-1").await.unwrap().unwrap(), before);
}

#[tokio::test]
async fn a_viewer_cannot_act() {
    let rig = rig(&[]).await;
    rig.save(&release("r-1", "42.1", State::Failed), &[]).await;
    let body = format!("csrf={}", rig.csrf(VIEW));
    let a = rig
        .call(
            "POST",
            "/releases/r-1/retry",
            "127.0.0.1",
            &[("authorization", &bearer(VIEW))],
            &body,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(rig.asked().is_empty());
    // Nor does the page offer the buttons.
    let page = rig
        .call(
            "GET",
            "/releases/r-1",
            "127.0.0.1",
            &[("authorization", &bearer(VIEW))],
            "",
        )
        .await;
    assert!(!page.body.contains("id=\"retry\""), "{}", page.body);
}

#[tokio::test]
async fn a_forged_proxy_identity_from_an_untrusted_address_is_ignored() {
    let rig = rig(&["192.0.2.10"]).await;
    rig.save(&release("r-1", "42.1", State::Scanning), &[])
        .await;
    let forged = [
        ("x-forwarded-user", "mallory"),
        ("x-forwarded-groups", "cloud-sig"),
    ];
    let read = rig.call("GET", "/", "198.51.100.7", &forged, "").await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
    let act = rig
        .call(
            "POST",
            "/releases/r-1/cancel",
            "198.51.100.7",
            &forged,
            "csrf=x",
        )
        .await;
    assert_eq!(act.status, StatusCode::UNAUTHORIZED);
    // On loopback the same headers give only the anonymous reader.
    let local = rig.call("GET", "/", "127.0.0.1", &forged, "").await;
    assert_eq!(local.status, StatusCode::OK);
    assert!(!local.body.contains("mallory"));
    assert!(rig.asked().is_empty());
    // From the trusted proxy the same person is an operator.
    let proxied = rig.call("GET", "/", "192.0.2.10", &forged, "").await;
    assert!(proxied.body.contains("mallory"), "{}", proxied.body);
}

#[tokio::test]
async fn an_action_needs_the_callers_own_csrf_token() {
    let rig = rig(&[]).await;
    rig.save(&release("r-1", "42.1", State::Scanning), &[])
        .await;
    let op = [("authorization", bearer(OP))];
    let op: Vec<(&str, &str)> = op.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let none = rig
        .call("POST", "/releases/r-1/cancel", "127.0.0.1", &op, "")
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let bobs = format!("csrf={}", rig.csrf(VIEW));
    let wrong = rig
        .call("POST", "/releases/r-1/cancel", "127.0.0.1", &op, &bobs)
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(rig.asked().is_empty());
    // The page carries alice's token in its forms.
    let page = rig.call("GET", "/releases/r-1", "127.0.0.1", &op, "").await;
    let mine = rig.csrf(OP);
    assert!(page.body.contains(&mine), "{}", page.body);
    let ok = rig
        .call(
            "POST",
            "/releases/r-1/cancel",
            "127.0.0.1",
            &op,
            &format!("csrf={mine}"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers["location"], "/releases/r-1?did=cancel");
    assert_eq!(
        rig.asked(),
        vec![(Action::Cancel { id: "r-1".into() }, "alice".into())]
    );
    let promote = format!("csrf={mine}&version=42.1&alias=latest");
    let p = rig
        .call(
            "POST",
            "/products/fedora-cloud/promote",
            "127.0.0.1",
            &op,
            &promote,
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        rig.asked()[1],
        (
            Action::Promote {
                product: "fedora-cloud".into(),
                version: "42.1".into(),
                alias: "latest".into()
            },
            "alice".into()
        )
    );
}

#[tokio::test]
async fn signing_in_trades_a_token_for_a_session() {
    let rig = rig(&[]).await;
    let wrong = rig
        .call("POST", "/sign-in", "203.0.113.5", &[], "token=nope")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.headers.contains_key("set-cookie"));
    let ok = rig
        .call(
            "POST",
            "/sign-in",
            "203.0.113.5",
            &[],
            &format!("token={OP}"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains(OP), "the cookie is not the token");
    let value = cookie.split(';').next().unwrap().to_owned();
    let page = rig
        .call("GET", "/", "203.0.113.5", &[("cookie", &value)], "")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alice"), "{}", page.body);
}

#[tokio::test]
async fn a_large_body_is_refused() {
    let rig = rig(&[]).await;
    let big = format!("token={}", "x".repeat(64 * 1024));
    let a = rig.call("POST", "/sign-in", "127.0.0.1", &[], &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
}
