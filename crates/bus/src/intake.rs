//! The intake consumer: a durable queue bound to `amq.topic` with the configured patterns, a
//! dead-letter queue beside it, prefetch and manual acks. Each delivery goes to the handler; a
//! delivery is acked (in batches while deliveries keep coming, `Acks`) only after its outcome is
//! safe: recorded by the handler, or, for a dead letter, copied into the dead-letter queue (with
//! `x-amipub-reason`, `x-amipub-detail` and the original routing key as headers) and confirmed by
//! the broker. A lost connection is re-opened with capped backoff; unacked deliveries come back
//! from the broker and the handler's inbox makes them harmless. On shutdown the consumer is
//! cancelled after the delivery in hand.

use std::sync::atomic::Ordering;
use std::time::Instant;

use futures_util::{FutureExt, StreamExt};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, Consumer};
use tokio::sync::watch;

use crate::config::BusConfig;
use crate::connect::{Pacing, SETUP_TIMEOUT, backoff, connect};
use crate::status::{BusStatus, Role};
use amipub_telemetry::events::BusConnected;

/// The exchange Fedora Messaging publishes to.
pub const EXCHANGE: &str = "amq.topic";
/// The consumer's tag.
const CONSUMER_TAG: &str = "amipub-intake";
/// Longest dead-letter detail kept in the header.
const DETAIL_MAX: usize = 1000;

/// A delivery as the handler sees it.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// `message_id`, if set.
    pub message_id: Option<String>,
    /// The routing key.
    pub routing_key: String,
    /// `content_type`.
    pub content_type: Option<String>,
    /// `content_encoding`.
    pub content_encoding: Option<String>,
    /// The `fedora_messaging_schema` header.
    pub schema: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the broker delivered it before.
    pub redelivered: bool,
}

/// What to do with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Done with it (the label counts it: `accepted`, `duplicate`, `ignored`, `irrelevant`).
    Ack(&'static str),
    /// Copy into the dead-letter queue with the reason, then ack.
    DeadLetter {
        /// Reason code.
        reason: String,
        /// What exactly is wrong.
        detail: String,
    },
    /// Cannot decide now (the store or AWS is away): give it back to the queue.
    Requeue(String),
}

/// Decides about deliveries.
pub trait Handler: Send + Sync {
    /// The outcome for one delivery, once it is safely recorded.
    fn handle(&self, m: &Incoming) -> impl Future<Output = Disposition> + Send;
}

