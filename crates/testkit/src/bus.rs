//! The bus side of the `amipub serve` tests: a RabbitMQ virtual host of its own per test (so tests
//! running at the same time never see each other's messages), Fedora-shaped publishing with
//! lapin, a listening queue that collects what amipub announces, a running `amipub serve` with
//! its log, a plain HTTP GET for /healthz and /metrics, a broker outage and a throwaway TLS
//! broker node.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

use crate::process::{self, Child};
use crate::service::Env;

/// The local broker (the test command starts it when it is not running).
pub const BROKER: &str = "127.0.0.1:5672";
/// The inbound sample of an x86_64 Fedora 41 build.
pub const X86: &str =
    include_str!("../../../fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json");
/// The inbound sample of an aarch64 Fedora 41 build.
pub const ARM: &str =
    include_str!("../../../fixtures/fedora-messaging/aws-published-cloud-base-41-aarch64.json");
/// The inbound sample of an x86_64 Rawhide build.
pub const RAWHIDE: &str =
    include_str!("../../../fixtures/fedora-messaging/aws-published-rawhide-x86_64.json");

/// How long a `rabbitmqctl` command may take.
const CTL_LIMIT: Duration = Duration::from_secs(120);

/// `rabbitmqctl <args>`, whatever it answers.
fn rabbitmqctl_output(args: &[&str]) -> Output {
    process::run(Command::new("rabbitmqctl").args(args), CTL_LIMIT).unwrap_or_else(|e| {
        panic!("rabbitmqctl {args:?}: {e}; the tests need RabbitMQ (scripts/test starts it)")
    })
}

/// `rabbitmqctl <args>`, which must succeed.
fn rabbitmqctl(args: &[&str]) {
    let out = rabbitmqctl_output(args);
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A virtual host for one test, removed at the end.
pub struct Vhost {
    /// Its name.
    pub name: String,
}

impl Vhost {
    /// A new, empty virtual host named after `tag` and this test process, where guest may do
    /// anything.
    pub fn new(tag: &str) -> Self {
        let name = format!("amipub-test-{tag}-{}", std::process::id());
        rabbitmqctl_output(&["delete_vhost", &name]);
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        Vhost { name }
    }

    /// The AMQP URL of the vhost (guest's password included).
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@{BROKER}/{}", self.name)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = process::run(
            Command::new("rabbitmqctl").args(["delete_vhost", &self.name]),
            CTL_LIMIT,
        );
    }
}

