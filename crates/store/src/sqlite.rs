//! The SQLite store. WAL mode (readers never block the writer), a busy timeout instead of
//! "database is locked", foreign keys on. Every write that belongs together — a release's new
//! state, its timeline entries and its announcement — is one transaction.

use std::str::FromStr;
use std::time::Duration;

use amipub_domain::release::FailureKind;
use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Announcement, PortError, PortResult, Store, TimelineEntry};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::error::StoreError;
use crate::lease::wall_now;
use crate::leased::{self, Table, Write};

/// Connections in the pool: one writer at a time anyway; a few for readers.
const POOL_SIZE: u32 = 4;
/// How long a writer waits for another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

fn decode(id: &str, body: &str) -> Result<Release, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        id: id.to_owned(),
        detail: e.to_string(),
    })
}

/// Releases from their (id, body) rows.
fn decode_all(rows: Vec<leased::Body>) -> Result<Vec<Release>, StoreError> {
    rows.iter().map(|(id, body)| decode(id, body)).collect()
}

fn rows_to_releases(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Release>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let body: String = row.try_get("body")?;
            decode(&id, &body)
        })
        .collect()
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` — `sqlite://PATH`, `sqlite::memory:` or a
    /// plain path — and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else if url.contains("://") {
            return Err(StoreError::Url(url.to_owned()));
        } else {
            format!("sqlite://{url}")
        };
        let memory = url.contains(":memory:");
        let mut options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        if !memory {
            options = options
                .journal_mode(SqliteJournalMode::Wal)
                // Every commit reaches the disk before amipub acts on it (a bus message is acked
                // only after its release is stored).
                .synchronous(SqliteSynchronous::Full);
        }
        // An in-memory database exists once per connection: keep exactly one.
        let size = if memory { 1 } else { POOL_SIZE };
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            .connect_with(options)
            .await?;
        crate::migrate::run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes the pool (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// One release.
    pub async fn get(&self, id: &str) -> Result<Option<Release>, StoreError> {
        let row = sqlx::query("SELECT id, body FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(rows_to_releases(row.into_iter().collect())?.pop())
    }

    /// Releases whose id starts with `prefix` (for `show`, `retry`, `cancel` with a short id).
    pub async fn find(&self, prefix: &str) -> Result<Vec<Release>, StoreError> {
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT id, body FROM releases WHERE id LIKE $1 ESCAPE '\\' ORDER BY rowid LIMIT 20",
        )
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        rows_to_releases(rows)
    }

    /// The newest `limit` releases, newest first.
    pub async fn list(&self, limit: i64) -> Result<Vec<Release>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM releases ORDER BY rowid DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows_to_releases(rows)
    }

    /// The release of `product` for `source_ami` and `version`, if one was recorded.
    pub async fn by_source(
        &self,
        product: &str,
        source_ami: &str,
        version: &str,
    ) -> Result<Option<Release>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, body FROM releases WHERE product = $1 AND source_ami = $2 AND version = $3",
        )
        .bind(product)
        .bind(source_ami)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows_to_releases(rows)?.pop())
    }

    /// A release of `product` from `source_ami`, whatever its version, if one was recorded.
    pub async fn release_of_source(
        &self,
        product: &str,
        source_ami: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM releases WHERE product = $1 AND source_ami = $2 ORDER BY rowid LIMIT 1",
        )
        .bind(product)
        .bind(source_ami)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("id")?),
            None => None,
        })
    }

    /// Releases that are not finished.
    pub async fn active(&self) -> Result<Vec<Release>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM releases WHERE terminal = 0 ORDER BY rowid")
            .fetch_all(&self.pool)
            .await?;
        rows_to_releases(rows)
    }

    /// A release's timeline, oldest first.
    pub async fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        leased::timeline(&self.pool, Table::Releases, id).await
    }

    /// How many releases are in each state.
    pub async fn state_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts("SELECT state AS k, COUNT(*) AS n FROM releases GROUP BY state")
            .await
    }

    /// Lifecycle jobs by state.
    pub async fn job_state_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts("SELECT state AS k, COUNT(*) AS n FROM jobs GROUP BY state")
            .await
    }

    /// When the oldest release still in flight was received (engine clock), if any is.
    pub async fn oldest_in_flight(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT MIN(created_at) AS t FROM releases WHERE terminal = 0")
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
}