fn header_str(h: &FieldTable, key: &str) -> Option<String> {
    match h.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

impl Incoming {
    fn of(d: &lapin::message::Delivery) -> Self {
        let p = &d.properties;
        Self {
            message_id: p.message_id().as_ref().map(|s| s.as_str().to_owned()),
            routing_key: d.routing_key.as_str().to_owned(),
            content_type: p.content_type().as_ref().map(|s| s.as_str().to_owned()),
            content_encoding: p.content_encoding().as_ref().map(|s| s.as_str().to_owned()),
            schema: p
                .headers()
                .as_ref()
                .and_then(|h| header_str(h, "fedora_messaging_schema")),
            body: d.data.clone(),
            redelivered: d.redelivered,
        }
    }
}

/// Runs the intake until `shutdown` turns true, reconnecting as needed.
pub async fn run_intake<H: Handler>(
    cfg: &BusConfig,
    handler: &H,
    status: &BusStatus,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut pacing = Pacing::new("intake");
    loop {
        if *shutdown.borrow() {
            return;
        }
        let started = Instant::now();
        match session(cfg, handler, status, &mut shutdown).await {
            Ok(()) => {
                status.intake_connected.store(false, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                let was_up = status.intake_connected.swap(false, Ordering::Relaxed);
                let wait =
                    pacing.failed(e, was_up, started.elapsed(), "trying again (every ≤ 30 s)");
                status.reconnecting(Role::Intake);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

/// Declares the queue, its dead-letter queue and the bindings, then disconnects: messages
/// published from then on wait for the intake.
pub async fn prepare(cfg: &BusConfig) -> Result<(), String> {
    let conn = connect(cfg, "prepare").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| format!("opening a channel: {e}"))?;
    declare(&ch, cfg)
        .await
        .map_err(|e| format!("declaring queue {}: {e}", cfg.queue))?;
    let _ = conn.close(200, "declared".into()).await;
    Ok(())
}

/// Declares the queues and bindings (idempotent) on `ch`.
async fn declare(ch: &Channel, cfg: &BusConfig) -> lapin::Result<()> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(cfg.queue.as_str().into(), durable, FieldTable::default())
        .await?;
    ch.queue_declare(
        cfg.dead_letter_queue.as_str().into(),
        durable,
        FieldTable::default(),
    )
    .await?;
    for pattern in &cfg.bindings {
        ch.queue_bind(
            cfg.queue.as_str().into(),
            EXCHANGE.into(),
            pattern.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    }
    Ok(())
}

/// Connects, declares, sets prefetch and confirms, and starts consuming.
async fn open(cfg: &BusConfig) -> Result<(Connection, Channel, Consumer), String> {
    let conn = connect(cfg, "intake").await?;
    let err = |what: &str, e: lapin::Error| format!("{what}: {e}");
    let setup = async {
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| err("opening a channel", e))?;
        declare(&ch, cfg)
            .await
            .map_err(|e| err(&format!("declaring queue {}", cfg.queue), e))?;
        ch.basic_qos(cfg.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| err("setting prefetch", e))?;
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| err("turning on publisher confirms", e))?;
        let consumer = ch
            .basic_consume(
                cfg.queue.as_str().into(),
                CONSUMER_TAG.into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| err(&format!("consuming from {}", cfg.queue), e))?;
        Ok::<_, String>((ch, consumer))
    };
    match tokio::time::timeout(SETUP_TIMEOUT, setup).await {
        Ok(Ok((ch, consumer))) => Ok((conn, ch, consumer)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!(
            "the broker did not finish setting up the consumer within {} s",
            SETUP_TIMEOUT.as_secs()
        )),
    }
}

async fn session<H: Handler>(
    cfg: &BusConfig,
    handler: &H,
    status: &BusStatus,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let err = |what: &str, e: lapin::Error| format!("{what}: {e}");
    // Nothing is in hand while connecting: a stop request ends it at once.
    let (conn, ch, mut consumer) = tokio::select! {
        opened = open(cfg) => opened?,
        _ = shutdown.wait_for(|s| *s) => return Ok(()),
    };
    status.intake_connected.store(true, Ordering::Relaxed);
    let detail = format!(
        "consuming {} on {} (bindings: {})",
        cfg.queue,
        cfg.safe_url(),
        cfg.bindings.join(", ")
    );
    BusConnected {
        role: "intake",
        detail: &detail,
    }
    .emit();
    let (mut requeues, mut said) = (0u32, String::new());
    let mut acks = Acks::default();
    loop {
        // A stop ends the session after the delivery in hand, even while deliveries keep coming.
        if *shutdown.borrow() {
            stop(&ch, &conn, acks).await;
            return Ok(());
        }
        // While deliveries keep coming, their acks go out together; before waiting, they go.
        let next = match consumer.next().now_or_never() {
            Some(d) => d,
            None => {
                acks.flush().await.map_err(|e| err("acknowledging", e))?;
                tokio::select! {
                    d = consumer.next() => d,
                    _ = shutdown.wait_for(|s| *s) => {
                        stop(&ch, &conn, acks).await;
                        return Ok(());
                    }
                }
            }
        };
        let delivery = match next {
            Some(Ok(d)) => d,
            Some(Err(e)) => return Err(format!("the connection broke: {e}")),
            None => return Err("the broker cancelled the consumer".into()),
        };
        let incoming = Incoming::of(&delivery);
        match handler.handle(&incoming).await {
            Disposition::Ack(outcome) => {
                acks.add(delivery, cfg.prefetch)
                    .await
                    .map_err(|e| err("acknowledging", e))?;
                status.delivered(outcome);
            }
            Disposition::DeadLetter { reason, detail } => {
                acks.flush().await.map_err(|e| err("acknowledging", e))?;
                dead_letter(&ch, cfg, &delivery, &reason, &detail).await?;
                delivery
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(|e| err("acknowledging", e))?;
                status.delivered("dead");
                status.dead_lettered(&reason, &detail);
            }
            Disposition::Requeue(why) => {
                // Whatever is away will not be back in a millisecond: wait longer each time in a
                // row (1 s doubling to 30 s), and say so once per cause.
                let wait = backoff(requeues);
                requeues = requeues.saturating_add(1);
                if why != said {
                    tracing::warn!(
                        "intake: handing messages back to the queue: {why} (next look in ≤ 30 s)"
                    );
                    said = why;
                }
                acks.flush().await.map_err(|e| err("acknowledging", e))?;
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    })
                    .await
                    .map_err(|e| err("handing back", e))?;
                status.delivered("requeued");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.wait_for(|s| *s) => {}
                }
                continue;
            }
        }
        requeues = 0;
        said.clear();
    }
}

