//! The outbox: announcements written in the same transaction as the transition that made them,
//! read by the sender, marked sent once the broker confirmed them.

use sqlx::Row;

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::{holder_gone, wall_now};

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

impl SqlStore {
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

    /// Announcements not yet confirmed sent that no other sender has claimed, claimed for
    /// `worker` for `secs` seconds, oldest first: of many workers, one sends each row (a
    /// sender that dies leaves its claim to run out, and the row is sent again with the same
    /// message id, which consumers de-duplicate).
    pub async fn outbox_claim(
        &self,
        worker: &str,
        limit: i64,
        secs: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.free_claims_of_gone_senders().await?;
        let now = self.backend.now();
        let sql = format!(
            "UPDATE outbox SET claim_owner = $1, claim_until = {now} + $2 WHERE id IN ( \
                 SELECT id FROM outbox WHERE sent_at IS NULL \
                 AND (claim_owner IS NULL OR claim_owner = $1 OR claim_until <= {now}) \
                 ORDER BY created_at, rowid LIMIT $3{}) \
             RETURNING id, release_id, topic, schema, body, attempts, sent_at, created_at, rowid",
            self.backend.skip_locked()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(secs)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut keyed = rows
            .into_iter()
            .map(|r| {
                let key: (i64, i64) = (r.try_get("created_at")?, r.try_get("rowid")?);
                Ok((key, outbox_row(r)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        keyed.sort_by_key(|(k, _)| *k);
        Ok(keyed.into_iter().map(|(_, r)| r).collect())
    }

    /// Frees the claims of senders of this host whose process is gone (killed mid-send), so
    /// their rows go out now rather than when the claims run out.
    async fn free_claims_of_gone_senders(&self) -> Result<(), StoreError> {
        let owners = sqlx::query(
            "SELECT DISTINCT claim_owner FROM outbox WHERE sent_at IS NULL AND claim_owner IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in owners {
            let owner: String = row.try_get("claim_owner")?;
            if holder_gone(&owner) {
                sqlx::query(
                    "UPDATE outbox SET claim_owner = NULL, claim_until = NULL \
                     WHERE claim_owner = $1 AND sent_at IS NULL",
                )
                .bind(&owner)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
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

fn outbox_row(r: sqlx::any::AnyRow) -> Result<OutboxRow, StoreError> {
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