/// Appends a `[bus]` table to the home's amipub.toml (password through `AMIPUB_TEST_BUS_PW`).
pub fn configure_bus(env: &Env, vhost: &Vhost, bindings: &[&str], extra: &str) {
    let path = env.path("amipub.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let bindings: Vec<String> = bindings.iter().map(|b| format!("{b:?}")).collect();
    text.push_str(&format!(
        "[bus]\nurl = \"amqp://guest@{BROKER}/{}\"\npassword_env = \"AMIPUB_TEST_BUS_PW\"\nqueue = \"amipub\"\nbindings = [{}]\ntopic_prefix = \"org.fedoraproject.prod.\"\n{extra}",
        vhost.name,
        bindings.join(", ")
    ));
    std::fs::write(path, text).unwrap();
}

/// A connection to `url` and a channel on it in confirm mode.
pub async fn connect(url: &str) -> (Connection, Channel) {
    let conn = Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    (conn, ch)
}

/// The Fedora Messaging envelope of an inbound message.
pub fn fedora_props(message_id: &str, schema: Option<&str>, content_type: &str) -> BasicProperties {
    let mut h = FieldTable::default();
    if let Some(s) = schema {
        h.insert(
            "fedora_messaging_schema".into(),
            AMQPValue::LongString(LongString::from(s)),
        );
    }
    h.insert(
        "fedora_messaging_schema_package".into(),
        AMQPValue::LongString(LongString::from("fedora_image_uploader_messages")),
    );
    h.insert("fedora_messaging_severity".into(), AMQPValue::LongInt(20));
    h.insert(
        "sent-at".into(),
        AMQPValue::LongString(LongString::from("2026-11-21T20:46:46+00:00")),
    );
    h.insert("priority".into(), AMQPValue::LongInt(0));
    BasicProperties::default()
        .with_content_type(content_type.into())
        .with_content_encoding("utf-8".into())
        .with_delivery_mode(2)
        .with_message_id(message_id.into())
        .with_headers(h)
}

/// Publishes `body` on `amq.topic` under `key` and waits for the broker's confirm.
pub async fn publish(ch: &Channel, key: &str, body: &[u8], props: BasicProperties) {
    ch.basic_publish(
        "amq.topic".into(),
        key.into(),
        BasicPublishOptions::default(),
        body,
        props,
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

/// The x86_64 sample message: (routing key, body bytes).
pub fn sample() -> (String, Vec<u8>) {
    sample_of(X86)
}

/// A sample message: (routing key, body bytes).
pub fn sample_of(text: &str) -> (String, Vec<u8>) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    (
        v["routing_key"].as_str().unwrap().to_owned(),
        serde_json::to_vec(&v["body"]).unwrap(),
    )
}

/// A message read back: routing key, properties, body.
pub type Got = (String, BasicProperties, serde_json::Value);

/// Declares `queue` bound to `pattern` on amq.topic.
pub async fn listen(ch: &Channel, queue: &str, pattern: &str) {
    ch.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    if !pattern.is_empty() {
        ch.queue_bind(
            queue.into(),
            "amq.topic".into(),
            pattern.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    }
}

/// Reads messages from `queue` until `done` says enough or `limit` passes.
pub async fn collect(
    ch: &Channel,
    queue: &str,
    limit: Duration,
    done: impl Fn(&[Got]) -> bool,
) -> Vec<Got> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while Instant::now() < deadline && !done(&got) {
        match ch.basic_get(queue.into(), BasicGetOptions::default()).await {
            Ok(Some(m)) => {
                let body =
                    serde_json::from_slice(&m.delivery.data).unwrap_or(serde_json::Value::Null);
                m.delivery.ack(BasicAckOptions::default()).await.unwrap();
                got.push((
                    m.delivery.routing_key.to_string(),
                    m.delivery.properties.clone(),
                    body,
                ));
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    got
}

/// A header of a received message as text.
pub fn header(p: &BasicProperties, key: &str) -> Option<String> {
    match p.headers().as_ref()?.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::LongInt(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` from `addr`: (status, body).
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A running `amipub serve`, its stderr collected; killed when dropped.
pub struct Serve {
    child: Child,
    /// Where /healthz and /metrics answer.
    pub addr: String,
}

impl Serve {
    /// Starts serve and waits until it consumes.
    pub fn start(env: &Env) -> Self {
        let mut serve = Self::spawn(env);
        serve.wait_for_log("consuming", Duration::from_secs(60));
        serve
    }

    /// Starts serve with more arguments and waits until it consumes.
    pub fn start_with(env: &Env, extra: &[&str]) -> Self {
        let mut serve = Self::spawn_with(env, extra);
        serve.wait_for_log("consuming", Duration::from_secs(60));
        serve
    }

    /// Starts serve.
    pub fn spawn(env: &Env) -> Self {
        Self::spawn_with(env, &[])
    }

    /// Starts serve with more arguments.
    pub fn spawn_with(env: &Env, extra: &[&str]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec!["serve", "--listen", &addr];
        args.extend_from_slice(extra);
        let child = env.amipub(args).env("AMIPUB_TEST_BUS_PW", "guest").spawn();
        Serve { child, addr }
    }

    /// Waits until a log line contains `text`; panics with the log after `limit`.
    pub fn wait_for_log(&mut self, text: &str, limit: Duration) {
        if self.child.wait_for_stderr(text, limit) {
            return;
        }
        match self.child.try_wait() {
            Some(st) => panic!("serve exited ({st}) before {text:?}:\n{}", self.log_text()),
            None => panic!(
                "no log line with {text:?} within {limit:?}:\n{}",
                self.log_text()
            ),
        }
    }

    /// Its log (stderr) so far.
    pub fn log_text(&self) -> String {
        self.child.stderr().text()
    }

    /// The lines of its log that contain `text`.
    pub fn count_in_log(&self, text: &str) -> usize {
        self.child.stderr().count_lines(text)
    }

    /// SIGTERM, then the exit code (killed after 60 s: -9) and the whole log.
    pub fn stop(mut self) -> (i32, String) {
        let code = match self.child.terminate(Duration::from_secs(60)) {
            Some(st) => st.code().unwrap_or(-1),
            None => -9,
        };
        self.child.join_readers();
        (code, self.log_text())
    }
}

/// The machine's broker stopped (`rabbitmqctl stop_app`); started again when dropped, whatever
/// happens. Only for a test alone in its binary: every other test on the broker fails meanwhile.
pub struct Outage;

impl Outage {
    /// Stops the broker's application.
    pub fn begin() -> Self {
        rabbitmqctl(&["stop_app"]);
        Outage
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        let _ = process::run(Command::new("rabbitmqctl").arg("start_app"), CTL_LIMIT);
        let _ = process::run(
            Command::new("rabbitmqctl").args(["await_startup", "--timeout", "60"]),
            CTL_LIMIT,
        );
    }
}

/// A throwaway RabbitMQ node with its own CA (`scripts/tls-broker`) whose TLS listener demands a
/// client certificate; stopped when dropped.
pub struct TlsBroker {
    /// The node's directory: `ca.pem`, and `<name>.pem` with `<name>-key.pem` for the client
    /// certificates `client` (signed by the CA) and `rogue` (not).
    pub dir: PathBuf,
    /// The AMQPS port.
    pub tls_port: u16,
    /// The plain AMQP port (guest).
    pub tcp_port: u16,
}

fn tls_script() -> PathBuf {
    crate::root().join("scripts/tls-broker")
}

impl TlsBroker {
    /// Starts a node in `dir`.
    pub fn start(dir: &Path) -> Self {
        let out = process::run(
            Command::new(tls_script()).arg("start").arg(dir),
            Duration::from_secs(300),
        )
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "tls-broker: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = |name: &str| -> u16 {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {text:?}"))
        };
        TlsBroker {
            dir: dir.to_owned(),
            tls_port: port("port="),
            tcp_port: port("tcp="),
        }
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = process::run(
            Command::new(tls_script()).arg("stop").arg(&self.dir),
            Duration::from_secs(120),
        );
    }
}
