//! `amipub store copy`: every row of one store written into another, an empty one on the
//! latest schema, in one transaction on the destination — releases, jobs, their timelines in
//! their order, the outbox, the inbox, intake keys, products, product locks, wake-ups and load forms. Columns are
//! named, never `*`, so the two backends' own columns (PostgreSQL's identity `rowid`) are
//! filled by the destination, in the source's order.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::migrate;

/// How a column's values are read and written.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bytes,
}

use Kind::{Bytes, Int, Text};

/// A column and how it is copied.
type Column = (&'static str, Kind);

/// (table, its columns, the order rows are copied in), parents before children.
const TABLES: &[(&str, &[Column], &str)] = &[
    (
        "products",
        &[
            ("slug", Text),
            ("product_id", Text),
            ("product_code", Text),
            ("offer_id", Text),
            ("spec", Text),
            ("updated_at", Int),
        ],
        "slug",
    ),
    ("releases", LEASED_RELEASE, "rowid"),
    ("timeline", &TIMELINE_OF_RELEASE, "seq"),
    ("jobs", LEASED_JOB, "rowid"),
    ("job_timeline", &TIMELINE_OF_JOB, "seq"),
    (
        "outbox",
        &[
            ("id", Text),
            ("release_id", Text),
            ("topic", Text),
            ("schema", Text),
            ("body", Text),
            ("created_at", Int),
            ("attempts", Int),
            ("sent_at", Int),
        ],
        "rowid",
    ),
    (
        "inbox",
        &[
            ("message_id", Text),
            ("received_at", Int),
            ("topic", Text),
            ("dedupe_key", Text),
            ("outcome", Text),
            ("reason", Text),
            ("release_id", Text),
            ("body", Text),
        ],
        "rowid",
    ),
    (
        "intake_keys",
        &[
            ("dedupe_key", Text),
            ("release_id", Text),
            ("message_id", Text),
            ("received_at", Int),
        ],
        "received_at, dedupe_key",
    ),
    ("wakes", &[("key", Text), ("at", Int)], "key"),
    (
        "product_locks",
        &[("product", Text), ("holder", Text)],
        "product",
    ),
    (
        "forms",
        &[
            ("release_id", Text),
            ("name", Text),
            ("workbook", Bytes),
            ("created_at", Int),
        ],
        "release_id",
    ),
    (
        "verify_rows",
        &[
            ("product", Text),
            ("region", Text),
            ("item", Text),
            ("status", Text),
            ("expected", Text),
            ("actual", Text),
            ("checked_at", Int),
        ],
        "product, region, item",
    ),
    ("schedules", &[("name", Text), ("next_at", Int)], "name"),
];

const LEASED_RELEASE: &[Column] = &[
    ("id", Text),
    ("product", Text),
    ("version", Text),
    ("source_region", Text),
    ("source_ami", Text),
    ("state", Text),
    ("terminal", Int),
    ("next_check_at", Int),
    ("lease_owner", Text),
    ("lease_until", Int),
    ("lease_token", Int),
    ("created_at", Int),
    ("updated_at", Int),
    ("waits_on", Text),
    ("body", Text),
];

const LEASED_JOB: &[Column] = &[
    ("id", Text),
    ("kind", Text),
    ("product", Text),
    ("state", Text),
    ("terminal", Int),
    ("next_check_at", Int),
    ("lease_owner", Text),
    ("lease_until", Int),
    ("lease_token", Int),
    ("created_at", Int),
    ("updated_at", Int),
    ("waits_on", Text),
    ("body", Text),
];

const fn timeline(key: &'static str) -> [Column; 6] {
    [
        (key, Text),
        ("at", Int),
        ("event", Text),
        ("from_state", Text),
        ("to_state", Text),
        ("detail", Text),
    ]
}

const TIMELINE_OF_RELEASE: [Column; 6] = timeline("release_id");
const TIMELINE_OF_JOB: [Column; 6] = timeline("job_id");

/// Rows copied, per table, in copy order.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies every row of `from` into `to`, which must be migrated and hold no release, job or
/// inbox row (nothing is merged or overwritten).
pub async fn copy(from: &SqlStore, to: &SqlStore) -> Result<Copied, StoreError> {
    migrate::require(&to.pool).await?;
    for table in ["releases", "jobs", "inbox"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let n: i64 = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&to.pool)
            .await?
            .try_get("n")?;
        if n > 0 {
            return Err(StoreError::Setting(format!(
                "the destination already holds {n} rows of {table}: copy into an empty, \
                 migrated database (nothing is merged)"
            )));
        }
    }
    let mut tx = to.pool.begin().await?;
    let mut copied = Vec::new();
    for (table, columns, order) in TABLES {
        let rows = read(from, table, columns, order).await?;
        let insert = insert_sql(table, columns);
        for row in &rows {
            let mut q = sqlx::query(AssertSqlSafe(insert.clone()));
            for (name, kind) in columns.iter() {
                q = match kind {
                    Text => q.bind(row.try_get::<Option<String>, _>(*name)?),
                    Int => q.bind(row.try_get::<Option<i64>, _>(*name)?),
                    Bytes => q.bind(row.try_get::<Option<Vec<u8>>, _>(*name)?),
                };
            }
            q.execute(&mut *tx).await?;
        }
        copied.push((*table, rows.len() as u64));
    }
    tx.commit().await?;
    Ok(copied)
}

async fn read(
    from: &SqlStore,
    table: &str,
    columns: &[Column],
    order: &str,
) -> Result<Vec<AnyRow>, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
    Ok(sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&from.pool)
        .await?)
}

fn insert_sql(table: &str, columns: &[Column]) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}
