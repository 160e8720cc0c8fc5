//! Fedora CoreOS against the sandbox, RabbitMQ and a stand-in for Fedora's stream metadata
//! server: `amipub serve` hears `coreos.stream.metadata.update` for `stable`, fetches the
//! stream's metadata and releases its x86_64 image; the stream moves to a newer release (one
//! new version, which retires the listing's oldest by retention and names itself as the
//! replacement), then back (no new version: a rollback that points `latest` back at the older
//! release's Marketplace AMI in every Region). The per-stream document and the feed follow.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amipub_domain::release::{Release, State};
use amipub_store::SqlStore;
use amipub_testkit::bus::*;
use amipub_testkit::service::Env;
use amipub_testkit::web::Web;
use serde_json::{Value, json};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const TOPIC: &str = "org.fedoraproject.prod.coreos.stream.metadata.update";
const OLD: &str = "41.20241027.3.0";
const NEW: &str = "41.20241109.3.0";
const LATEST: &str = "/fedora/coreos/stable/x86_64/latest";
/// The trusted build account of the sandbox's `fedora` world.
const BUILDER: &str = "125523088429";

/// The home's Fedora product, made a Fedora CoreOS one bound to `stable`.
fn make_coreos(env: &Env) {
    let path = env.path("products/fedora.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let notes_at = text.find("release_notes_template").unwrap();
    let notes_end = notes_at + text[notes_at..].find("\"\"\"\n\n").unwrap() + 4;
    let mut text = format!(
        "{}release_notes_template = \"Fedora CoreOS {{release}} ({{arch}}), {{stream}} stream.\"\n{}",
        &text[..notes_at],
        &text[notes_at + text[notes_at..notes_end].len()..]
    );
    for (from, to) in [
        (
            "topic = \"org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#\"",
            format!("topic = \"{TOPIC}\"\nstream = \"stable\""),
        ),
        (
            "title_template = \"{release}.{compose_date}\"",
            "title_template = \"{release}\"".to_owned(),
        ),
        (
            "versioned = \"/fedora/cloud/{release}/{arch}/{version}\"",
            "versioned = \"/fedora/coreos/{stream}/{arch}/{version}\"".to_owned(),
        ),
        (
            "latest = \"/fedora/cloud/{release}/{arch}/latest\"",
            "latest = \"/fedora/coreos/{stream}/{arch}/latest\"".to_owned(),
        ),
        ("keep_latest = 3", "keep_latest = 2".to_owned()),
    ] {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, &to);
    }
    std::fs::write(&path, text).unwrap();
}

/// A source AMI of the trusted build account in us-east-1.
fn source_ami(env: &Env, release: &str) -> String {
    let made = env.admin(
        "POST",
        "/_sandbox/images",
        &json!({ "owner": BUILDER, "region": "us-east-1",
                 "name": format!("fedora-coreos-{release}-aws.x86_64"), "public": true }),
    );
    made["image_id"].as_str().unwrap().to_owned()
}

/// Stream metadata of `stable` at `release` with its AWS image `ami` (trimmed to what matters,
/// in Fedora's shape).
fn stream_doc(release: &str, ami: &str) -> String {
    json!({
        "stream": "stable",
        "metadata": { "last-modified": "2024-11-12T16:02:56Z" },
        "architectures": { "x86_64": {
            "artifacts": {},
            "images": { "aws": { "regions": {
                "us-east-1": { "release": release, "image": ami },
            } } },
        } },
    })
    .to_string()
}

async fn done_releases(s: &SqlStore, n: usize, serve: &Serve) -> Vec<Release> {
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        let all = s.list(100).await.unwrap();
        if all.iter().filter(|r| r.state == State::Done).count() >= n {
            return all;
        }
        assert!(
            all.iter().all(|r| r.state != State::Failed),
            "{all:#?}\n{}",
            serve.log_text()
        );
        assert!(
            std::time::Instant::now() < deadline,
            "{all:#?}\n{}",
            serve.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn of_version<'a>(all: &'a [Release], v: &str) -> &'a Release {
    all.iter().find(|r| r.version == v).unwrap()
}

/// `latest` in every Region of the release holds its Marketplace AMI.
fn latest_is(env: &Env, r: &Release) {
    let held = env.parameter_values(LATEST);
    let want: BTreeMap<String, String> = r
        .regions
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    assert_eq!(held, want, "latest after {}", r.version);
}

/// The per-stream document's x86_64 Regions: Region → (release, image).
fn stream_regions(env: &Env) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(env.path("streams/stable.json")).unwrap_or_default();
    let doc: Value = serde_json::from_str(&text).unwrap_or_default();
    let regions = &doc["architectures"]["x86_64"]["images"]["aws-marketplace"]["regions"];
    regions
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let release = v["release"].as_str().unwrap_or_default().to_owned();
            (
                k.clone(),
                (release, v["image"].as_str().unwrap_or_default().to_owned()),
            )
        })
        .collect()
}

