//! Leases on the rows of work tables (releases, lifecycle jobs), one set of rules for both:
//! claiming what is due or one row, taking a lease only from the holder just seen (two workers
//! racing for a row, one wins), a lease free at once when its holder's process is gone, and
//! giving it back. Rows come back as (id, JSON body) for the caller to decode.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use amipub_domain::release::FailureKind;
use amipub_engine::ports::{PortError, TimelineEntry, lease_free};

use crate::backend::Backend;
use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::holder_gone;
pub(crate) use crate::table::Table;
use amipub_telemetry::events::LeaseLost;

/// How a write treats a row that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write<'a> {
    /// Only a new row is written; a stored one is left as it is.
    Insert,
    /// A stored row is replaced unless a worker holds a live lease on it.
    Free,
    /// A stored row is replaced only while this worker holds a live lease on it, granted with
    /// this fencing token when the process knows it.
    Holder(&'a str, Option<i64>),
}

impl<'a> Write<'a> {
    /// Whether a stored row may be replaced at all (the fence's first condition).
    pub(crate) fn replaces(self) -> bool {
        self != Write::Insert
    }

    /// The worker the fence admits (`None`: a write as nobody).
    pub(crate) fn holder(self) -> Option<&'a str> {
        match self {
            Write::Holder(w, _) => Some(w),
            _ => None,
        }
    }

    /// The fencing token the fence admits, if known.
    pub(crate) fn token(self) -> Option<i64> {
        match self {
            Write::Holder(_, t) => t,
            _ => None,
        }
    }

    /// The fence of a write, as SQL on `table`'s stored row: `$replaces`, `$holder` and
    /// `$token` are the placeholders of `replaces()`, `holder()` and `token()`.
    pub(crate) fn fence(table: Table, now: &str, [r, h, t]: [u8; 3]) -> String {
        let n = table.name();
        format!(
            "${r} AND (((${h}) IS NULL AND ({n}.lease_owner IS NULL OR {n}.lease_until <= {now})) \
             OR ({n}.lease_owner = ${h} AND {n}.lease_until > {now} \
                 AND ((${t}) IS NULL OR {n}.lease_token = ${t})))"
        )
    }
}

