//! The inbox: every build announcement that reached amipub, with what became of it (accepted,
//! duplicate, ignored, dead-lettered and why), and the intake keys that make one release of a
//! product's build whatever message announces it. A delivery's inbox row, its new releases and
//! their keys are written in one transaction, so a crash leaves either all or nothing and the
//! redelivered message is judged again.

use amipub_domain::release::Release;
use amipub_engine::ports::TimelineEntry;
use sqlx::Row;

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::leased::Write;
use crate::releases::write;

/// The most bytes of a body kept in the inbox (the dead-letter queue keeps all of it).
const KEPT_BODY: usize = 64 * 1024;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The AMQP `message_id` (or a digest of the delivery when it has none).
    pub message_id: String,
    /// When it arrived (epoch seconds).
    pub received_at: i64,
    /// Its routing key.
    pub topic: String,
    /// `accepted`, `duplicate`, `ignored` or `dead`.
    pub outcome: String,
    /// For dead letters: the reason code and detail.
    pub reason: Option<String>,
    /// The releases it made or matched, comma-separated.
    pub release_id: Option<String>,
    /// The body (up to 64 KiB, lossy UTF-8).
    pub body: String,
}

impl InboxEntry {
    /// An entry for a delivery; the body is cut to what the inbox keeps.
    pub fn new(message_id: &str, received_at: i64, topic: &str, body: &[u8]) -> Self {
        let kept = &body[..body.len().min(KEPT_BODY)];
        Self {
            message_id: message_id.to_owned(),
            received_at,
            topic: topic.to_owned(),
            outcome: String::new(),
            reason: None,
            release_id: None,
            body: String::from_utf8_lossy(kept).into_owned(),
        }
    }
}

/// A release a delivery made: its intake key (product + source AMI), the release and its first
/// timeline entry.
pub type Intake = (String, Release, TimelineEntry);

impl SqlStore {
    /// The outcome and reason recorded for a message id, if it was seen before.
    pub async fn inbox_outcome(
        &self,
        message_id: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let row = sqlx::query("SELECT outcome, reason FROM inbox WHERE message_id = $1")
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("outcome")?, r.try_get("reason")?)),
            None => None,
        })
    }

    /// The release an intake key (product + source AMI) already made, if any.
    pub async fn intake_release(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT release_id FROM intake_keys WHERE dedupe_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("release_id")?),
            None => None,
        })
    }

    /// Records a delivery: its inbox row and the releases it made with their keys, in one
    /// transaction. A release id or key already present is left as it is; a message id already
    /// present keeps its first outcome, unless that was `dead` (a message judged again after
    /// its cause was fixed takes the new outcome).
    pub async fn take_delivery(
        &self,
        entry: &InboxEntry,
        made: &[Intake],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (key, release, first) in made {
            let exists = sqlx::query("SELECT 1 FROM releases WHERE id = $1")
                .bind(release.id.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists {
                write(
                    &mut tx,
                    self.backend,
                    release,
                    std::slice::from_ref(first),
                    &[],
                    Write::Insert,
                )
                .await
                .map_err(|e| StoreError::Corrupt {
                    id: release.id.to_string(),
                    detail: e.detail,
                })?;
            }
            sqlx::query(
                "INSERT INTO intake_keys (dedupe_key, release_id, message_id, received_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(key)
            .bind(release.id.as_str())
            .bind(&entry.message_id)
            .bind(entry.received_at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO inbox (message_id, received_at, topic, outcome, reason, release_id, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO UPDATE SET \
                 received_at = excluded.received_at, outcome = excluded.outcome, \
                 reason = excluded.reason, release_id = excluded.release_id \
             WHERE inbox.outcome = 'dead'",
        )
        .bind(&entry.message_id)
        .bind(entry.received_at)
        .bind(&entry.topic)
        .bind(&entry.outcome)
        .bind(&entry.reason)
        .bind(&entry.release_id)
        .bind(&entry.body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inbox rows, newest first; only those with `outcome` when given.
    pub async fn inbox(
        &self,
        outcome: Option<&str>,
        limit: i64,
    ) -> Result<Vec<InboxEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT message_id, received_at, topic, outcome, reason, release_id, body FROM inbox \
             WHERE $1 IS NULL OR outcome = $1 ORDER BY received_at DESC, rowid DESC LIMIT $2",
        )
        .bind(outcome)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(InboxEntry {
                    message_id: r.try_get("message_id")?,
                    received_at: r.try_get("received_at")?,
                    topic: r.try_get("topic")?,
                    outcome: r.try_get("outcome")?,
                    reason: r.try_get("reason")?,
                    release_id: r.try_get("release_id")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }

    /// How many inbox rows have each outcome.
    pub async fn inbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts("SELECT outcome AS k, COUNT(*) AS n FROM inbox GROUP BY outcome")
            .await
    }
}
