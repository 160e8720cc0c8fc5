//! Wake-ups in the SQL store (`Store::add_wake`, `Store::apply_wakes`). Each key heard of (a
//! change set that ended, a local lock holder that let go) is one `wakes` row until it is
//! applied: in one transaction, every unfinished release and job whose `waits_on` is the key and
//! which no live worker holds becomes due now. A key whose waiters were all free is forgotten;
//! one with a held waiter stays for the next turn, since its holder may be storing a later look
//! at this very moment. Only the row's `next_check_at` moves: the engine treats a row the store
//! found due as due, whatever its body says.

use sqlx::{AssertSqlSafe, Row};

use crate::db::SqlStore;
use crate::error::StoreError;

const TABLES: [&str; 2] = ["releases", "jobs"];

/// Stores a wake-up for `key` (a second one for the same key is the same wake-up).
pub(crate) async fn add(store: &SqlStore, key: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO wakes (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(now)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Applies the stored wake-ups; returns how many releases and jobs became due.
pub(crate) async fn apply(store: &SqlStore, now: i64) -> Result<usize, StoreError> {
    let keys: Vec<String> = sqlx::query("SELECT key FROM wakes ORDER BY at, key")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|row| row.try_get("key"))
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Ok(0);
    }
    let db_now = store.backend.now();
    let mut tx = store.pool.begin().await?;
    let mut woken = 0u64;
    for key in &keys {
        let mut held = 0i64;
        for table in TABLES {
            let wake = format!(
                "UPDATE {table} SET next_check_at = $1 \
                 WHERE waits_on = $2 AND terminal = 0 AND next_check_at > $1 \
                 AND (lease_owner IS NULL OR lease_until <= {db_now})"
            );
            woken += sqlx::query(AssertSqlSafe(wake))
                .bind(now)
                .bind(key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let busy = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE waits_on = $1 AND terminal = 0 \
                 AND lease_owner IS NOT NULL AND lease_until > {db_now}"
            );
            held += sqlx::query(AssertSqlSafe(busy))
                .bind(key)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>("n")?;
        }
        if held == 0 {
            sqlx::query("DELETE FROM wakes WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(usize::try_from(woken).unwrap_or(usize::MAX))
}
