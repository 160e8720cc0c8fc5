//! The console's router against a real store with a fake engine: who may read, who may act,
//! CSRF, escaping of values from outside, security headers, the API's pages and its OpenAPI
//! document.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use amipub_console::access::Access;
use amipub_console::keys::Keys;
use amipub_console::ops::{Action, Operations, Pending};
use amipub_console::{App, ProductInfo, router};
use amipub_domain::console::ConsoleSettings;
use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Store, TimelineEntry};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt;

const OP: &str = "op-token-0123456789abcdef";
const VIEW: &str = "view-token-0123456789abcdef";
const NOW: i64 = 1_764_860_000;
const EVIL: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// Records what it was asked; changes nothing.
#[derive(Default)]
struct FakeOps {
    asked: Mutex<Vec<(Action, String)>>,
}

impl Operations for FakeOps {
    fn products(&self) -> Vec<ProductInfo> {
        vec![ProductInfo {
            slug: "fedora-cloud".into(),
            title: format!("Fedora Cloud {EVIL}"),
            product_id: Some("prod-abc".into()),
            path: "catalog".into(),
            approval: Some("https://pagure.io/t/1".into()),
            approval_current: true,
            aliases: vec!["latest".into()],
        }]
    }

    fn now(&self) -> Pending<'_, i64> {
        Box::pin(async { NOW })
    }

    fn act<'a>(&'a self, action: Action, by: &'a str) -> Pending<'a, Result<String, String>> {
        self.asked.lock().unwrap().push((action, by.to_owned()));
        Box::pin(async { Ok("done".to_owned()) })
    }
}

struct Rig {
    router: Router,
    ops: Arc<FakeOps>,
    keys: Keys,
    access: Access,
    store: amipub_store::SqlStore,
    _dir: tempfile::TempDir,
}

fn release(id: &str, version: &str, state: State) -> Release {
    let mut r = Release::new(
        id,
        "fedora-cloud",
        version,
        "us-east-1",
        "ami-0source",
        vec!["125523088429".into()],
        "x86_64",
        vec!["us-east-1".into(), "eu-west-1".into()],
        NOW - 600,
    );
    r.state = state;
    r
}

