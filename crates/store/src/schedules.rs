//! Recurring work, as stored data: each schedule has the time it is next due, and a worker
//! takes a due one by moving that time forward in one conditional UPDATE, so of many workers
//! exactly one does the work of each turn, and a restart does not repeat it. The turn is taken
//! before the work: a worker that dies in the middle leaves that turn undone until the next.

use crate::db::SqlStore;
use crate::error::StoreError;

impl SqlStore {
    /// Whether schedule `name` is due at `now`; if so it is taken (next due `every` seconds
    /// later). A schedule seen for the first time is due at once.
    pub async fn take_schedule(
        &self,
        name: &str,
        now: i64,
        every: i64,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "INSERT INTO schedules (name, next_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let taken =
            sqlx::query("UPDATE schedules SET next_at = $1 WHERE name = $2 AND next_at <= $3")
                .bind(now + every)
                .bind(name)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// When schedule `name` is next due, if it exists.
    pub async fn schedule_due_at(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT next_at FROM schedules WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(sqlx::Row::try_get(&r, "next_at")?),
            None => None,
        })
    }

    /// Makes schedule `name` due at `at` (a turn that failed is tried again sooner).
    pub async fn defer_schedule(&self, name: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE schedules SET next_at = $1 WHERE name = $2")
            .bind(at)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
