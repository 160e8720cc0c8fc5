//! Releases in the SQL store: the engine's `Store` port (claims, fenced writes, the product lock
//! queue) and the queries the CLI reads with. A release's new state, its timeline entries and
//! its announcement are one transaction.

use amipub_domain::release::FailureKind;
use amipub_domain::release::Release;
use amipub_engine::ports::{Announcement, PortError, PortResult, Store, TimelineEntry};
use sqlx::Row;

use crate::backend::Backend;
use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::wall_now;
use crate::leased::{self, Table, Write};

pub(crate) fn decode(id: &str, body: &str) -> Result<Release, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        id: id.to_owned(),
        detail: e.to_string(),
    })
}

/// Releases from their (id, body) rows.
fn decode_all(rows: Vec<leased::Body>) -> Result<Vec<Release>, StoreError> {
    rows.iter().map(|(id, body)| decode(id, body)).collect()
}

fn rows_to_releases(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Release>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let body: String = row.try_get("body")?;
            decode(&id, &body)
        })
        .collect()
}

impl SqlStore {
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
}

impl Store for SqlStore {
    async fn claim_due(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> PortResult<Vec<Release>> {
        let rows = leased::claim_due(self, Table::Releases, now, worker, lease_secs, limit).await?;
        Ok(decode_all(rows)?)
    }

    async fn claim(
        &self,
        id: &str,
        _now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> PortResult<Option<Release>> {
        let row = leased::claim_one(self, Table::Releases, id, worker, lease_secs).await?;
        Ok(decode_all(row.into_iter().collect())?.pop())
    }

    async fn save(
        &self,
        release: &Release,
        timeline: &[TimelineEntry],
        announcements: &[Announcement],
    ) -> PortResult<()> {
        leased::free_gone_holder(self, Table::Releases, &release.id).await?;
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let written = write(
            &mut tx,
            self.backend,
            release,
            timeline,
            announcements,
            Write::Free,
        )
        .await;
        leased::finish(tx, written).await
    }

    async fn save_as(
        &self,
        worker: &str,
        release: &Release,
        timeline: &[TimelineEntry],
        announcements: &[Announcement],
    ) -> PortResult<()> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let token = self.token(Table::Releases, &release.id);
        let written = write(
            &mut tx,
            self.backend,
            release,
            timeline,
            announcements,
            Write::Holder(worker, token),
        )
        .await;
        leased::finish(tx, written).await
    }

    async fn release_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        Ok(leased::give_back(self, Table::Releases, id, worker).await?)
    }

    async fn product_busy(&self, product: &str, except: &str) -> PortResult<Option<String>> {
        Ok(self.take_product(product, except).await?)
    }

    async fn add_wake(&self, key: &str, now: i64) -> PortResult<()> {
        Ok(crate::waits::add(self, key, now).await?)
    }

    async fn apply_wakes(&self, now: i64) -> PortResult<usize> {
        Ok(crate::waits::apply(self, now).await?)
    }

    async fn recent_done(&self, product: &str, n: usize) -> PortResult<Vec<Release>> {
        let rows = sqlx::query(
            "SELECT id, body FROM releases WHERE product = $1 AND state = $2 \
             ORDER BY rowid DESC LIMIT $3",
        )
        .bind(product)
        .bind(amipub_domain::release::State::Done.name())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(rows_to_releases(rows)?)
    }
}

/// Writes a release with its timeline entries and announcement inside `tx`. A replacement
/// that `mode` refuses writes nothing and is an error naming the lease's holder.
pub(crate) async fn write(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    release: &Release,
    timeline: &[TimelineEntry],
    announcements: &[Announcement],
    mode: Write<'_>,
) -> Result<(), PortError> {
    let body = serde_json::to_string(release)
        .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))?;
    let now = wall_now();
    let sql = format!(
        "INSERT INTO releases (id, product, version, source_region, source_ami, state, terminal, \
             next_check_at, created_at, updated_at, body, waits_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $14) \
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, terminal = excluded.terminal, \
             next_check_at = excluded.next_check_at, updated_at = excluded.updated_at, \
             version = excluded.version, body = excluded.body, waits_on = excluded.waits_on \
         WHERE {}",
        Write::fence(Table::Releases, backend.now(), [11, 12, 13])
    );
    let written = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(release.id.as_str())
        .bind(&release.product)
        .bind(&release.version)
        .bind(release.source_region.as_str())
        .bind(&release.source_ami)
        .bind(release.state.name())
        .bind(i64::from(release.state.is_terminal()))
        .bind(release.next_check_at)
        .bind(now)
        .bind(body)
        .bind(mode.replaces())
        .bind(mode.holder())
        .bind(mode.token())
        .bind(release.waits_on())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from)?;
    if written.rows_affected() == 0 && mode.replaces() {
        return Err(leased::refused(tx, Table::Releases, &release.id, mode).await);
    }
    leased::append(tx, Table::Releases, &release.id, timeline).await?;
    for a in announcements {
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
