//! The second-party load forms: one workbook per release, kept with it so that any worker, and
//! `amipub form`, can hand it out again.

use amipub_engine::ports::{Forms, PortResult};
use sqlx::Row;

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::wall_now;

impl Forms for SqlStore {
    async fn save_form(&self, release: &str, name: &str, workbook: &[u8]) -> PortResult<()> {
        sqlx::query(
            "INSERT INTO forms (release_id, name, workbook, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (release_id) DO UPDATE SET name = excluded.name, \
             workbook = excluded.workbook, created_at = excluded.created_at",
        )
        .bind(release)
        .bind(name)
        .bind(workbook.to_vec())
        .bind(wall_now())
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(())
    }

    async fn last_share_list(
        &self,
        product: &str,
        except: &str,
    ) -> PortResult<Option<Vec<String>>> {
        let rows = sqlx::query(
            "SELECT id, body FROM releases WHERE product = $1 AND id <> $2 \
             ORDER BY created_at DESC, rowid DESC LIMIT 50",
        )
        .bind(product)
        .bind(except)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::from)?;
        let mut earlier = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id").map_err(StoreError::from)?;
            let body: String = row.try_get("body").map_err(StoreError::from)?;
            earlier.push(crate::releases::decode(&id, &body)?);
        }
        Ok(amipub_engine::second_party::latest_share_list(
            earlier.iter(),
        ))
    }

    async fn form(&self, release: &str) -> PortResult<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT name, workbook FROM forms WHERE release_id = $1")
            .bind(release)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let name: String = r.try_get("name").map_err(StoreError::from)?;
                let bytes: Vec<u8> = r.try_get("workbook").map_err(StoreError::from)?;
                Ok(Some((name, bytes)))
            }
        }
    }
}
