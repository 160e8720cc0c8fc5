//! Lifecycle jobs in the SQL store: the engine's `Jobs` port (claims and leases as for releases, every
//! worker's write fenced by its lease) and the queries `status` and `show` read with.

use amipub_domain::job::{Job, JobState};
use amipub_domain::release::{FailureKind, Release, State};
use amipub_engine::lifecycle_ports::{Created, Jobs};
use amipub_engine::ports::{Announcement, PortError, PortResult, TimelineEntry};
use sqlx::Row;

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::wall_now;
use crate::leased::{self, Table, Write};
use crate::products::ProductIds;

pub(crate) fn decode(id: &str, body: &str) -> Result<Job, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        id: id.to_owned(),
        detail: e.to_string(),
    })
}

/// Jobs from their (`id`, `body`) rows.
fn decode_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Job>, StoreError> {
    rows.iter()
        .map(|r| {
            decode(
                &r.try_get::<String, _>("id")?,
                &r.try_get::<String, _>("body")?,
            )
        })
        .collect()
}
impl SqlStore {
    /// One job by id or unique id prefix (ids start with `j-`).
    pub async fn find_jobs(&self, prefix: &str) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM jobs WHERE id LIKE $1 || '%' LIMIT 10")
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
        decode_rows(&rows)
    }

    /// One job by its exact id.
    pub async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_rows(&rows)?.pop())
    }

    /// The newest jobs first.
    pub async fn list_jobs(&self, limit: i64) -> Result<Vec<Job>, StoreError> {
        let rows =
            sqlx::query("SELECT id, body FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        decode_rows(&rows)
    }

    /// An unfinished job of `kind` for `product`, if one is in flight (a second request for
    /// the same work follows it instead of starting another).
    pub async fn active_job(&self, kind: &str, product: &str) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(
            "SELECT id, body FROM jobs WHERE kind = $1 AND product = $2 AND terminal = 0 ORDER BY rowid LIMIT 1",
        )
        .bind(kind)
        .bind(product)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            decode(
                &r.try_get::<String, _>("id")?,
                &r.try_get::<String, _>("body")?,
            )
        })
        .transpose()
    }

    /// A job's timeline, oldest first.
    pub async fn job_timeline(&self, id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        leased::timeline(&self.pool, Table::Jobs, id).await
    }

    async fn write_job(
        &self,
        job: &Job,
        timeline: &[TimelineEntry],
        mode: Write<'_>,
    ) -> PortResult<()> {
        let body = serde_json::to_string(job)
            .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))?;
        let now = wall_now();
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let sql = format!(
            "INSERT INTO jobs (id, kind, product, state, terminal, next_check_at, created_at, updated_at, body, waits_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $12) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, terminal = excluded.terminal, \
                 next_check_at = excluded.next_check_at, updated_at = excluded.updated_at, body = excluded.body, \
                 waits_on = excluded.waits_on \
             WHERE {}",
            Write::fence(Table::Jobs, self.backend.now(), [9, 10, 11])
        );
        let written = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&job.id)
            .bind(job.kind().label())
            .bind(&job.request.product)
            .bind(job.state.name())
            .bind(i64::from(job.state.is_terminal()))
            .bind(job.next_check_at)
            .bind(now)
            .bind(body)
            .bind(mode.replaces())
            .bind(mode.holder())
            .bind(mode.token())
            .bind(job.waits_on())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if written.rows_affected() == 0 {
            let refused = leased::refused(&mut tx, Table::Jobs, &job.id, mode).await;
            return leased::finish(tx, Err(refused)).await;
        }
        leased::append(&mut tx, Table::Jobs, &job.id, timeline).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// A job of the product submitting or following a change set, other than `except`.
    pub(crate) async fn job_holding(
        &self,
        product: &str,
        except: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM jobs WHERE product = $1 AND id <> $2 AND state IN ($3, $4) ORDER BY rowid LIMIT 1",
        )
        .bind(product)
        .bind(except)
        .bind(JobState::Submitting.name())
        .bind(JobState::Following.name())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .map_err(StoreError::from)
    }
}

impl Jobs for SqlStore {
    async fn record_job(&self, job: &Job, entry: &TimelineEntry) -> PortResult<()> {
        self.write_job(job, std::slice::from_ref(entry), Write::Insert)
            .await
    }

    async fn claim_due_jobs(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> PortResult<Vec<Job>> {
        let rows = leased::claim_due(self, Table::Jobs, now, worker, lease_secs, limit).await?;
        Ok(rows
            .iter()
            .map(|(id, body)| decode(id, body))
            .collect::<Result<_, _>>()?)
    }

    async fn claim_job(
        &self,
        id: &str,
        _now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> PortResult<Option<Job>> {
        let row = leased::claim_one(self, Table::Jobs, id, worker, lease_secs).await?;
        Ok(row.map(|(id, body)| decode(&id, &body)).transpose()?)
    }

    async fn save_job(&self, job: &Job, timeline: &[TimelineEntry]) -> PortResult<()> {
        leased::free_gone_holder(self, Table::Jobs, &job.id).await?;
        self.write_job(job, timeline, Write::Free).await
    }

    async fn save_job_as(
        &self,
        worker: &str,
        job: &Job,
        timeline: &[TimelineEntry],
    ) -> PortResult<()> {
        let token = self.token(Table::Jobs, &job.id);
        self.write_job(job, timeline, Write::Holder(worker, token))
            .await
    }

    async fn release_job_lease(&self, id: &str, worker: &str) -> PortResult<()> {
        Ok(leased::give_back(self, Table::Jobs, id, worker).await?)
    }

    async fn in_flight_mirrors(&self, product: &str) -> PortResult<Vec<String>> {
        Ok(self
            .active()
            .await?
            .into_iter()
            .filter(|r| r.product == product)
            .filter_map(|r| r.mirror_ami)
            .collect())
    }

    async fn done_release(&self, product: &str, version: &str) -> PortResult<Option<Release>> {
        let row = sqlx::query(
            "SELECT body FROM releases WHERE product = $1 AND version = $2 AND state = $3 \
             ORDER BY rowid DESC LIMIT 1",
        )
        .bind(product)
        .bind(version)
        .bind(State::Done.name())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::from)?;
        let Some(row) = row else { return Ok(None) };
        let body: String = row.try_get("body").map_err(StoreError::from)?;
        serde_json::from_str(&body).map(Some).map_err(|e| {
            PortError::new(
                FailureKind::ServerFault,
                format!("the stored release of {product} {version} does not read: {e}"),
            )
        })
    }

    async fn announce(&self, release_id: &str, a: &Announcement, now: i64) -> PortResult<()> {
        // About a release this store holds only (a mirror made by another installation has
        // none here): otherwise nothing is queued.
        sqlx::query(
            "INSERT INTO outbox (id, release_id, topic, schema, body, created_at) \
             SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), \
                    CAST($5 AS TEXT), CAST($6 AS BIGINT) \
             WHERE EXISTS (SELECT 1 FROM releases WHERE id = CAST($2 AS TEXT)) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&a.id)
        .bind(release_id)
        .bind(&a.topic)
        .bind(&a.schema)
        .bind(&a.body)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(())
    }

    async fn record_ids(
        &self,
        product: &str,
        spec: &str,
        created: &Created,
        product_code: Option<&str>,
    ) -> PortResult<()> {
        let ids = ProductIds {
            product_id: created.product_id.clone(),
            product_code: product_code.map(str::to_owned),
            offer_id: created.offer_id.clone(),
        };
        Ok(self.set_product_ids(product, spec, &ids).await?)
    }
}
