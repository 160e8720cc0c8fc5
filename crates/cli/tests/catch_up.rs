//! `amipub catch-up` against a stand-in for datagrepper: during a 2-hour outage the bus carried
//! 30 messages (5 build announcements the Fedora product wants, 5 of another architecture, 5
//! for another cloud, 15 of other applications); two of the five also reach `amipub serve`
//! live, one before and one after the catch-up. The catch-up pages through the archive and
//! records exactly the 5 releases; run again, it records none.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use amipub_domain::messages::INBOUND_SCHEMA;
use amipub_testkit::bus::*;
use amipub_testkit::service::Env;
use amipub_testkit::web::Web;
use serde_json::{Value, json};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const BUILDER: &str = "125523088429";
const AWS: &str = "org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.Cloud_Base.41";
/// The stand-in gives at most this many rows per page (datagrepper may give fewer than asked).
const ROWS: usize = 10;

/// One archived message: (epoch second, category, fedora-messaging dict).
type Archived = (i64, String, Value);

fn build(env: &Env, i: usize, arch: &str) -> Value {
    let (_, body) = sample();
    let mut body: Value = serde_json::from_slice(&body).unwrap();
    let name = format!("Fedora-Cloud-Base-AmazonEC2.{arch}-41-2024110{i}.0");
    let made = env.admin(
        "POST",
        "/_sandbox/images",
        &json!({ "owner": BUILDER, "region": "us-east-1", "name": name, "public": true }),
    );
    body["architecture"] = json!(arch);
    body["compose_id"] = json!(format!("Fedora-41-2024110{i}.0"));
    body["image_name"] = json!(name);
    body["regions"] = json!({ "us-east-1": made["image_id"] });
    body
}

fn archived(at: i64, topic: &str, id: &str, schema: &str, body: Value) -> Archived {
    let category = topic.split('.').nth(3).unwrap().to_owned();
    let headers =
        json!({ "fedora_messaging_schema": schema, "sent-at": "2026-12-04T10:00:00+00:00" });
    let m = json!({ "id": id, "topic": topic, "headers": headers, "body": body,
                    "priority": 0, "queue": null });
    (at, category, m)
}

/// datagrepper's `/v2/search`: the window, the categories, oldest first, `ROWS` per page.
fn search(archive: &[Archived], target: &str) -> (u16, String) {
    let Some(query) = target.strip_prefix("/v2/search?") else {
        return (404, "{}".into());
    };
    let mut q: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        q.entry(k).or_default().push(v);
    }
    let one = |k: &str| q[k][0].parse::<i64>().unwrap();
    let (start, end, page) = (one("start"), one("end"), one("page") as usize);
    assert_eq!(q["order"], ["asc"]);
    let cats = &q["category"];
    let mut hits: Vec<&Archived> = archive
        .iter()
        .filter(|(at, c, _)| *at >= start && *at <= end && cats.contains(&c.as_str()))
        .collect();
    hits.sort_by_key(|(at, _, _)| *at);
    let pages = hits.len().div_ceil(ROWS).max(1);
    let rows: Vec<&Value> = hits
        .iter()
        .skip((page - 1) * ROWS)
        .take(ROWS)
        .map(|(_, _, m)| m)
        .collect();
    let answer = json!({ "arguments": { "page": page }, "count": rows.len(), "pages": pages,
                         "total": hits.len(), "raw_messages": rows });
    (200, answer.to_string())
}

fn catch_up(env: &Env) -> String {
    let (code, out, err) = env
        .amipub(["catch-up", "--since", "3h"])
        .finish(Duration::from_secs(120));
    assert_eq!(code, 0, "{out}\n{err}");
    out
}