impl Store for SqliteStore {
    async fn claim_due(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> PortResult<Vec<Release>> {
        let rows =
            leased::claim_due(&self.pool, Table::Releases, now, worker, lease_secs, limit).await?;
        Ok(decode_all(rows)?)
    }

    async fn claim(
        &self,
        id: &str,
        _now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> PortResult<Option<Release>> {
        let row = leased::claim_one(&self.pool, Table::Releases, id, worker, lease_secs).await?;
        Ok(decode_all(row.into_iter().collect())?.pop())
    }

    async fn save(
        &self,
        release: &Release,
        timeline: &[TimelineEntry],
        announcement: Option<&Announcement>,
    ) -> PortResult<()> {
        leased::free_gone_holder(&self.pool, Table::Releases, &release.id).await?;
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        write(&mut tx, release, timeline, announcement, Write::Free).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn save_as(
        &self,
        worker: &str,
        release: &Release,
        timeline: &[TimelineEntry],
        announcement: Option<&Announcement>,
    ) -> PortResult<()> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        write(
            &mut tx,
            release,
            timeline,
            announcement,
            Write::Holder(worker),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn release_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        Ok(leased::give_back(&self.pool, Table::Releases, id, worker).await?)
    }

    async fn product_busy(&self, product: &str, except: &str) -> PortResult<Option<String>> {
        // The lock queue: a release of the product that is scanning holds it; among those
        // submitting, the oldest goes first.
        let row = sqlx::query(
            "SELECT id FROM releases WHERE product = $1 AND id <> $2 AND \
               (state = $3 OR (state = $4 AND rowid < (SELECT rowid FROM releases WHERE id = $2))) \
             ORDER BY rowid LIMIT 1",
        )
        .bind(product)
        .bind(except)
        .bind(State::Scanning.name())
        .bind(State::Submitting.name())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from)?;
        match row {
            Some(r) => Ok(Some(r.try_get("id").map_err(StoreError::from)?)),
            // A lifecycle job with a change set on the product holds it too.
            None => Ok(self.job_holding(product, except).await?),
        }
    }
}

/// Writes a release (inserted, or updated when `overwrite`), its timeline entries and its
/// announcement inside `tx`.
/// Writes a release with its timeline entries and announcement. A replacement that `mode`
/// refuses writes nothing and is an error naming the lease's holder.
pub(crate) async fn write(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    release: &Release,
    timeline: &[TimelineEntry],
    announcement: Option<&Announcement>,
    mode: Write<'_>,
) -> Result<(), PortError> {
    let body = serde_json::to_string(release)
        .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))?;
    let now = wall_now();
    let written = sqlx::query(
        "INSERT INTO releases (id, product, version, source_region, source_ami, state, terminal, \
             next_check_at, created_at, updated_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, terminal = excluded.terminal, \
             next_check_at = excluded.next_check_at, updated_at = excluded.updated_at, \
             version = excluded.version, body = excluded.body \
         WHERE $11 AND (($12 IS NULL AND (releases.lease_owner IS NULL OR releases.lease_until <= $9)) \
             OR (releases.lease_owner = $12 AND releases.lease_until > $9))",
    )
    .bind(release.id.as_str())
    .bind(&release.product)
    .bind(&release.version)
    .bind(release.source_region.as_str())
    .bind(&release.source_ami)
    .bind(release.state.name())
    .bind(release.state.is_terminal())
    .bind(release.next_check_at)
    .bind(now)
    .bind(body)
    .bind(mode.replaces())
    .bind(mode.holder())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    if written.rows_affected() == 0 && mode.replaces() {
        return Err(leased::refused(tx, Table::Releases, &release.id, mode).await);
    }
    leased::append(tx, Table::Releases, &release.id, timeline).await?;
    if let Some(a) = announcement {
        sqlx::query(
            "INSERT INTO outbox (id, release_id, topic, schema, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&a.id)
        .bind(release.id.as_str())
        .bind(&a.topic)
        .bind(&a.schema)
        .bind(&a.body)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from)?;
    }
    Ok(())
}
