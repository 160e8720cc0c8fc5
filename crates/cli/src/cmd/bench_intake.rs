//! `amipub bench --intake`: the bus intake's throughput. N messages wait in a fresh queue on the
//! broker, 95 % of them on topics nobody here listens to (as on Fedora's bus, bound with `#`) and
//! 5 % Fedora build announcements (most of them repeats, as redeliveries and re-sends are); then
//! the intake, with its real handler, store and the in-process sandbox, reads them all. Prints
//! messages per second, outcomes, and the peak memory of this process. Needs a broker.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use amipub_bus::{BusConfig, BusStatus, run_intake};
use amipub_domain::settings::{Bus, EXAMPLE_CONFIG, validate_settings_text};
use amipub_sandbox::{SandboxConfig, start};
use anyhow::Context;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use tokio::sync::{Notify, watch};

use crate::intake::StoreIntake;
use crate::runtime::Runtime;

const SAMPLES: [&str; 3] = [
    include_str!("../../../../fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json"),
    include_str!("../../../../fixtures/fedora-messaging/aws-published-cloud-base-41-aarch64.json"),
    include_str!("../../../../fixtures/fedora-messaging/aws-published-rawhide-x86_64.json"),
];
/// Topics of the rest of the bus.
const OTHER: [&str; 5] = [
    "org.fedoraproject.prod.bodhi.update.comment",
    "org.fedoraproject.prod.buildsys.task.state.change",
    "org.fedoraproject.prod.copr.build.end",
    "org.fedoraproject.prod.pagure.pull-request.new",
    "org.fedoraproject.prod.fedora_image_uploader.published.v1.azure.Cloud_Base.41.x86_64",
];

fn props(id: &str, schema: &str) -> BasicProperties {
    let mut h = FieldTable::default();
    h.insert(
        "fedora_messaging_schema".into(),
        AMQPValue::LongString(LongString::from(schema)),
    );
    h.insert("fedora_messaging_severity".into(), AMQPValue::LongInt(20));
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(id.into())
        .with_headers(h)
}

/// Runs the intake benchmark.
pub async fn run(messages: usize, bus_url: &str) -> anyhow::Result<()> {
    let sandbox = start(
        SandboxConfig::default(),
        "fedora",
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let (settings, _) = validate_settings_text(EXAMPLE_CONFIG);
    let mut settings = settings.context("the built-in configuration does not parse")?;
    settings.store.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    settings.endpoints.url = Some(format!("http://{}", sandbox.addr));
    let queue = format!("amipub-bench-{}", std::process::id());
    let bus = Bus {
        url: bus_url.to_owned(),
        password_env: None,
        ca_file: None,
        cert_file: None,
        key_file: None,
        queue: queue.clone(),
        bindings: vec!["org.fedoraproject.prod.#".into()],
        topic_prefix: "org.fedoraproject.prod.".into(),
        prefetch: 100,
        datagrepper_url: String::new(),
        catch_up: None,
    };
    let cfg = BusConfig::from_settings(&bus, |_| None)?;
    let spec = amipub_sandbox::worlds::fedora_spec().context("the example spec")?;
    let trusted = settings.trust.build_accounts.clone();
    let rt = Runtime::open(settings, std::slice::from_ref(&spec)).await?;

    // Fill the queue first, then read it.
    amipub_bus::intake::prepare(&cfg)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let status = BusStatus::default();
    let wake = Notify::new();
    let handler = StoreIntake {
        rt: &rt,
        specs: vec![spec],
        trusted,
        wake: &wake,
    };
    let conn = Connection::connect(bus_url, ConnectionProperties::default())
        .await
        .map_err(|e| anyhow::anyhow!("{}", amipub_bus::connect::explain(&cfg, &e.to_string())))?;
    let ch = conn.create_channel().await?;
    ch.confirm_select(ConfirmSelectOptions::default()).await?;
    let samples: Vec<(String, Vec<u8>)> = SAMPLES
        .iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .map(|v| {
            (
                v["routing_key"].as_str().unwrap_or_default().to_owned(),
                serde_json::to_vec(&v["body"]).unwrap_or_default(),
            )
        })
        .collect();
    let filler = br#"{"comment": {"text": "works for me", "karma": 1}, "agent": "someone"}"#;
    let fill = Instant::now();
    let mut pending = Vec::new();
    for i in 0..messages {
        let id = format!("bench-{i}");
        let c = if i % 20 == 0 {
            let (k, b) = &samples[(i / 20) % samples.len()];
            ch.basic_publish(
                "amq.topic".into(),
                k.as_str().into(),
                BasicPublishOptions::default(),
                b,
                props(&id, amipub_domain::messages::INBOUND_SCHEMA),
            )
            .await?
        } else {
            let topic = OTHER[i % OTHER.len()];
            ch.basic_publish(
                "amq.topic".into(),
                topic.into(),
                BasicPublishOptions::default(),
                filler,
                props(&id, "other.v1"),
            )
            .await?
        };
        pending.push(c);
        if pending.len() >= 500 {
            for c in pending.drain(..) {
                c.await?;
            }
        }
    }
    for c in pending.drain(..) {
        c.await?;
    }
    let filled = fill.elapsed();

    // Read them all.
    let (tx, rx) = watch::channel(false);
    let t0 = Instant::now();
    let watcher = async {
        loop {
            let done: u64 = status.deliveries().values().sum();
            if done as usize >= messages {
                let _ = tx.send(true);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::join!(run_intake(&cfg, &handler, &status, rx), watcher);
    let took = t0.elapsed().as_secs_f64();
    let _ = ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = ch
        .queue_delete(
            cfg.dead_letter_queue.as_str().into(),
            QueueDeleteOptions::default(),
        )
        .await;
    let releases = rt.store.list(100).await?.len();
    println!("(d) intake of {messages} messages, 95 % on other topics");
    println!(
        "    queue filled in {:.1} s; read in {took:.2} s → {:.0} messages/s; outcomes {:?}; {releases} releases recorded; reconnects {}",
        filled.as_secs_f64(),
        messages as f64 / took.max(1e-9),
        status.deliveries(),
        status.intake_reconnects.load(Ordering::Relaxed)
    );
    println!(
        "    peak memory of this process (sandbox included): {}",
        super::peak_rss_mib().map_or("unknown".into(), |m| format!("{m:.0} MiB"))
    );
    sandbox.stop().await;
    Ok(())
}