/// A row's timeline, oldest first.
pub(crate) async fn timeline(
    pool: &AnyPool,
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
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
        Write::Holder(w, _) => {
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

/// Commits a write's transaction, or rolls it back at once when the write failed: a refused
/// upsert still locks the row it met, and on PostgreSQL other workers' claims skip locked
/// rows, so the lock must not wait for the connection's next use.
pub(crate) async fn finish(
    tx: sqlx::Transaction<'_, sqlx::Any>,
    written: Result<(), PortError>,
) -> Result<(), PortError> {
    match written {
        Ok(()) => Ok(tx.commit().await.map_err(StoreError::from)?),
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// SQL built from a `Table`'s name: a closed set of literals, never input.
fn safe(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

/// (id, body) of a row.
pub(crate) type Body = (String, String);

fn body(row: &AnyRow) -> Result<Body, StoreError> {
    Ok((row.try_get("id")?, row.try_get("body")?))
}

/// Unfinished rows due at `now` that no other live worker holds, leased to `worker`.
pub(crate) async fn claim_due(
    store: &SqlStore,
    table: Table,
    now: i64,
    worker: &str,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<Body>, StoreError> {
    let b = store.backend;
    let sql = format!(
        "SELECT id, lease_owner, lease_until, {} AS db_now FROM {} \
         WHERE terminal = 0 AND (next_check_at IS NULL OR next_check_at <= $1) \
         ORDER BY COALESCE(next_check_at, 0), rowid LIMIT $2{}",
        b.now(),
        table.name(),
        b.skip_locked()
    );
    let mut claim = Claim::begin(store).await?;
    let rows = sqlx::query(safe(sql))
        .bind(now)
        .bind(i64::try_from(limit.saturating_mul(4)).unwrap_or(i64::MAX))
        .fetch_all(claim.conn())
        .await?;
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= limit {
            break;
        }
        let seen = Seen::of(&row)?;
        if let Some(taken) = take(claim.conn(), table, &seen, worker, lease_secs).await? {
            out.push(taken);
        }
    }
    claim.commit().await?;
    Ok(out
        .into_iter()
        .map(|(body, token)| {
            store.hold(table, &body.0, token);
            body
        })
        .collect())
}

/// One unfinished row, leased to `worker`, unless another live worker holds it.
pub(crate) async fn claim_one(
    store: &SqlStore,
    table: Table,
    id: &str,
    worker: &str,
    lease_secs: i64,
) -> Result<Option<Body>, StoreError> {
    let b = store.backend;
    let sql = format!(
        "SELECT id, lease_owner, lease_until, {} AS db_now FROM {} WHERE id = $1 AND terminal = 0{}",
        b.now(),
        table.name(),
        b.skip_locked()
    );
    let mut claim = Claim::begin(store).await?;
    let row = sqlx::query(safe(sql))
        .bind(id)
        .fetch_optional(claim.conn())
        .await?;
    let taken = match row {
        Some(row) => take(claim.conn(), table, &Seen::of(&row)?, worker, lease_secs).await?,
        None => None,
    };
    claim.commit().await?;
    Ok(taken.map(|(body, token)| {
        store.hold(table, id, token);
        body
    }))
}

/// A row's lease as a claim saw it, with the database's clock then.
struct Seen {
    id: String,
    owner: Option<String>,
    until: Option<i64>,
    db_now: i64,
}

impl Seen {
    fn of(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.try_get("id")?,
            owner: row.try_get("lease_owner")?,
            until: row.try_get("lease_until")?,
            db_now: row.try_get("db_now")?,
        })
    }
}

/// Where a claim runs. On PostgreSQL a transaction holding the row locks its SELECT took; on
/// SQLite a plain connection, each UPDATE conditional on the holder seen (a transaction that
/// reads and then writes would fail, not wait, when another writer got in between).
enum Claim {
    Tx(sqlx::Transaction<'static, sqlx::Any>),
    Conn(sqlx::pool::PoolConnection<sqlx::Any>),
}

impl Claim {
    async fn begin(store: &SqlStore) -> Result<Self, StoreError> {
        Ok(match store.backend {
            Backend::Postgres => Claim::Tx(store.pool.begin().await?),
            Backend::Sqlite => Claim::Conn(store.pool.acquire().await?),
        })
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match self {
            Claim::Tx(tx) => tx,
            Claim::Conn(c) => c,
        }
    }

    async fn commit(self) -> Result<(), StoreError> {
        if let Claim::Tx(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// Leases the row `seen` to `worker` when its holder lets it: the body and the lease's new
/// fencing token.
async fn take(
    conn: &mut sqlx::AnyConnection,
    table: Table,
    seen: &Seen,
    worker: &str,
    lease_secs: i64,
) -> Result<Option<(Body, i64)>, StoreError> {
    let free = lease_free(seen.owner.as_deref(), seen.until, worker, seen.db_now)
        || seen.owner.as_deref().is_some_and(holder_gone);
    if !free {
        return Ok(None);
    }
    // Conditional on the holder seen: two workers racing for the row, one wins.
    let sql = format!(
        "UPDATE {} SET lease_owner = $1, lease_until = $2, lease_token = lease_token + 1 \
         WHERE id = $3 AND terminal = 0 AND lease_owner IS NOT DISTINCT FROM $4 \
         RETURNING id, body, lease_token",
        table.name()
    );
    let row = sqlx::query(safe(sql))
        .bind(worker)
        .bind(seen.db_now + lease_secs)
        .bind(&seen.id)
        .bind(seen.owner.as_deref())
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((body(&r)?, r.try_get("lease_token")?)))
        .transpose()
}

/// Gives `worker`'s lease on row `id` back.
pub(crate) async fn give_back(
    store: &SqlStore,
    table: Table,
    id: &str,
    worker: &str,
) -> Result<(), StoreError> {
    store.forget(table, id);
    let sql = format!(
        "UPDATE {} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        table.name()
    );
    sqlx::query(safe(sql))
        .bind(id)
        .bind(worker)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Frees the lease of row `id` when its holder is a process of this host that is gone, so an
/// operator's request need not wait for the lease to run out.
pub(crate) async fn free_gone_holder(
    store: &SqlStore,
    table: Table,
    id: &str,
) -> Result<(), StoreError> {
    let sql = format!("SELECT lease_owner FROM {} WHERE id = $1", table.name());
    let owner: Option<String> = sqlx::query(safe(sql))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .map(|r| r.try_get("lease_owner"))
        .transpose()?
        .flatten();
    match owner.filter(|o| holder_gone(o)) {
        Some(o) => give_back(store, table, id, &o).await,
        None => Ok(()),
    }
}
