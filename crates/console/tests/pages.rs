//! The console's pages and API through its router: escaping of values from outside, security
//! headers, a release's page, the chart, the API's pages and its OpenAPI document, and the last
//! verify of each product.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod rig;

use amipub_domain::release::State;
use amipub_engine::ports::TimelineEntry;
use axum::http::StatusCode;
use rig::*;

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
    assert!(a.body.contains("<code>/fedora/42.1</code>"), "{}", a.body);
    assert!(
        a.body.contains("<td>not yet</td>"),
        "published, parameters not written yet"
    );
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

#[tokio::test]
async fn the_last_verify_shows_per_product_and_in_the_api() {
    use amipub_domain::lifecycle::{Row, Status};
    let rig = rig(&[]).await;
    let products = rig.call("GET", "/products", "127.0.0.1", &[], "").await;
    assert!(
        products.body.contains("Not verified yet"),
        "{}",
        products.body
    );
    let rows = [
        Row::new(
            "fedora-cloud",
            "-",
            "listing.visibility",
            Status::Correct,
            "",
            "Limited",
        ),
        Row::new(
            "fedora-cloud",
            "-",
            "listing.title",
            Status::Correct,
            "t",
            "t",
        ),
        Row::new(
            "fedora-cloud",
            "eu-west-1",
            "ami 41.1",
            Status::Missing,
            "available",
            "none",
        ),
        Row::new(
            "fedora-cloud",
            "eu-west-1",
            "ssm /f/latest",
            Status::Incorrect,
            "ami-1",
            "ami-2",
        ),
        Row::new(
            "fedora-cloud",
            "us-east-1",
            "ami 41.1",
            Status::Correct,
            "available",
            "ami-9",
        ),
    ];
    rig.store
        .record_verify("fedora-cloud", &rows, NOW)
        .await
        .unwrap();
    let page = rig.call("GET", "/products", "127.0.0.1", &[], "").await;
    let body = &page.body;
    assert!(body.contains("class=\"listing\">Limited"), "{body}");
    assert!(
        body.contains("Missing ami 41.1: expected available, found none"),
        "{body}"
    );
    assert!(
        body.contains("class=\"status-Missing\">Missing</td><td>0 of 2"),
        "{body}"
    );
    assert!(
        body.contains("class=\"status-Correct\">Correct</td><td>1 of 1"),
        "{body}"
    );
    let api = rig
        .call(
            "GET",
            "/api/v1/verify?product=fedora-cloud",
            "127.0.0.1",
            &[],
            "",
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let got = v["rows"].as_array().unwrap();
    assert_eq!(got.len(), 5);
    assert!(
        got.iter()
            .any(|r| r["status"] == "incorrect" && r["checked_at"] == NOW)
    );
    let other = rig
        .call("GET", "/api/v1/verify?product=nope", "127.0.0.1", &[], "")
        .await;
    assert_eq!(other.body, "{\"rows\":[]}");
}
