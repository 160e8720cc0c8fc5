//! The outbox: announcements written in the same transaction as the transition that made them,
//! read by the sender, marked sent once the broker confirmed them.

use sqlx::Row;

use crate::error::StoreError;
use crate::lease::wall_now;
use crate::sqlite::SqliteStore;

/// An announcement waiting to be sent (or sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Message id.
    pub id: String,
    /// The release it announces.
    pub release_id: String,
    /// Topic.
    pub topic: String,
    /// Schema (`amipub.release.published.v1`, …).
    pub schema: String,
    /// JSON body.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was confirmed sent (epoch seconds).
    pub sent_at: Option<i64>,
}

impl SqliteStore {
    /// Announcements not yet confirmed sent, oldest first.
    pub async fn outbox_pending(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, release_id, topic, schema, body, attempts, sent_at FROM outbox \
             WHERE sent_at IS NULL ORDER BY created_at, rowid LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(outbox_row).collect()
    }

    /// How many announcements wait to be sent.
    pub async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Every announcement of a release (sent or not).
    pub async fn outbox_of(&self, release_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, release_id, topic, schema, body, attempts, sent_at FROM outbox WHERE release_id = $1 ORDER BY rowid",
        )
        .bind(release_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(outbox_row).collect()
    }

    /// Records a delivery attempt; `sent` marks the row delivered.
    pub async fn outbox_attempt(&self, id: &str, sent: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, \
             sent_at = CASE WHEN $2 THEN COALESCE(sent_at, $3) ELSE sent_at END WHERE id = $1",
        )
        .bind(id)
        .bind(sent)
        .bind(wall_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn outbox_row(r: sqlx::sqlite::SqliteRow) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        release_id: r.try_get("release_id")?,
        topic: r.try_get("topic")?,
        schema: r.try_get("schema")?,
        body: r.try_get("body")?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
    })
}
