//! The SQL store: one pool on SQLite or PostgreSQL (`backend`), opened with its schema checked,
//! and the fencing tokens of the leases this process holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{AnyPool, Row};

use crate::backend::{Backend, Connect};
use crate::error::StoreError;
use crate::migrate;
use crate::table::Table;

/// amipub's durable state, on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// The token each lease this process holds was granted with, by (table, row id): a write
    /// is fenced by it, so only the latest grant can write.
    pub(crate) tokens: Arc<Mutex<HashMap<(Table, String), i64>>>,
    /// How it was reached (for the notification listener's own connection).
    pub(crate) connect: Arc<Connect>,
}

impl SqlStore {
    /// Opens the store. A SQLite file (this machine's own) is created when missing and its
    /// schema brought up to date; a PostgreSQL database must already be migrated (`amipub
    /// migrate`), and one that is not, or is newer than this amipub, is refused saying so.
    pub async fn open(connect: impl Into<Connect>) -> Result<Self, StoreError> {
        let store = Self::connect(&connect.into()).await?;
        match store.backend {
            Backend::Sqlite => {
                migrate::run(&store.pool, store.backend).await?;
            }
            Backend::Postgres => migrate::require(&store.pool).await?,
        }
        Ok(store)
    }

    /// Connects without looking at the schema (for `amipub migrate`).
    pub async fn connect(connect: &Connect) -> Result<Self, StoreError> {
        let (backend, pool) = connect.pool().await?;
        Ok(Self {
            pool,
            backend,
            tokens: Arc::default(),
            connect: Arc::new(connect.clone()),
        })
    }

    /// Applies the migrations the database lacks; how many ran.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrate::run(&self.pool, self.backend).await
    }

    /// The database's schema version (0: none yet).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::version(&self.pool).await
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (checkpointing a SQLite WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The earliest time (engine clock) at which an unfinished release or job that no live
    /// lease holds is due; `0` for one due at once, `None` when there is none.
    pub async fn next_due(&self) -> Result<Option<i64>, StoreError> {
        let now = self.backend.now();
        let free = format!("terminal = 0 AND (lease_owner IS NULL OR lease_until <= {now})");
        let sql = format!(
            "SELECT MIN(t) AS t FROM ( \
                 SELECT MIN(COALESCE(next_check_at, 0)) AS t FROM releases WHERE {free} \
                 UNION ALL SELECT MIN(COALESCE(next_check_at, 0)) AS t FROM jobs WHERE {free}) due"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("t")?)
    }

    /// (key `k`, count `n`) rows of a grouping query.
    pub(crate) async fn counts(&self, sql: &'static str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
            .collect()
    }

    /// Remembers the token a lease was granted with.
    pub(crate) fn hold(&self, table: Table, id: &str, token: i64) {
        if let Ok(mut t) = self.tokens.lock() {
            t.insert((table, id.to_owned()), token);
        }
    }

    /// The token of a lease this process holds, if any.
    pub(crate) fn token(&self, table: Table, id: &str) -> Option<i64> {
        self.tokens
            .lock()
            .ok()
            .and_then(|t| t.get(&(table, id.to_owned())).copied())
    }

    /// Forgets a lease given back.
    pub(crate) fn forget(&self, table: Table, id: &str) {
        if let Ok(mut t) = self.tokens.lock() {
            t.remove(&(table, id.to_owned()));
        }
    }
}
