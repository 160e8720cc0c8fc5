//! `amipub serve` against the machine's RabbitMQ and the in-process sandbox: a build
//! announcement becomes a Done release and a `published` announcement with the Marketplace AMI of
//! every Region; duplicates (same message id, or same build under a new id) make no second
//! release; malformed deliveries of every kind are dead-lettered with their reason while valid
//! ones around them are processed; /healthz and /metrics answer; SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::Duration;

use amipub_store::SqlStore;
use amipub_testkit::bus::*;
use amipub_testkit::service::{Env, SOURCE_AMI, VERSION};

use amipub_domain::messages::INBOUND_SCHEMA as INBOUND;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

/// The releases once none is still moving (or at `limit`).
async fn wait_until_finished(
    s: &SqlStore,
    limit: Duration,
) -> Vec<amipub_domain::release::Release> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let all = s.list(100).await.unwrap();
        if all.iter().all(|r| r.state.is_terminal()) || std::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_announcement_becomes_one_done_release_and_a_published_announcement() {
    let env = Env::new(AMIPUB, 3000.0);
    let vhost = Vhost::new("e2e");
    configure_bus(&env, &vhost, &["org.fedoraproject.prod.#"], "");
    let (_conn, ch) = connect(&vhost.url()).await;
    listen(&ch, "watch", "org.fedoraproject.prod.amipub.#").await;
    let serve = Serve::start(&env);

    let (key, body) = sample();
    let json = "application/json";
    publish(&ch, &key, &body, fedora_props("m-1", Some(INBOUND), json)).await;
    publish(&ch, &key, &body, fedora_props("m-1", Some(INBOUND), json)).await;
    publish(&ch, &key, &body, fedora_props("m-2", Some(INBOUND), json)).await;

    let got = collect(&ch, "watch", Duration::from_secs(180), |g| {
        g.iter().any(|(k, _, _)| k.contains(".published."))
    })
    .await;
    let (k, props, published) = got
        .iter()
        .find(|(k, _, _)| k.contains(".published."))
        .unwrap_or_else(|| panic!("no published announcement; log:\n{}", serve.log_text()));
    assert_eq!(k, "org.fedoraproject.prod.amipub.release.published.v1");
    assert_eq!(
        header(props, "fedora_messaging_schema").unwrap(),
        "amipub.release.published.v1"
    );
    assert_eq!(
        header(props, "fedora_messaging_schema_package").unwrap(),
        "amipub_messages"
    );
    assert_eq!(header(props, "fedora_messaging_severity").unwrap(), "20");
    assert!(header(props, "sent-at").unwrap().ends_with("+00:00"));
    assert_eq!(
        props.content_type().as_ref().unwrap().as_str(),
        "application/json"
    );
    assert_eq!(*props.delivery_mode(), Some(2));
    assert_eq!(props.message_id().as_ref().unwrap().as_str().len(), 36);
    assert_eq!(published["version_title"], VERSION);
    assert_eq!(published["release"], 41);
    assert_eq!(published["regions"]["us-east-1"], SOURCE_AMI);
    let regions = published["marketplace_regions"].as_object().unwrap();
    let s = env.store().await;
    let releases = wait_until_finished(&s, Duration::from_secs(30)).await;
    assert_eq!(releases.len(), 1, "one release for three deliveries");
    let r = &releases[0];
    assert_eq!(r.state.name(), "done");
    assert_eq!(regions.len(), r.expected_regions.len());
    for (region, ami) in regions {
        assert_eq!(
            r.regions.get(region.as_str()),
            ami.as_str().map(str::to_owned).as_ref()
        );
    }
    // The submitted announcement came first.
    assert!(
        got[0].0.ends_with("amipub.release.submitted.v1"),
        "{:?}",
        got.iter().map(|g| &g.0).collect::<Vec<_>>()
    );

    let counts: BTreeMap<String, i64> = s.inbox_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts.get("accepted"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("duplicate"), Some(&1), "{counts:?}");
    let (code, metrics) = http_get(&serve.addr, "/metrics").unwrap();
    assert_eq!(code, 200);
    assert!(
        metrics.contains("amipub_intake_deliveries_total{outcome=\"accepted\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("amipub_intake_deliveries_total{outcome=\"duplicate\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("amipub_releases{state=\"done\"} 1\n"),
        "{metrics}"
    );
    let (code, health) = http_get(&serve.addr, "/healthz").unwrap();
    assert_eq!(code, 200, "{health}");
    // The feed is merged just after the broker confirmed the announcement, so the watcher may
    // hear it a moment before the file is written.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(env.path("feed.json")).unwrap_or_default();
        let feed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let version = &feed["products"]["fedora-cloud-base-x86-64"]["x86_64"]["version"];
        if *version == VERSION {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "feed: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert_eq!(s.outbox_backlog().await.unwrap(), 0);
}

/// The kinds of bad delivery, and the reason each must be dead-lettered with.
const KINDS: [&str; 8] = [
    "not_json",
    "unknown_schema",
    "invalid_body",
    "unknown_topic",
    "untrusted_owner",
    "too_large",
    "content_type",
    "unknown_schema",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_deliveries_are_dead_lettered_with_reasons_and_valid_ones_still_flow() {
    let env = Env::new(AMIPUB, 3000.0);
    // An AMI the seller can see that no trusted account owns.
    let untrusted = "ami-0bad0bad0bad0bad0";
    {
        let mut w = amipub_sandbox::server::lock(&env.world);
        let mut img = w.ec2.images.get(SOURCE_AMI).unwrap().clone();
        img.id = untrusted.to_owned();
        img.owner = amipub_sandbox::worlds::BUYER_ACCOUNT.to_owned();
        w.ec2.images.insert(untrusted.to_owned(), img);
    }
    let vhost = Vhost::new("dlq");
    configure_bus(
        &env,
        &vhost,
        &["org.fedoraproject.prod.#"],
        "prefetch = 50\n",
    );
    let (_conn, ch) = connect(&vhost.url()).await;
    let serve = Serve::start(&env);

    let (key, body) = sample();
    let base: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let valid = [sample_of(X86), sample_of(RAWHIDE), sample_of(ARM)];
    let json = "application/json";
    let mut expected = BTreeMap::new();
    let fields = [
        "architecture",
        "compose_id",
        "image_name",
        "regions",
        "release",
        "subvariant",
    ];
    for i in 0..112usize {
        let id = format!("bad-{i}");
        let kind = KINDS[i % KINDS.len()];
        let mut k = key.clone();
        let mut schema = Some(INBOUND);
        let mut ct = json;
        let payload: Vec<u8> = match (i % KINDS.len(), i) {
            (0, _) => format!("<<not json {i}>>").into_bytes(),
            (1, _) => {
                schema = Some("fedora_image_uploader.published.v1.azure");
                body.clone()
            }
            (2, _) => {
                let mut v = base.clone();
                v.as_object_mut().unwrap().remove(fields[i % fields.len()]);
                serde_json::to_vec(&v).unwrap()
            }
            (3, _) => {
                k = format!("org.fedoraproject.prod.fedora_image_uploader.published.v2.aws.x{i}");
                body.clone()
            }
            (4, _) => {
                let mut v = base.clone();
                v["regions"]["us-east-1"] = untrusted.into();
                v["compose_id"] = format!("Fedora-41-2024102{}.0", i % 10).into();
                serde_json::to_vec(&v).unwrap()
            }
            (5, _) => {
                let mut v = base.clone();
                v["padding"] = "x".repeat(300 * 1024).into();
                serde_json::to_vec(&v).unwrap()
            }
            (6, _) => {
                ct = "text/plain";
                body.clone()
            }
            _ => {
                schema = None;
                body.clone()
            }
        };
        publish(&ch, &k, &payload, fedora_props(&id, schema, ct)).await;
        expected.insert(id, kind);
        if i % 10 == 0 {
            let (vk, vb) = &valid[(i / 10) % 3];
            publish(
                &ch,
                vk,
                vb,
                fedora_props(&format!("good-{i}"), Some(INBOUND), json),
            )
            .await;
        }
        // Irrelevant traffic, as on the real bus.
        publish(
            &ch,
            "org.fedoraproject.prod.bodhi.update.comment",
            b"{}",
            fedora_props(&format!("other-{i}"), Some("bodhi.update.comment.v1"), json),
        )
        .await;
    }

    let dead = collect(&ch, "amipub.dead", Duration::from_secs(120), |g| {
        g.len() >= expected.len()
    })
    .await;
    assert_eq!(dead.len(), expected.len(), "log:\n{}", serve.log_text());
    for (_, props, _) in &dead {
        let id = props.message_id().as_ref().unwrap().to_string();
        let reason = header(props, "x-amipub-reason").unwrap();
        assert_eq!(
            reason,
            expected[&id],
            "{id}: {:?}",
            header(props, "x-amipub-detail")
        );
        assert!(!header(props, "x-amipub-detail").unwrap().is_empty());
        assert!(header(props, "x-amipub-routing-key").is_some());
    }
    // Every valid message was processed: two builds (41 and Rawhide) became releases, the
    // aarch64 one is recorded as wanted by no product.
    let s = env.store().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let counts: BTreeMap<String, i64> = s.inbox_counts().await.unwrap().into_iter().collect();
        let valid_seen = counts.get("accepted").copied().unwrap_or(0)
            + counts.get("duplicate").copied().unwrap_or(0)
            + counts.get("ignored").copied().unwrap_or(0);
        if valid_seen == 12 {
            assert_eq!(counts.get("dead"), Some(&(expected.len() as i64)));
            assert_eq!(counts.get("accepted"), Some(&2), "{counts:?}");
            assert_eq!(counts.get("ignored"), Some(&4), "{counts:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(s.list(100).await.unwrap().len(), 2);
    // Each dead letter was logged once.
    assert_eq!(serve.count_in_log("dead-lettered"), expected.len());
    let (_, metrics) = http_get(&serve.addr, "/metrics").unwrap();
    assert!(
        metrics.contains("amipub_intake_deliveries_total{outcome=\"irrelevant\"} 112\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("amipub_intake_dead_letters_total{reason=\"untrusted_owner\"} 14\n"),
        "{metrics}"
    );
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
