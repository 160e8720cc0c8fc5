//! Leases on the rows of work tables (releases, lifecycle jobs), one set of rules for both:
//! claiming what is due or one row, taking a lease only from the holder just seen (two workers
//! racing for a row, one wins), a lease free at once when its holder's process is gone, and
//! giving it back. Rows come back as (id, JSON body) for the caller to decode.

use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};

use amipub_domain::release::FailureKind;
use amipub_engine::ports::{PortError, TimelineEntry, lease_free};

use crate::error::StoreError;
use crate::lease::holder_gone;
use crate::lease::wall_now;
use amipub_telemetry::Subject;
use amipub_telemetry::events::LeaseLost;

/// A table of leased work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    /// `releases`.
    Releases,
    /// `jobs`.
    Jobs,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Releases => "releases",
            Table::Jobs => "jobs",
        }
    }

    /// The timeline table and its key column.
    fn timeline(self) -> (&'static str, &'static str) {
        match self {
            Table::Releases => ("timeline", "release_id"),
            Table::Jobs => ("job_timeline", "job_id"),
        }
    }

    fn subject(self) -> Subject {
        match self {
            Table::Releases => Subject::Release,
            Table::Jobs => Subject::Job,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Table::Releases => "release",
            Table::Jobs => "job",
        }
    }
}

/// How a write treats a row that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write<'a> {
    /// Only a new row is written; a stored one is left as it is.
    Insert,
    /// A stored row is replaced unless a worker holds a live lease on it.
    Free,
    /// A stored row is replaced only while this worker holds a live lease on it.
    Holder(&'a str),
}

impl<'a> Write<'a> {
    /// Whether a stored row may be replaced at all (the fence's first condition).
    pub(crate) fn replaces(self) -> bool {
        self != Write::Insert
    }

    /// The worker the fence admits (`None`: a write as nobody).
    pub(crate) fn holder(self) -> Option<&'a str> {
        match self {
            Write::Holder(w) => Some(w),
            _ => None,
        }
    }
}

