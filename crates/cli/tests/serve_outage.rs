//! `amipub serve` through a broker outage: RabbitMQ is stopped while a release is being scanned
//! and started again after the release finished. Nothing is lost: the announcement waits in the
//! outbox and reaches the bus once after reconnection (one delivery of its message id), and the
//! intake takes new builds again. Alone in its test binary, because it stops the machine's broker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::{Duration, Instant};

use amipub_testkit::bus::*;
use amipub_testkit::service::Env;

use amipub_domain::messages::INBOUND_SCHEMA as INBOUND;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_waits_out_a_broker_outage_and_is_sent_once() {
    let env = Env::new(AMIPUB, 3000.0);
    // A scan of 12 hours (14 s here) leaves time to stop the broker in the middle of the release.
    amipub_sandbox::server::lock(&env.world).config.scan_seconds = 43_200.0;
    let vhost = Vhost::new("outage");
    configure_bus(
        &env,
        &vhost,
        &["org.fedoraproject.prod.fedora_image_uploader.#"],
        "",
    );
    let (conn, ch) = connect(&vhost.url()).await;
    listen(&ch, "watch", "org.fedoraproject.prod.amipub.#").await;
    let mut serve = Serve::start(&env);
    let (key, body) = sample();
    publish(
        &ch,
        &key,
        &body,
        fedora_props("m-1", Some(INBOUND), "application/json"),
    )
    .await;
    let got = collect(&ch, "watch", Duration::from_secs(60), |g| !g.is_empty()).await;
    assert!(
        got[0].0.ends_with("submitted.v1"),
        "log:\n{}",
        serve.log_text()
    );
    drop(ch);
    drop(conn);

    let store = env.store().await;
    let release = store.list(10).await.unwrap().remove(0);
    assert_eq!(
        release.state.name(),
        "scanning",
        "the outage must begin mid-release"
    );
    let outage = Outage::begin();
    serve.wait_for_log("trying again", Duration::from_secs(30));
    let (code, health) = http_get(&serve.addr, "/healthz").unwrap();
    assert_eq!(code, 503, "{health}");
    // The release finishes while the broker is away; its announcement waits.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = store.get(&release.id).await.unwrap().unwrap();
        if r.state.is_terminal() {
            assert_eq!(r.state.name(), "done");
            break;
        }
        assert!(Instant::now() < deadline, "still {:?}", r.state);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(store.outbox_backlog().await.unwrap(), 1);
    drop(outage);

    // Back: the announcement goes out, and a new build is taken.
    let (_conn, ch) = connect(&vhost.url()).await;
    let (rkey, rbody) = sample_of(RAWHIDE);
    publish(
        &ch,
        &rkey,
        &rbody,
        fedora_props("m-2", Some(INBOUND), "application/json"),
    )
    .await;
    let got = collect(&ch, "watch", Duration::from_secs(120), |g| {
        g.iter()
            .filter(|(k, _, _)| k.ends_with("published.v1"))
            .count()
            >= 2
    })
    .await;
    let published: Vec<_> = got
        .iter()
        .filter(|(k, _, _)| k.ends_with("published.v1"))
        .collect();
    assert_eq!(published.len(), 2, "log:\n{}", serve.log_text());
    let first: Vec<_> = published
        .iter()
        .filter(|(_, _, b)| b["release_id"] == release.id.as_str())
        .collect();
    assert_eq!(
        first.len(),
        1,
        "the announcement of the first release, exactly once"
    );
    // Nothing else carries its message id either.
    let id = first[0].1.message_id().clone().unwrap();
    assert_eq!(
        got.iter()
            .filter(|(_, p, _)| p.message_id().as_ref() == Some(&id))
            .count(),
        1
    );
    // The sender marks a row sent after the broker confirmed it, so the watcher may hear the
    // message a moment before the row is marked.
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.outbox_backlog().await.unwrap() != 0 {
        assert!(Instant::now() < deadline, "the outbox never drained");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, _) = http_get(&serve.addr, "/healthz").unwrap();
    assert_eq!(code, 200);
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
}
