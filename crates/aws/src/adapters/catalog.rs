//! The Marketplace Catalog: whether a product already lists a version (DescribeEntity), whether
//! another change set holds it (ListChangeSets), StartChangeSet with the plan's token (a
//! `ResourceInUseException` means "locked", not "failed"), DescribeChangeSet, CancelChangeSet;
//! the security assessments of a change set (read in `assessments`); and the Regional
//! Marketplace AMIs of a version (EC2 DescribeImages, owner `aws-marketplace`, by product code
//! and the submitted AMI's name, Regions looked at a few at a time).

use std::collections::BTreeMap;
use std::sync::Arc;

use amipub_domain::changeset::{AMI_PRODUCT, CATALOG, ChangeSet, OFFER};
use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::live::versions;
use amipub_domain::lifecycle::{LiveListing, LiveVersion};
use amipub_domain::release::{ControlFinding, FailureKind};
use amipub_engine::lifecycle_ports::{Created, Listings};
use amipub_engine::ports::{Catalog, ChangeSetStatus, PortError, PortResult, StartOutcome};
use aws_sdk_marketplacecatalog::types::{Change, ChangeStatus, Entity, Filter};
use futures_util::StreamExt;

use super::{FAN_OUT, Shared, code};
use crate::document::{to_document, to_json};
use crate::limits::Class;

/// Marketplace's account alias for the AMIs it owns.
pub const MARKETPLACE_OWNER: &str = "aws-marketplace";

/// The Catalog (and the Regional Marketplace AMIs).
#[derive(Debug, Clone)]
pub struct MarketplaceCatalog {
    pub(super) shared: Arc<Shared>,
}

impl MarketplaceCatalog {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The entity's DetailsDocument as JSON.
    pub async fn describe(&self, entity_id: &str) -> PortResult<serde_json::Value> {
        let out = self.describe_entity(entity_id).await?;
        Ok(out.details_document().map(to_json).unwrap_or_default())
    }

    /// DescribeEntity's whole answer.
    pub(super) async fn describe_entity(
        &self,
        entity_id: &str,
    ) -> PortResult<aws_sdk_marketplacecatalog::operation::describe_entity::DescribeEntityOutput>
    {
        self.shared
            .catalog(Class::CatalogDescribeEntity)
            .await
            .describe_entity()
            .catalog(CATALOG)
            .entity_id(entity_id)
            .send()
            .await
            .map_err(|e| self.shared.home_error("DescribeEntity", &e))
    }

    /// DescribeChangeSet.
    async fn describe_change_set(
        &self,
        id: &str,
    ) -> PortResult<
        aws_sdk_marketplacecatalog::operation::describe_change_set::DescribeChangeSetOutput,
    > {
        self.shared
            .catalog(Class::CatalogDescribeChangeSet)
            .await
            .describe_change_set()
            .catalog(CATALOG)
            .change_set_id(id)
            .send()
            .await
            .map_err(|e| self.shared.home_error("DescribeChangeSet", &e).about(id))
    }

    /// The entities a change set touched, (type, id) — for a creation, the new product and offer.
    pub async fn change_set_entities(&self, id: &str) -> PortResult<Vec<(String, String)>> {
        let out = self.describe_change_set(id).await?;
        Ok(out
            .change_set()
            .iter()
            .filter_map(|c| {
                let e = c.entity()?;
                Some((e.r#type().to_owned(), e.identifier()?.to_owned()))
            })
            .collect())
    }

    async fn locate_one(
        &self,
        region: &str,
        product_code: &str,
        name_prefix: &str,
    ) -> PortResult<Option<String>> {
        let out = self
            .shared
            .ec2(region, Class::Ec2Describe)
            .await?
            .describe_images()
            .owners(MARKETPLACE_OWNER)
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("product-code")
                    .values(product_code)
                    .build(),
            )
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("name")
                    .values(format!("{name_prefix}-*"))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.shared.error(region, "DescribeImages", &e))?;
        // Only launchable images count; the newest wins if Marketplace made more than one.
        Ok(out
            .images()
            .iter()
            .filter(|i| super::images::state_of(i) == ImageState::Available)
            .max_by(|a, b| a.creation_date().cmp(&b.creation_date()))
            .and_then(|i| i.image_id().map(str::to_owned)))
    }
}