/// A row's timeline, oldest first.
pub(crate) async fn timeline(
    pool: &SqlitePool,
    table: Table,
    id: &str,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let (t, key) = table.timeline();
    let sql = format!(
        "SELECT at, event, from_state, to_state, detail FROM {t} WHERE {key} = $1 ORDER BY seq"
    );
    let rows = sqlx::query(safe(sql)).bind(id).fetch_all(pool).await?;
    rows.into_iter()
        .map(|r| {
            Ok(TimelineEntry {
                at: r.try_get("at")?,
                event: r.try_get("event")?,
                from: r.try_get("from_state")?,
                to: r.try_get("to_state")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

/// Appends timeline entries to a row's, in the write's transaction.
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    table: Table,
    id: &str,
    entries: &[TimelineEntry],
) -> Result<(), StoreError> {
    let (t, key) = table.timeline();
    let sql = format!(
        "INSERT INTO {t} ({key}, at, event, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6)"
    );
    for e in entries {
        sqlx::query(safe(sql.clone()))
            .bind(id)
            .bind(e.at)
            .bind(&e.event)
            .bind(&e.from)
            .bind(&e.to)
            .bind(&e.detail)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The error of a replacement the fence refused: who holds the row instead.
pub(crate) async fn refused(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    table: Table,
    id: &str,
    mode: Write<'_>,
) -> PortError {
    let sql = format!("SELECT lease_owner FROM {} WHERE id = $1", table.name());
    let holder: Option<String> = sqlx::query(safe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get("lease_owner").ok())
        .flatten();
    let holder = holder.unwrap_or_else(|| "nobody".to_owned());
    let writer = match mode {
        Write::Holder(w) => {
            LeaseLost {
                subject: table.subject(),
                id,
                worker: w,
            }
            .emit();
            format!("worker {w}, whose lease ran out or was taken,")
        }
        _ => "a write without a lease".to_owned(),
    };
    PortError::new(
        FailureKind::ServerFault,
        format!(
            "{} {id} is held by {holder}: {writer} may not change it (nothing was written; run the command again once that work is done)",
            table.noun()
        ),
    )
}

/// SQL built from a `Table`'s name: a closed set of literals, never input.
fn safe(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

/// (id, body) of a row.
pub(crate) type Body = (String, String);

fn body(row: &SqliteRow) -> Result<Body, StoreError> {
    Ok((row.try_get("id")?, row.try_get("body")?))
}

/// Unfinished rows due at `now` that no other live worker holds, leased to `worker`.
pub(crate) async fn claim_due(
    pool: &SqlitePool,
    table: Table,
    now: i64,
    worker: &str,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<Body>, StoreError> {
    let sql = format!(
        "SELECT id, lease_owner, lease_until FROM {} \
         WHERE terminal = 0 AND (next_check_at IS NULL OR next_check_at <= $1) \
         ORDER BY COALESCE(next_check_at, 0), rowid LIMIT $2",
        table.name()
    );
    let rows = sqlx::query(safe(sql))
        .bind(now)
        .bind(i64::try_from(limit.saturating_mul(4)).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= limit {
            break;
        }
        let id: String = row.try_get("id")?;
        let (owner, until) = (row.try_get("lease_owner")?, row.try_get("lease_until")?);
        if let Some(b) = take(pool, table, &id, owner, until, worker, lease_secs).await? {
            out.push(b);
        }
    }
    Ok(out)
}

/// One unfinished row, leased to `worker`, unless another live worker holds it.
pub(crate) async fn claim_one(
    pool: &SqlitePool,
    table: Table,
    id: &str,
    worker: &str,
    lease_secs: i64,
) -> Result<Option<Body>, StoreError> {
    let sql = format!(
        "SELECT lease_owner, lease_until FROM {} WHERE id = $1 AND terminal = 0",
        table.name()
    );
    let Some(row) = sqlx::query(safe(sql)).bind(id).fetch_optional(pool).await? else {
        return Ok(None);
    };
    let (owner, until) = (row.try_get("lease_owner")?, row.try_get("lease_until")?);
    take(pool, table, id, owner, until, worker, lease_secs).await
}

/// Leases row `id` to `worker` when its holder, seen as (`owner`, `until`), lets it.
async fn take(
    pool: &SqlitePool,
    table: Table,
    id: &str,
    owner: Option<String>,
    until: Option<i64>,
    worker: &str,
    lease_secs: i64,
) -> Result<Option<Body>, StoreError> {
    let now = wall_now();
    let free = lease_free(owner.as_deref(), until, worker, now)
        || owner.as_deref().is_some_and(holder_gone);
    if !free {
        return Ok(None);
    }
    // Conditional on the holder seen above: two workers racing for the row, one wins.
    let sql = format!(
        "UPDATE {} SET lease_owner = $1, lease_until = $2 \
         WHERE id = $3 AND terminal = 0 AND lease_owner IS $4 RETURNING id, body",
        table.name()
    );
    let row = sqlx::query(safe(sql))
        .bind(worker)
        .bind(now + lease_secs)
        .bind(id)
        .bind(owner)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(body).transpose()
}

/// Gives `worker`'s lease on row `id` back.
pub(crate) async fn give_back(
    pool: &SqlitePool,
    table: Table,
    id: &str,
    worker: &str,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE {} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        table.name()
    );
    sqlx::query(safe(sql))
        .bind(id)
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(())
}

/// Frees the lease of row `id` when its holder is a process of this host that is gone, so an
/// operator's request need not wait for the lease to run out.
pub(crate) async fn free_gone_holder(
    pool: &SqlitePool,
    table: Table,
    id: &str,
) -> Result<(), StoreError> {
    let sql = format!("SELECT lease_owner FROM {} WHERE id = $1", table.name());
    let owner: Option<String> = sqlx::query(safe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get("lease_owner"))
        .transpose()?
        .flatten();
    match owner.filter(|o| holder_gone(o)) {
        Some(o) => give_back(pool, table, id, &o).await,
        None => Ok(()),
    }
}