/// The outage's archive: 30 messages over the last 2 hours (and one older); the five wanted
/// builds as (message id, body).
fn outage(env: &Env) -> (Vec<Archived>, Vec<(String, Value)>) {
    let now = chrono::Utc::now().timestamp();
    let start = now - 2 * 3600;
    let mut archive = Vec::new();
    let mut relevant = Vec::new();
    for i in 0..5 {
        let at = start + 600 + i as i64 * 1200;
        let id = format!("6c1b9f2e-0000-4000-8000-00000000000{i}");
        let body = build(env, i, "x86_64");
        relevant.push((id.clone(), body.clone()));
        archive.push(archived(
            at,
            &format!("{AWS}.x86_64"),
            &id,
            INBOUND_SCHEMA,
            body,
        ));
        let arm = build(env, i, "aarch64");
        let id = format!("6c1b9f2e-0000-4000-8000-00000000001{i}");
        archive.push(archived(
            at + 5,
            &format!("{AWS}.aarch64"),
            &id,
            INBOUND_SCHEMA,
            arm,
        ));
        let gcp =
            "org.fedoraproject.prod.fedora_image_uploader.published.v1.gcp.Cloud_Base.41.x86_64";
        let id = format!("6c1b9f2e-0000-4000-8000-00000000002{i}");
        archive.push(archived(
            at + 9,
            gcp,
            &id,
            "fedora_image_uploader.published.v1.gcp",
            json!({}),
        ));
    }
    for i in 0..15 {
        let topic = match i % 3 {
            0 => "org.fedoraproject.prod.bodhi.update.comment",
            1 => "org.fedoraproject.prod.buildsys.build.state.change",
            _ => "org.fedoraproject.prod.pagure.pull-request.new",
        };
        let id = format!("6c1b9f2e-0000-4000-8000-0000000001{i:02}");
        archive.push(archived(
            start + 300 + i * 400,
            topic,
            &id,
            "base.message",
            json!({"i": i}),
        ));
    }
    // Before the outage: not asked for.
    archive.push(archived(
        now - 4 * 3600,
        &format!("{AWS}.x86_64"),
        "old-message",
        INBOUND_SCHEMA,
        json!({}),
    ));
    assert_eq!(archive.len(), 31);
    (archive, relevant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_catch_up_records_exactly_the_missed_releases() {
    let env = Env::new(AMIPUB, 3000.0);
    let (archive, relevant) = outage(&env);
    let archive = Arc::new(archive);
    let served = archive.clone();
    let web = Web::start(Arc::new(move |target: &str| search(&served, target)));
    let vhost = Vhost::new("catchup");
    let extra = format!("datagrepper_url = \"{}\"\n", web.base);
    configure_bus(
        &env,
        &vhost,
        &["org.fedoraproject.prod.fedora_image_uploader.#"],
        &extra,
    );
    let (_conn, ch) = connect(&vhost.url()).await;
    let serve = Serve::start(&env);
    let s = env.store().await;
    let live = |(id, body): &(String, Value)| {
        let body = serde_json::to_vec(body).unwrap();
        let ch = ch.clone();
        let id = id.clone();
        async move {
            let props = fedora_props(&id, Some(INBOUND_SCHEMA), "application/json");
            publish(&ch, &format!("{AWS}.x86_64"), &body, props).await;
        }
    };

    // One of the five reaches serve live before the catch-up.
    live(&relevant[1]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while s.list(100).await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "{}", serve.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = catch_up(&env);
    assert!(
        out.contains("15 messages on 2 page(s): accepted 4, duplicate 1, ignored 5, irrelevant 5"),
        "{out}"
    );
    assert_eq!(s.list(100).await.unwrap().len(), 5);
    // Another one reaches serve live after it: a duplicate.
    live(&relevant[3]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let heard = "amipub_intake_deliveries_total{outcome=\"duplicate\"} 1\n";
    loop {
        let (_, metrics) = http_get(&serve.addr, "/metrics").unwrap();
        if metrics.contains(heard) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let releases = s.list(100).await.unwrap();
    assert_eq!(releases.len(), 5, "exactly the five missed builds");
    let mut versions: Vec<String> = releases.iter().map(|r| r.version.clone()).collect();
    versions.sort();
    let want: Vec<String> = (0..5).map(|i| format!("41.2024110{i}.0")).collect();
    assert_eq!(versions, want);
    // Again: nothing new.
    let out = catch_up(&env);
    assert!(out.contains("duplicate 10, irrelevant 5"), "{out}");
    assert_eq!(s.list(100).await.unwrap().len(), 5);
    assert!(web.hits() >= 4);
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_catches_up_at_start_when_configured() {
    let env = Env::new(AMIPUB, 3000.0);
    let (archive, _) = outage(&env);
    let web = Web::start(Arc::new(move |target: &str| search(&archive, target)));
    let vhost = Vhost::new("catchup-start");
    let extra = format!("datagrepper_url = \"{}\"\ncatch_up = \"3h\"\n", web.base);
    configure_bus(
        &env,
        &vhost,
        &["org.fedoraproject.prod.fedora_image_uploader.#"],
        &extra,
    );
    let mut serve = Serve::start(&env);
    serve.wait_for_log("caught up from datagrepper", Duration::from_secs(60));
    assert!(
        serve
            .log_text()
            .contains("accepted 5, ignored 5, irrelevant 5"),
        "{}",
        serve.log_text()
    );
    let s = env.store().await;
    assert_eq!(s.list(100).await.unwrap().len(), 5);
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
