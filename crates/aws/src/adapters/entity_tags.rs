//! Tags of Catalog entities (a product, an offer): read with ListTagsForResource and added with
//! TagResource on the entity's ARN, which DescribeEntity gives
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListTagsForResource.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_TagResource.html>).

use std::collections::BTreeMap;

use amipub_domain::release::FailureKind;
use amipub_engine::ports::{PortError, PortResult};

use super::catalog::{MarketplaceCatalog, catalog_tags};
use crate::limits::Class;

impl MarketplaceCatalog {
    /// The entity's ARN (DescribeEntity).
    async fn entity_arn(&self, entity_id: &str) -> PortResult<String> {
        let out = self.describe_entity(entity_id).await?;
        out.entity_arn().map(str::to_owned).ok_or_else(|| {
            PortError::new(
                FailureKind::ServerFault,
                format!("DescribeEntity of {entity_id} answered without an EntityArn"),
            )
        })
    }

    /// The entity's tags.
    pub async fn entity_tags(&self, entity_id: &str) -> PortResult<BTreeMap<String, String>> {
        let arn = self.entity_arn(entity_id).await?;
        let out = self
            .shared
            .catalog(Class::CatalogChange)
            .await
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| self.shared.home_error("ListTagsForResource", &e))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    /// Adds `tags` to the entity (TagResource; a tag it holds already is set again, unchanged).
    pub async fn tag_entity(
        &self,
        entity_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<()> {
        let arn = self.entity_arn(entity_id).await?;
        self.shared
            .catalog(Class::CatalogChange)
            .await
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(catalog_tags(tags))
            .send()
            .await
            .map_err(|e| self.shared.home_error("TagResource", &e))?;
        Ok(())
    }
}