async fn rig(proxies: &[&str]) -> Rig {
    let (dir, store) = amipub_testkit::store::temp().await;
    let settings = ConsoleSettings {
        trusted_proxies: proxies.iter().map(|p| (*p).to_owned()).collect(),
        operator_groups: vec!["cloud-sig".into()],
        ..ConsoleSettings::default()
    };
    let tokens = format!("alice operator {OP}\nbob viewer {VIEW}\n");
    let access = Access::new(&settings, Some(&tokens), None).unwrap();
    let keys = Keys::random().unwrap();
    let ops = Arc::new(FakeOps::default());
    let app = Arc::new(App {
        store: store.clone(),
        ops: ops.clone(),
        access: access.clone(),
        keys: keys.clone(),
        token_env: "AMIPUB_CONSOLE_TOKEN".into(),
    });
    Rig {
        router: router(app),
        ops,
        keys,
        access,
        store,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Rig {
    async fn call(
        &self,
        method: &str,
        path: &str,
        from: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if method == "POST" {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        let mut req = req.body(Body::from(body.to_owned())).unwrap();
        let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    fn csrf(&self, token: &str) -> String {
        self.keys.csrf(&self.access.by_token(token).unwrap())
    }

    fn asked(&self) -> Vec<(Action, String)> {
        self.ops.asked.lock().unwrap().clone()
    }

    async fn save(&self, r: &Release, entries: &[TimelineEntry]) {
        self.store.save(r, entries, None).await.unwrap();
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

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
async fn values_from_outside_render_inert_behind_a_strict_policy() {
    let rig = rig(&[]).await;
    let mut r = release("r-1", EVIL, State::Failed);
    r.failure = Some(amipub_domain::release::Failure {
        step: State::Scanning,
        kind: amipub_domain::release::FailureKind::ScanFailed,
        detail: EVIL.into(),
        remedy: "fix it".into(),
        controls: vec![],
    });
    rig.save(&r, &[]).await;
    for path in ["/", "/releases/r-1", "/products"] {
        let a = rig.call("GET", path, "127.0.0.1", &[], "").await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(!a.body.contains("<script>alert"), "{path}: {}", a.body);
        assert!(!a.body.contains("<img src=x"), "{path}");
        // Shown as text: escaped, whichever entity form the template engine picks.
        let shown = ["&lt;script&gt;alert(1)", "&#60;script&#62;alert(1)"];
        assert!(
            shown.iter().any(|s| a.body.contains(s)),
            "{path}: {}",
            a.body
        );
        let csp = a.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(a.headers["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn a_release_page_shows_its_timeline_and_regions() {
    let rig = rig(&[]).await;
    let mut r = release("r-1", "42.1", State::Published);
    r.regions.insert("us-east-1".into(), "ami-0mp".into());
    r.change_set = Some("cs-123".into());
    let t = |at: i64, to: &str| TimelineEntry {
        at,
        event: "moved".into(),
        from: "-".into(),
        to: to.into(),
        detail: format!("into {to}"),
    };
    rig.save(&r, &[t(NOW - 600, "received"), t(NOW - 300, "published")])
        .await;
    let a = rig.call("GET", "/releases/r-1", "127.0.0.1", &[], "").await;
    assert!(a.body.contains("id=\"timeline\""), "{}", a.body);
    assert!(
        a.body.contains("into published") && a.body.contains("5 min"),
        "{}",
        a.body
    );
    assert!(
        a.body.contains("ImageDetails:imageId=ami-0mp"),
        "{}",
        a.body
    );
    assert!(a.body.contains("marketplace/management/requests/cs-123"));
    assert!(a.body.contains("1 of 2 Regions"));
    assert!(
        a.body.contains("http-equiv=\"refresh\""),
        "a running release refreshes"
    );
    let missing = rig
        .call("GET", "/releases/r-404", "127.0.0.1", &[], "")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_pages_filters_and_describes_itself() {
    let rig = rig(&[]).await;
    for i in 0..7 {
        let state = if i % 2 == 0 {
            State::Done
        } else {
            State::Failed
        };
        rig.save(&release(&format!("r-{i}"), &format!("42.{i}"), state), &[])
            .await;
    }
    let rig = &rig;
    let get = |p: String| async move { rig.call("GET", &p, "127.0.0.1", &[], "").await };
    let first: serde_json::Value =
        serde_json::from_str(&get("/api/v1/releases?limit=3".into()).await.body).unwrap();
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), ["r-6", "r-5", "r-4"]);
    let next = first["next"].as_i64().unwrap();
    let second: serde_json::Value = serde_json::from_str(
        &get(format!("/api/v1/releases?limit=3&before={next}"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(ids(&second), ["r-3", "r-2", "r-1"]);
    let failed: serde_json::Value =
        serde_json::from_str(&get("/api/v1/releases?state=failed".into()).await.body).unwrap();
    assert_eq!(ids(&failed), ["r-5", "r-3", "r-1"]);
    assert!(failed["next"].is_null());
    let bad = get("/api/v1/releases?limit=0".into()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("limit"), "{}", bad.body);
    let unknown = get("/api/v1/releases?state=flying".into()).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let one: serde_json::Value =
        serde_json::from_str(&get("/api/v1/releases/r-2".into()).await.body).unwrap();
    assert_eq!(one["release"]["version"], "42.2");
    assert_eq!(
        get("/api/v1/releases/nope".into()).await.status,
        StatusCode::NOT_FOUND
    );
    let doc: serde_json::Value =
        serde_json::from_str(&get("/api/v1/openapi.json".into()).await.body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/api/v1/releases",
        "/api/v1/releases/{id}",
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/products",
    ] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} missing");
    }
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

#[tokio::test]
async fn a_job_id_on_a_release_path_is_not_found() {
    let rig = rig(&[]).await;
    let op = bearer(OP);
    let body = format!("csrf={}", rig.csrf(OP));
    let h = [("authorization", op.as_str())];
    let a = rig
        .call(
            "POST",
            "/releases/j-000000000001/cancel",
            "127.0.0.1",
            &h,
            &body,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let b = rig
        .call("POST", "/jobs/r-1/cancel", "127.0.0.1", &h, &body)
        .await;
    assert_eq!(b.status, StatusCode::NOT_FOUND);
    assert!(rig.asked().is_empty());
}

#[tokio::test]
async fn the_chart_shows_hostile_versions_as_text() {
    let rig = rig(&[]).await;
    let t = |at: i64, to: &str| TimelineEntry {
        at,
        event: "moved".into(),
        from: "-".into(),
        to: to.into(),
        detail: String::new(),
    };
    let r = release("r-1", EVIL, State::Done);
    rig.save(&r, &[t(NOW - 600, "scanning"), t(NOW - 60, "done")])
        .await;
    let a = rig.call("GET", "/", "127.0.0.1", &[], "").await;
    assert!(a.body.contains("<svg"), "{}", a.body);
    assert!(!a.body.contains("<script>alert") && !a.body.contains("<img src=x"));
    assert!(a.body.contains("&lt;script&gt;alert(1)"), "{}", a.body);
}

#[tokio::test]
async fn a_last_page_that_is_exactly_full_has_no_next() {
    let rig = rig(&[]).await;
    for i in 0..4 {
        rig.save(
            &release(&format!("r-{i}"), &format!("1.{i}"), State::Done),
            &[],
        )
        .await;
    }
    let page = rig
        .call("GET", "/api/v1/releases?limit=4", "127.0.0.1", &[], "")
        .await;
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(v["releases"].as_array().unwrap().len(), 4);
    assert!(v["next"].is_null(), "{v}");
    let jobs = rig.call("GET", "/api/v1/jobs", "127.0.0.1", &[], "").await;
    assert_eq!(jobs.status, StatusCode::OK);
    let unknown = rig
        .call("GET", "/api/v1/nothing", "127.0.0.1", &[], "")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.starts_with("{\"error\""), "{}", unknown.body);
}
