//! The schema, embedded and applied in order, kept side by side for both backends (the same
//! version numbers, the same tables; `tests/store.rs` checks they describe the same schema).
//! Each migration runs once, in a transaction with the row that records it; a database newer
//! than this binary is refused rather than misread. On PostgreSQL, where many workers share the
//! database, migrations are applied only by `amipub migrate`, under an advisory lock, and a
//! worker refuses a schema that is behind or ahead of its own, saying what to run.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::backend::Backend;
use crate::error::StoreError;
use crate::lease::wall_now;

/// (version, SQLite, PostgreSQL) in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("../migrations/sqlite/0001_releases.sql"),
        include_str!("../migrations/postgres/0001_releases.sql"),
    ),
    (
        2,
        include_str!("../migrations/sqlite/0002_bus.sql"),
        include_str!("../migrations/postgres/0002_bus.sql"),
    ),
    (
        3,
        include_str!("../migrations/sqlite/0003_jobs.sql"),
        include_str!("../migrations/postgres/0003_jobs.sql"),
    ),
    (
        4,
        include_str!("../migrations/sqlite/0004_workers.sql"),
        include_str!("../migrations/postgres/0004_workers.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_forms.sql"),
        include_str!("../migrations/postgres/0005_forms.sql"),
    ),
    (
        6,
        include_str!("../migrations/sqlite/0006_waits.sql"),
        include_str!("../migrations/postgres/0006_waits.sql"),
    ),
    (
        7,
        include_str!("../migrations/sqlite/0007_verify.sql"),
        include_str!("../migrations/postgres/0007_verify.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_schedules.sql"),
        include_str!("../migrations/postgres/0008_schedules.sql"),
    ),
];

/// Any number, the same for every amipub: the advisory lock `amipub migrate` holds.
const MIGRATION_LOCK: i64 = 0x616d_6970_7562;

/// The newest schema version this binary knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _, _)| *v)
}

/// The database's schema version (0: none yet).
pub async fn version(pool: &AnyPool) -> Result<i64, StoreError> {
    let exists = sqlx::query("SELECT 1 FROM schema_migrations LIMIT 1")
        .fetch_optional(pool)
        .await;
    if exists.is_err() {
        return Ok(0);
    }
    let v = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(pool)
        .await?
        .try_get("v")?;
    Ok(v)
}

/// Refuses a database whose schema is not this binary's, saying what to do.
pub async fn require(pool: &AnyPool) -> Result<(), StoreError> {
    let current = version(pool).await?;
    if current < latest() {
        return Err(StoreError::Schema(format!(
            "the state database has schema version {current} and this amipub needs {}: run \
             `amipub migrate` (with the same [store] settings) first",
            latest()
        )));
    }
    newer(current)
}

fn newer(current: i64) -> Result<(), StoreError> {
    if current > latest() {
        return Err(StoreError::Schema(format!(
            "the state database has schema version {current}, newer than this amipub knows ({}); \
             upgrade amipub or use another store.url",
            latest()
        )));
    }
    Ok(())
}

/// Applies the migrations the database lacks; returns how many ran.
pub async fn run(pool: &AnyPool, backend: Backend) -> Result<usize, StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    newer(version(pool).await?)?;
    let mut ran = 0;
    for (v, sqlite, postgres) in MIGRATIONS {
        let mut tx = pool.begin().await?;
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        // Read again under the lock: another `amipub migrate` may have applied it meanwhile.
        let done = sqlx::query("SELECT 1 FROM schema_migrations WHERE version = $1")
            .bind(v)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if done {
            continue;
        }
        let sql = if backend == Backend::Postgres {
            postgres
        } else {
            sqlite
        };
        sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(v)
            .bind(wall_now().to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = v, "store: schema migration {v} applied");
        ran += 1;
    }
    Ok(ran)
}