async fn stream_doc_is(env: &Env, r: &Release) {
    let want: BTreeMap<String, (String, String)> = r
        .regions
        .iter()
        .map(|(k, v)| (k.to_string(), (r.version.clone(), v.clone())))
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while stream_regions(env) != want {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?} != {want:?}",
            stream_regions(env)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_release_then_a_rollback_make_one_version_and_move_latest_back() {
    let env = Env::new(AMIPUB, 3000.0);
    make_coreos(&env);
    let (old_ami, new_ami) = (source_ami(&env, OLD), source_ami(&env, NEW));
    let doc = Arc::new(Mutex::new(stream_doc(OLD, &old_ami)));
    let served = doc.clone();
    let web = Web::start(Arc::new(move |path: &str| match path {
        "/streams/stable.json" => (200, served.lock().unwrap().clone()),
        _ => (404, "{}".to_owned()),
    }));
    let vhost = Vhost::new("coreos");
    let extra = format!(
        "[coreos]\nstream_url = \"{}/streams/{{stream}}.json\"\nstreams_dir = \"{}\"\n",
        web.base,
        env.path("streams").display()
    );
    configure_bus(&env, &vhost, &["org.fedoraproject.prod.coreos.#"], &extra);
    let (_conn, ch) = connect(&vhost.url()).await;
    listen(&ch, "watch", "org.fedoraproject.prod.amipub.#").await;
    let serve = Serve::start(&env);
    let s = env.store().await;
    let update = |id: &str| fedora_props(id, None, "application/json");
    let body = br#"{"stream": "stable"}"#;

    // The stream's first release.
    publish(&ch, TOPIC, body, update("m-1")).await;
    let all = done_releases(&s, 1, &serve).await;
    let old = of_version(&all, OLD).clone();
    latest_is(&env, &old);
    stream_doc_is(&env, &old).await;

    // Forward: one new version.
    *doc.lock().unwrap() = stream_doc(NEW, &new_ami);
    publish(&ch, TOPIC, body, update("m-2")).await;
    let all = done_releases(&s, 2, &serve).await;
    let new = of_version(&all, NEW).clone();
    latest_is(&env, &new);
    stream_doc_is(&env, &new).await;

    // Back: no new version, `latest` back at the older release everywhere.
    *doc.lock().unwrap() = stream_doc(OLD, &old_ami);
    publish(&ch, TOPIC, body, update("m-3")).await;
    // The same update again (a re-send under a new id) changes nothing more.
    publish(&ch, TOPIC, body, update("m-4")).await;
    let got = collect(&ch, "watch", Duration::from_secs(120), |g| {
        g.iter().any(|(k, _, _)| k.ends_with("alias-moved.v1"))
    })
    .await;
    let moved: Vec<&Value> = got
        .iter()
        .filter(|(k, _, _)| k.ends_with("alias-moved.v1"))
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(moved.len(), 1, "{}", serve.log_text());
    let m = moved[0];
    assert_eq!(m["reason"], "rollback");
    assert_eq!(m["stream"], "stable");
    assert_eq!(m["alias"], "latest");
    assert_eq!(m["to_version"], OLD);
    assert_eq!(m["parameter"], LATEST);
    for (region, ami) in &old.regions {
        assert_eq!(m["regions"][region.as_str()]["to"], ami.as_str());
        assert_eq!(
            m["regions"][region.as_str()]["from"],
            new.regions[region].as_str()
        );
    }
    latest_is(&env, &old);
    stream_doc_is(&env, &old).await;
    // The re-sent update (m-4) moved nothing more.
    let later = collect(&ch, "watch", Duration::from_secs(3), |_| false).await;
    assert!(
        !later.iter().any(|(k, _, _)| k.ends_with("alias-moved.v1")),
        "{later:?}"
    );
    let all = s.list(100).await.unwrap();
    assert_eq!(all.len(), 2, "one release per stream release: {all:#?}");
    // One version added per stream release; the rollback added none.
    assert_eq!(env.version_change_sets(OLD), 1);
    assert_eq!(env.version_change_sets(NEW), 1);

    // The newer release retired the seeded version by retention and named itself instead.
    let restricted: Vec<&Value> = got
        .iter()
        .filter(|(k, _, _)| k.ends_with("restricted.v1"))
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(restricted.len(), 1, "{got:?}");
    assert_eq!(
        restricted[0]["restricted_versions"],
        json!(["40.20240416.0"])
    );
    assert_eq!(restricted[0]["replacement"]["version_title"], NEW);
    assert_eq!(
        restricted[0]["replacement"]["marketplace_regions"]["us-east-1"],
        new.regions["us-east-1"].as_str()
    );

    // The feed keeps where the alias went.
    let feed: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("feed.json")).unwrap()).unwrap();
    let entry = &feed["products"]["fedora-cloud-base-x86-64"]["x86_64"];
    let reasons: Vec<&str> = entry["alias_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["release", "release", "rollback"], "{entry}");
    assert_eq!(entry["aliases"]["latest"]["version"], OLD);
    assert!(web.hits() >= 4);
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
