//! `amipub serve` over AMQPS with client certificates, as Fedora's broker requires: a throwaway
//! RabbitMQ node (scripts/tls-broker) with its own CA, a TLS listener that demands a client
//! certificate and logs it in by its CN (SASL EXTERNAL). The intake and the sender work over it;
//! a client certificate from another CA is refused, and amipub says so in words.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_testkit::bus::*;
use amipub_testkit::service::Env;

use amipub_domain::messages::INBOUND_SCHEMA as INBOUND;

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");

fn write_config(env: &Env, broker: &TlsBroker, cert: &str) {
    let base = std::fs::read_to_string(env.path("amipub.toml")).unwrap();
    let base = base.split("[bus]").next().unwrap().to_owned();
    let d = broker.dir.display();
    std::fs::write(
        env.path("amipub.toml"),
        format!(
            "{base}[bus]\nurl = \"amqps://localhost:{}/%2F\"\nca_file = \"{d}/ca.pem\"\ncert_file = \"{d}/{cert}.pem\"\nkey_file = \"{d}/{cert}-key.pem\"\nbindings = [\"org.fedoraproject.prod.fedora_image_uploader.#\"]\ntopic_prefix = \"org.fedoraproject.prod.\"\n",
            broker.tls_port
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intake_runs_over_tls_with_a_client_certificate_and_a_stranger_is_refused() {
    let nodes = tempfile::tempdir().unwrap();
    let broker = TlsBroker::start(&nodes.path().join(format!("n{}", std::process::id())));
    let env = Env::new(AMIPUB, 3000.0);
    write_config(&env, &broker, "client");
    let serve = Serve::start(&env);
    assert!(
        serve.log_text().contains("amqps://localhost"),
        "{}",
        serve.log_text()
    );

    // Publish over the node's plain port; amipub reads it over TLS.
    let (_conn, ch) = connect(&format!(
        "amqp://guest:guest@127.0.0.1:{}/%2F",
        broker.tcp_port
    ))
    .await;
    listen(&ch, "watch", "org.fedoraproject.prod.amipub.#").await;
    let (key, body) = sample();
    publish(
        &ch,
        &key,
        &body,
        fedora_props("tls-1", Some(INBOUND), "application/json"),
    )
    .await;
    let got = collect(&ch, "watch", Duration::from_secs(120), |g| {
        g.iter().any(|(k, _, _)| k.ends_with("published.v1"))
    })
    .await;
    assert!(
        got.iter().any(|(k, _, _)| k.ends_with("published.v1")),
        "log:\n{}",
        serve.log_text()
    );
    let store = env.store().await;
    assert_eq!(store.list(10).await.unwrap().len(), 1);
    let (code, _) = http_get(&serve.addr, "/healthz").unwrap();
    assert_eq!(code, 200);
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");

    // A certificate the broker's CA never signed.
    write_config(&env, &broker, "rogue");
    let mut rogue = Serve::spawn(&env);
    rogue.wait_for_log("cannot connect", Duration::from_secs(60));
    let log = rogue.log_text();
    assert!(log.contains("TLS handshake failed"), "{log}");
    assert!(!log.contains("consuming"), "{log}");
    let (code, health) = http_get(&rogue.addr, "/healthz").unwrap();
    assert_eq!(code, 503, "{health}");
    let (code, log) = rogue.stop();
    assert_eq!(code, 0, "{log}");
}
