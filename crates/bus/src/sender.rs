//! The announcement sender: takes the outbox's pending rows, publishes each to `amq.topic` under
//! the configured topic prefix with the Fedora Messaging envelope (JSON, UTF-8, persistent,
//! deterministic UUID `message_id`, headers `fedora_messaging_schema`,
//! `fedora_messaging_schema_package`, `fedora_messaging_severity`, `sent-at`, `priority`), waits
//! for the broker's confirm, and only then tells the outbox the row is sent. While the broker is
//! away the rows wait; a confirm lost with the connection means the row is sent again under the
//! same `message_id`, which consumers use to drop the copy.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use amipub_domain::messages::{SCHEMA_PACKAGE, message_uuid, severity};
use chrono::{DateTime, Utc};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Confirmation};
use tokio::sync::{Notify, watch};

use crate::config::BusConfig;
use crate::connect::{Pacing, SETUP_TIMEOUT, connect};
use crate::intake::EXCHANGE;
use crate::status::{BusStatus, Role};
use amipub_telemetry::events::BusConnected;

/// How often the outbox is looked at when nobody says there is something new.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// One announcement to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox row id (the `message_id` is derived from it).
    pub id: String,
    /// The schema (`amipub.release.published.v1`, …).
    pub schema: String,
    /// The topic without the environment prefix.
    pub topic: String,
    /// The JSON body.
    pub body: String,
}

/// Where announcements wait.
pub trait Outbox: Send + Sync {
    /// Rows not yet confirmed, oldest first.
    fn pending(&self) -> impl Future<Output = Result<Vec<Outgoing>, String>> + Send;
    /// The broker confirmed row `id`.
    fn sent(&self, row: &Outgoing) -> impl Future<Output = Result<(), String>> + Send;
}

/// The AMQP properties of an announcement sent at `at`.
pub fn envelope(o: &Outgoing, at: DateTime<Utc>) -> BasicProperties {
    let mut h = FieldTable::default();
    let s = |v: &str| AMQPValue::LongString(LongString::from(v));
    h.insert("fedora_messaging_schema".into(), s(&o.schema));
    h.insert("fedora_messaging_schema_package".into(), s(SCHEMA_PACKAGE));
    h.insert(
        "fedora_messaging_severity".into(),
        AMQPValue::LongInt(severity(&o.schema)),
    );
    h.insert(
        "sent-at".into(),
        s(&at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()),
    );
    h.insert("priority".into(), AMQPValue::LongInt(0));
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_content_encoding("utf-8".into())
        .with_delivery_mode(2)
        .with_priority(0)
        .with_message_id(message_uuid(&o.id).into())
        .with_headers(h)
}

/// Runs the sender until `shutdown` turns true (then sends what is pending once more, if the
/// broker is there, and stops). `wake` says the outbox has something new.
pub async fn run_sender<O: Outbox>(
    cfg: &BusConfig,
    outbox: &O,
    status: &BusStatus,
    wake: &Notify,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut pacing = Pacing::new("sender");
    loop {
        let started = Instant::now();
        match session(cfg, outbox, status, wake, &mut shutdown).await {
            Ok(()) => {
                status.sender_connected.store(false, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                let was_up = status.sender_connected.swap(false, Ordering::Relaxed);
                if *shutdown.borrow() {
                    tracing::warn!(
                        "sender: {e}; stopping with announcements still queued (they go out at the next start)"
                    );
                    return;
                }
                let wait = pacing.failed(
                    e,
                    was_up,
                    started.elapsed(),
                    "announcements wait in the outbox",
                );
                status.reconnecting(Role::Sender);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

async fn session<O: Outbox>(
    cfg: &BusConfig,
    outbox: &O,
    status: &BusStatus,
    wake: &Notify,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let conn = connect(cfg, "sender").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| format!("opening a channel: {e}"))?;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| format!("turning on publisher confirms: {e}"))?;
    status.sender_connected.store(true, Ordering::Relaxed);
    let detail = format!("connected to {}", cfg.safe_url());
    BusConnected {
        role: "sender",
        detail: &detail,
    }
    .emit();
    loop {
        let stopping = *shutdown.borrow();
        let rows = match outbox.pending().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("sender: cannot read the outbox: {e}");
                Vec::new()
            }
        };
        let mut unmarked = false;
        for row in &rows {
            let key = format!("{}{}", cfg.topic_prefix, row.topic);
            let publishing = async {
                ch.basic_publish(
                    EXCHANGE.into(),
                    key.as_str().into(),
                    BasicPublishOptions::default(),
                    row.body.as_bytes(),
                    envelope(row, Utc::now()),
                )
                .await
                .map_err(|e| format!("publishing {}: {e}", row.id))?
                .await
                .map_err(|e| format!("waiting for the confirm of {}: {e}", row.id))
            };
            // A broker that stops confirming (a memory alarm, a stalled link) is treated as gone.
            let confirm = tokio::time::timeout(SETUP_TIMEOUT, publishing)
                .await
                .map_err(|_| {
                    format!(
                        "no confirm for {} within {} s",
                        row.id,
                        SETUP_TIMEOUT.as_secs()
                    )
                })??;
            match confirm {
                Confirmation::Ack(_) | Confirmation::NotRequested => {
                    if let Err(e) = outbox.sent(row).await {
                        // Sent but not marked: it goes out again later under the same id, after
                        // a pause (never in a tight loop).
                        tracing::warn!("sender: {} was sent but cannot be marked: {e}", row.id);
                        unmarked = true;
                        break;
                    }
                    status.announced(&row.id, &key);
                }
                Confirmation::Nack(_) => {
                    return Err(format!("the broker refused {} (nack)", row.id));
                }
            }
        }
        if stopping {
            let _ = conn.close(200, "amipub is stopping".into()).await;
            return Ok(());
        }
        if rows.is_empty() || unmarked {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_follows_the_fedora_wire_format() {
        let o = Outgoing {
            id: "r-0123456789ab-failed-0".into(),
            schema: "amipub.release.failed.v1".into(),
            topic: "amipub.release.failed.v1".into(),
            body: "{}".into(),
        };
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let p = envelope(&o, at);
        assert_eq!(
            p.content_type().as_ref().unwrap().as_str(),
            "application/json"
        );
        assert_eq!(*p.delivery_mode(), Some(2));
        assert_eq!(
            p.message_id().as_ref().unwrap().as_str(),
            message_uuid("r-0123456789ab-failed-0")
        );
        let h = p.headers().as_ref().unwrap().inner();
        assert_eq!(h["fedora_messaging_severity"], AMQPValue::LongInt(40));
        assert_eq!(
            h["sent-at"],
            AMQPValue::LongString(LongString::from("2023-11-14T22:13:20+00:00"))
        );
        assert_eq!(
            h["fedora_messaging_schema"],
            AMQPValue::LongString(LongString::from("amipub.release.failed.v1"))
        );
    }
}