fn sdk_change(
    c: &amipub_domain::changeset::Change,
    configured: &BTreeMap<String, String>,
) -> PortResult<Change> {
    let mut entity = Entity::builder().r#type(&c.entity.entity_type);
    if let Some(id) = &c.entity.identifier {
        entity = entity.identifier(id);
    }
    let entity = entity
        .build()
        .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))?;
    let mut change = Change::builder()
        .change_type(&c.change_type)
        .entity(entity)
        .details_document(to_document(&c.details_document));
    if let Some(n) = &c.change_name {
        change = change.change_name(n);
    }
    if !c.entity_tags.is_empty() {
        // The operator's tags go on every entity amipub creates, beside the change's own.
        let mut all = configured.clone();
        all.extend(
            c.entity_tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone())),
        );
        change = change.set_entity_tags(catalog_tags(&all));
    }
    change
        .build()
        .map_err(|e| PortError::new(FailureKind::InvalidInput, e.to_string()))
}

/// Tags as StartChangeSet's `ChangeSetTags` or a change's `EntityTags`, or none
/// (<https://docs.aws.amazon.com/marketplace-catalog/latest/api-reference/API_StartChangeSet.html>).
pub(super) fn catalog_tags(
    tags: &BTreeMap<String, String>,
) -> Option<Vec<aws_sdk_marketplacecatalog::types::Tag>> {
    let out: Vec<_> = tags
        .iter()
        .filter_map(|(k, v)| {
            aws_sdk_marketplacecatalog::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .ok()
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

impl Catalog for MarketplaceCatalog {
    async fn versions(&self, product_id: &str) -> PortResult<Vec<LiveVersion>> {
        Ok(versions(&self.describe(product_id).await?))
    }

    async fn open_change_set(&self, product_id: &str) -> PortResult<Option<String>> {
        let out = self
            .shared
            .catalog(Class::CatalogListChangeSets)
            .await
            .list_change_sets()
            .catalog(CATALOG)
            .filter_list(
                Filter::builder()
                    .name("EntityId")
                    .value_list(product_id)
                    .build(),
            )
            .filter_list(
                Filter::builder()
                    .name("Status")
                    .value_list("PREPARING")
                    .value_list("APPLYING")
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.shared.home_error("ListChangeSets", &e))?;
        Ok(out
            .change_set_summary_list()
            .iter()
            .filter(|s| {
                s.status()
                    .is_none_or(|st| matches!(st, ChangeStatus::Preparing | ChangeStatus::Applying))
            })
            .find_map(|s| s.change_set_id().map(str::to_owned)))
    }

    async fn start(&self, cs: &ChangeSet) -> PortResult<StartOutcome> {
        let changes = cs
            .changes
            .iter()
            .map(|c| sdk_change(c, &self.shared.seller.tags))
            .collect::<PortResult<Vec<_>>>()?;
        let out = self
            .shared
            .catalog(Class::CatalogChange)
            .await
            .start_change_set()
            .catalog(CATALOG)
            .set_change_set(Some(changes))
            .change_set_name(&cs.name)
            .client_request_token(&cs.token)
            .set_change_set_tags(catalog_tags(&self.shared.seller.tags))
            .send()
            .await;
        match out {
            Ok(o) => o
                .change_set_id()
                .map(|id| StartOutcome::Started(id.to_owned()))
                .ok_or_else(|| {
                    PortError::new(
                        FailureKind::ServerFault,
                        "StartChangeSet answered without a ChangeSetId",
                    )
                }),
            Err(e) if code(&e) == Some("ResourceInUseException") => {
                let msg = self.shared.home_error("StartChangeSet", &e).detail;
                Ok(StartOutcome::Locked(msg))
            }
            Err(e) => Err(self.shared.home_error("StartChangeSet", &e)),
        }
    }

    async fn status(&self, id: &str) -> PortResult<ChangeSetStatus> {
        let out = self.describe_change_set(id).await?;
        Ok(match out.status() {
            Some(ChangeStatus::Succeeded) => ChangeSetStatus::Succeeded,
            Some(ChangeStatus::Cancelled) => ChangeSetStatus::Cancelled,
            Some(ChangeStatus::Failed) => {
                let mut errors: Vec<(String, String)> = out
                    .change_set()
                    .iter()
                    .flat_map(|c| c.error_detail_list())
                    .map(|e| {
                        (
                            e.error_code().unwrap_or("UNKNOWN").to_owned(),
                            e.error_message().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                if errors.is_empty() {
                    errors.push((
                        out.failure_code()
                            .map_or("UNKNOWN".to_owned(), |c| c.as_str().to_owned()),
                        out.failure_description().unwrap_or_default().to_owned(),
                    ));
                }
                ChangeSetStatus::Failed(errors)
            }
            _ => ChangeSetStatus::Running,
        })
    }

    async fn cancel(&self, id: &str) -> PortResult<()> {
        self.shared
            .catalog(Class::CatalogChange)
            .await
            .cancel_change_set()
            .catalog(CATALOG)
            .change_set_id(id)
            .send()
            .await
            .map_err(|e| self.shared.home_error("CancelChangeSet", &e).about(id))?;
        Ok(())
    }

    async fn assessments(&self, change_set: &str) -> PortResult<Vec<ControlFinding>> {
        self.change_set_controls(change_set).await
    }

    async fn locate(
        &self,
        product_code: &str,
        name_prefix: &str,
        regions: &[Region],
    ) -> PortResult<BTreeMap<Region, String>> {
        // A partition without credentials in amipub.toml does not get better by waiting: the
        // release fails with the message saying what to add.
        for region in regions {
            self.shared.partition(region)?;
        }
        let looks = futures_util::stream::iter(regions.iter().cloned())
            .map(|region| async move {
                let r = self.locate_one(&region, product_code, name_prefix).await;
                (region, r)
            })
            .buffer_unordered(FAN_OUT)
            .collect::<Vec<_>>()
            .await;
        let mut found = BTreeMap::new();
        let mut last_error = None;
        let mut answered = 0;
        for (region, r) in looks {
            match r {
                Ok(Some(ami)) => {
                    answered += 1;
                    found.insert(region, ami);
                }
                Ok(None) => answered += 1,
                // One Region's trouble does not hold the others back: it is looked at again.
                Err(e) => last_error = Some(e),
            }
        }
        match last_error {
            Some(e) if answered == 0 => Err(e),
            _ => Ok(found),
        }
    }
}

impl Listings for MarketplaceCatalog {
    async fn entity_tags(&self, entity_id: &str) -> PortResult<Option<BTreeMap<String, String>>> {
        MarketplaceCatalog::entity_tags(self, entity_id)
            .await
            .map(Some)
    }

    async fn tag_entity(&self, entity_id: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        MarketplaceCatalog::tag_entity(self, entity_id, tags).await
    }

    async fn listing(&self, product_id: &str, offer_id: Option<&str>) -> PortResult<LiveListing> {
        let product = self.describe(product_id).await?;
        let offer = match offer_id {
            Some(o) => Some(self.describe(o).await?),
            None => None,
        };
        Ok(LiveListing::read(&product, offer.as_ref()))
    }

    async fn created(&self, change_set: &str) -> PortResult<Created> {
        let entities = self.change_set_entities(change_set).await?;
        // DescribeChangeSet names entities with their revision (`prod-…@1`).
        let of = |t: &str| {
            let kind = t.split('@').next().unwrap_or(t);
            entities
                .iter()
                .find(|(ty, _)| ty.starts_with(kind))
                .map(|(_, id)| id.split('@').next().unwrap_or(id).to_owned())
        };
        let product_id = of(AMI_PRODUCT).ok_or_else(|| {
            PortError::new(
                FailureKind::InvalidInput,
                format!("change set {change_set} names no product"),
            )
        })?;
        Ok(Created {
            product_id,
            offer_id: of(OFFER),
        })
    }
}
