//! The console's router on a real store (SQLite in a temporary directory) with a fake engine
//! that records what it is asked: what the console's integration tests share.
#![allow(dead_code)] // Each test file uses part of it.

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

pub const OP: &str = "op-token-0123456789abcdef";
pub const VIEW: &str = "view-token-0123456789abcdef";
pub const NOW: i64 = 1_764_860_000;
pub const EVIL: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// Records what it was asked; changes nothing.
#[derive(Default)]
pub struct FakeOps {
    pub asked: Mutex<Vec<(Action, String)>>,
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

    fn parameters(&self, r: &Release) -> Vec<String> {
        vec![
            format!("/fedora/{}", r.version),
            "/fedora/latest".to_owned(),
        ]
    }

    fn now(&self) -> Pending<'_, i64> {
        Box::pin(async { NOW })
    }

    fn act<'a>(&'a self, action: Action, by: &'a str) -> Pending<'a, Result<String, String>> {
        self.asked.lock().unwrap().push((action, by.to_owned()));
        Box::pin(async { Ok("done".to_owned()) })
    }
}

pub struct Rig {
    pub router: Router,
    pub ops: Arc<FakeOps>,
    pub keys: Keys,
    pub access: Access,
    pub store: amipub_store::SqlStore,
    pub _dir: tempfile::TempDir,
}

pub fn release(id: &str, version: &str, state: State) -> Release {
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

pub async fn rig(proxies: &[&str]) -> Rig {
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

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Rig {
    pub async fn call(
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

    pub fn csrf(&self, token: &str) -> String {
        self.keys.csrf(&self.access.by_token(token).unwrap())
    }

    pub fn asked(&self) -> Vec<(Action, String)> {
        self.ops.asked.lock().unwrap().clone()
    }

    pub async fn save(&self, r: &Release, entries: &[TimelineEntry]) {
        self.store.save(r, entries, &[]).await.unwrap();
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
