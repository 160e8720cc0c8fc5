//! Products the store knows: each one's spec as last applied, and its Marketplace ids once the
//! listing exists (so that `serve` and other workers publish without the spec files).

use sqlx::Row;

use crate::db::SqlStore;
use crate::error::StoreError;
use crate::lease::wall_now;

/// A listing's Marketplace ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductIds {
    /// `prod-…`.
    pub product_id: String,
    /// The product code.
    pub product_code: Option<String>,
    /// The public offer, `offer-…`.
    pub offer_id: Option<String>,
}

impl SqlStore {
    /// Keeps the spec a product was last published with (so `retry` and a resumed `publish` use
    /// the same one).
    pub async fn put_product(&self, slug: &str, spec_toml: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO products (slug, spec, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (slug) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
        )
        .bind(slug)
        .bind(spec_toml)
        .bind(wall_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the Marketplace ids `apply` got for a new listing (with the spec it was made from).
    pub async fn set_product_ids(
        &self,
        slug: &str,
        spec_toml: &str,
        ids: &ProductIds,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO products (slug, product_id, product_code, offer_id, spec, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO UPDATE SET \
             product_id = excluded.product_id, product_code = excluded.product_code, \
             offer_id = excluded.offer_id, updated_at = excluded.updated_at",
        )
        .bind(slug)
        .bind(&ids.product_id)
        .bind(&ids.product_code)
        .bind(&ids.offer_id)
        .bind(spec_toml)
        .bind(wall_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The Marketplace ids recorded for a product, if `apply` created it.
    pub async fn product_ids(&self, slug: &str) -> Result<Option<ProductIds>, StoreError> {
        let row = sqlx::query(
            "SELECT product_id, product_code, offer_id FROM products WHERE slug = $1 AND product_id IS NOT NULL",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(ProductIds {
                product_id: r.try_get("product_id")?,
                product_code: r.try_get("product_code")?,
                offer_id: r.try_get("offer_id")?,
            }),
            None => None,
        })
    }

    /// The spec a product was last published with.
    pub async fn product_spec(&self, slug: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT spec FROM products WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("spec")?),
            None => None,
        })
    }
}
