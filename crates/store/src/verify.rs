//! The last `amipub verify` of each product, kept for the console and the API: a run replaces
//! the product's rows as a whole, in one transaction, so a reader never sees half of two runs.

use amipub_domain::lifecycle::{Row, Status};
use sqlx::Row as _;

use crate::db::SqlStore;
use crate::error::StoreError;

/// A stored row with when it was checked (epoch seconds, the engine's clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The row.
    pub row: Row,
    /// When.
    pub at: i64,
}

impl SqlStore {
    /// Replaces the stored verify rows of `product` with `rows`, checked at `at`.
    pub async fn record_verify(
        &self,
        product: &str,
        rows: &[Row],
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM verify_rows WHERE product = $1")
            .bind(product)
            .execute(&mut *tx)
            .await?;
        for r in rows.iter().filter(|r| r.product == product) {
            sqlx::query(
                "INSERT INTO verify_rows (product, region, item, status, expected, actual, checked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (product, region, item) DO UPDATE SET status = excluded.status, \
                 expected = excluded.expected, actual = excluded.actual, checked_at = excluded.checked_at",
            )
            .bind(product)
            .bind(&r.region)
            .bind(&r.item)
            .bind(r.status.word())
            .bind(&r.expected)
            .bind(&r.actual)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored verify rows, of one product or of all, by product, Region and item.
    pub async fn verify_rows(&self, product: Option<&str>) -> Result<Vec<Checked>, StoreError> {
        let select =
            "SELECT product, region, item, status, expected, actual, checked_at FROM verify_rows";
        let order = "ORDER BY product, region, item";
        let rows = match product {
            Some(p) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{select} WHERE product = $1 {order}"
                )))
                .bind(p)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{select} {order}")))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter()
            .map(|r| {
                let word: String = r.try_get("status")?;
                let status = Status::from_word(&word).ok_or_else(|| StoreError::Corrupt {
                    id: r.try_get::<String, _>("product").unwrap_or_default(),
                    detail: format!("verify status {word:?}"),
                })?;
                Ok(Checked {
                    row: Row::new(
                        &r.try_get::<String, _>("product")?,
                        &r.try_get::<String, _>("region")?,
                        r.try_get::<String, _>("item")?,
                        status,
                        r.try_get::<String, _>("expected")?,
                        r.try_get::<String, _>("actual")?,
                    ),
                    at: r.try_get("checked_at")?,
                })
            })
            .collect()
    }
}
