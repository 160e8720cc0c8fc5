//! The product lock: one change set of a product at a time, across every worker on the
//! database. The Catalog API refuses a second change set on an entity with one in progress
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>), so
//! amipub queues its own. Who holds a product is one row of `product_locks`, taken with a
//! single conditional upsert, so two workers that both find the product free cannot both go:
//! the second sees the first's row. The row's holder keeps it while it submits or waits for
//! its change set (a release submitting or scanning, a job submitting or following), and goes
//! on even when an older release started submitting after it took the row — otherwise each
//! would wait for the other. Only when nobody holds the row does the queue decide: among
//! releases submitting the oldest goes first, and a job with a change set holds the product.
//! A release scanning always holds it (a change set is in flight whatever the rows say).

use amipub_domain::job::JobState;
use amipub_domain::release::State;
use sqlx::{AssertSqlSafe, Row};

use crate::db::SqlStore;
use crate::error::StoreError;

/// Whether `product_locks.holder` still holds the product, as SQL: a release of it submitting
/// or scanning, or a job submitting or following its change set. The four states are the
/// placeholders `$first`…`$first+3`, bound by `with_holding_states` after the statement's own.
fn holds(first: u8) -> String {
    let [a, b, c, d] = [first, first + 1, first + 2, first + 3];
    format!(
        "(EXISTS (SELECT 1 FROM releases r WHERE r.id = product_locks.holder \
             AND r.state IN (${a}, ${b})) \
         OR EXISTS (SELECT 1 FROM jobs j WHERE j.id = product_locks.holder \
             AND j.state IN (${c}, ${d})))"
    )
}

/// Binds the states `holds` names.
fn with_holding_states<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(State::Submitting.name())
        .bind(State::Scanning.name())
        .bind(JobState::Submitting.name())
        .bind(JobState::Following.name())
}

impl SqlStore {
    /// Another release or job that holds `product`, or `None` when `asker` now holds it.
    pub(crate) async fn take_product(
        &self,
        product: &str,
        asker: &str,
    ) -> Result<Option<String>, StoreError> {
        if let Some(other) = self.scanning(product, asker).await? {
            return Ok(Some(other));
        }
        match self.live_holder(product).await? {
            Some(h) if h == asker => return Ok(None),
            Some(h) => return Ok(Some(h)),
            None => {}
        }
        if let Some(other) = self.queued_before(product, asker).await? {
            return Ok(Some(other));
        }
        if let Some(other) = self.job_holding(product, asker).await? {
            return Ok(Some(other));
        }
        self.lock_row(product, asker).await
    }

    /// Another release of the product that is scanning.
    async fn scanning(&self, product: &str, asker: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM releases WHERE product = $1 AND id <> $2 AND state = $3 \
             ORDER BY rowid LIMIT 1",
        )
        .bind(product)
        .bind(asker)
        .bind(State::Scanning.name())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// The holder of the product's row, while it is still in a change-set state.
    async fn live_holder(&self, product: &str) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT holder FROM product_locks WHERE product = $1 AND {}",
            holds(2)
        );
        let row = with_holding_states(sqlx::query(AssertSqlSafe(sql)).bind(product))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("holder")).transpose()?)
    }

    /// A release of the product submitting and older than `asker`.
    async fn queued_before(
        &self,
        product: &str,
        asker: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM releases WHERE product = $1 AND id <> $2 AND \
               state = $3 AND rowid < (SELECT rowid FROM releases WHERE id = $2) \
             ORDER BY rowid LIMIT 1",
        )
        .bind(product)
        .bind(asker)
        .bind(State::Submitting.name())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// Takes the product's lock row for `asker` unless a release or job still in a
    /// change-set state holds it; the holder otherwise.
    async fn lock_row(&self, product: &str, asker: &str) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "INSERT INTO product_locks (product, holder) VALUES ($1, $2) \
             ON CONFLICT (product) DO UPDATE SET holder = excluded.holder \
             WHERE product_locks.holder = excluded.holder OR NOT {} \
             RETURNING holder",
            holds(3)
        );
        let taken = with_holding_states(sqlx::query(AssertSqlSafe(sql)).bind(product).bind(asker))
            .fetch_optional(&self.pool)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let row = sqlx::query("SELECT holder FROM product_locks WHERE product = $1")
            .bind(product)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Some(match row {
            Some(r) => r.try_get("holder")?,
            None => "another worker".to_owned(),
        }))
    }
}
