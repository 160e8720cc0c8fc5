//! The schema, embedded and applied in order. Each migration runs once, in a transaction with the
//! row that records it; a database newer than this binary is refused rather than misread.

use sqlx::{Row, SqlitePool};

/// (version, SQL) in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_releases.sql")),
    (2, include_str!("../migrations/sqlite/0002_bus.sql")),
    (3, include_str!("../migrations/sqlite/0003_jobs.sql")),
];

/// The newest schema version this binary knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Applies the migrations the database lacks; returns how many ran.
pub async fn run(pool: &SqlitePool) -> Result<usize, sqlx::Error> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(pool)
        .await?
        .try_get("v")?;
    if current > latest() {
        return Err(sqlx::Error::Protocol(format!(
            "the state database has schema version {current}, newer than this amipub knows ({}); \
             upgrade amipub or use another store.url",
            latest()
        )));
    }
    let mut ran = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, datetime('now'))",
        )
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, "store: schema migration {version} applied");
        ran += 1;
    }
    Ok(ran)
}