/// Ends a session on request: the waiting acks go out, the consumer is cancelled, the
/// connection closed.
async fn stop(ch: &Channel, conn: &Connection, acks: Acks) {
    let _ = acks.flush_last().await;
    let _ = ch
        .basic_cancel(CONSUMER_TAG.into(), BasicCancelOptions::default())
        .await;
    let _ = conn.close(200, "amipub is stopping".into()).await;
}

/// Deliveries whose outcome is safe but whose ack has not gone out yet: acked together, with one
/// `multiple` ack of the latest (a channel's delivery tags only grow, and every earlier one is
/// settled), when half the prefetch window is waiting, before a dead letter or a hand-back, and
/// before the consumer waits. Lost with the connection, they come back and are judged again as
/// duplicates.
#[derive(Default)]
struct Acks {
    latest: Option<lapin::message::Delivery>,
    waiting: u16,
}

impl Acks {
    async fn add(&mut self, d: lapin::message::Delivery, prefetch: u16) -> lapin::Result<()> {
        self.latest = Some(d);
        self.waiting += 1;
        if self.waiting >= (prefetch / 2).max(1) {
            self.flush().await?;
        }
        Ok(())
    }

    /// Flushes, for the last time.
    async fn flush_last(mut self) -> lapin::Result<()> {
        self.flush().await
    }

    async fn flush(&mut self) -> lapin::Result<()> {
        let Some(d) = self.latest.take() else {
            return Ok(());
        };
        self.waiting = 0;
        d.ack(BasicAckOptions { multiple: true }).await.map(|_| ())
    }
}

/// Copies a delivery into the dead-letter queue with the reason and waits for the broker's
/// confirm.
async fn dead_letter(
    ch: &Channel,
    cfg: &BusConfig,
    d: &lapin::message::Delivery,
    reason: &str,
    detail: &str,
) -> Result<(), String> {
    let mut headers = d.properties.headers().clone().unwrap_or_default();
    let cut: String = detail.chars().take(DETAIL_MAX).collect();
    headers.insert(
        "x-amipub-reason".into(),
        AMQPValue::LongString(LongString::from(reason)),
    );
    headers.insert(
        "x-amipub-detail".into(),
        AMQPValue::LongString(LongString::from(cut)),
    );
    headers.insert(
        "x-amipub-routing-key".into(),
        AMQPValue::LongString(LongString::from(d.routing_key.as_str())),
    );
    // Fresh properties: the original's user_id or expiration would get the copy refused or
    // expired. Mandatory: if the dead-letter queue is gone, the copy comes back instead of
    // vanishing, and the original stays unacked.
    let p = &d.properties;
    let mut props = BasicProperties::default()
        .with_headers(headers)
        .with_delivery_mode(2);
    if let Some(v) = p.content_type() {
        props = props.with_content_type(v.clone());
    }
    if let Some(v) = p.content_encoding() {
        props = props.with_content_encoding(v.clone());
    }
    if let Some(v) = p.message_id() {
        props = props.with_message_id(v.clone());
    }
    if let Some(v) = p.timestamp() {
        props = props.with_timestamp(*v);
    }
    let confirm = ch
        .basic_publish(
            "".into(),
            cfg.dead_letter_queue.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            &d.data,
            props,
        )
        .await
        .map_err(|e| format!("copying into {}: {e}", cfg.dead_letter_queue))?
        .await
        .map_err(|e| format!("copying into {}: {e}", cfg.dead_letter_queue))?;
    match confirm {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(_)) => Err(format!(
            "the dead-letter queue {} does not exist (the copy came back); the message stays queued",
            cfg.dead_letter_queue
        )),
        Confirmation::Nack(_) => Err(format!(
            "the broker refused the copy into {}",
            cfg.dead_letter_queue
        )),
    }
}
