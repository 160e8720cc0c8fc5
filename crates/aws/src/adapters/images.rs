//! EC2 images of the seller account: facts about a source AMI, the release's mirror (found by
//! its `amipub:release` tag before any copy, so a restart never copies twice), CopyImage with a
//! deterministic `ClientToken`, and the mirror's state.

use std::sync::Arc;

use amipub_domain::image::{Architecture, ImageState};
use amipub_domain::release::ImageFacts;
use amipub_engine::ports::{CopyRequest, Images, PortResult};
use aws_sdk_ec2::types::{Filter, Image, ResourceType, Tag, TagSpecification};

use super::{Shared, code};
use crate::limits::Class;

/// The tag carrying the release (and generation) on mirrors.
pub const RELEASE_TAG: &str = amipub_domain::tags::RELEASE_TAG;
/// The tag carrying the product slug on mirrors.
pub const PRODUCT_TAG: &str = "amipub:product";

/// EC2 images.
#[derive(Debug, Clone)]
pub struct Ec2Images {
    shared: Arc<Shared>,
}

impl Ec2Images {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// DescribeImages of one AMI in `region`; `None` when EC2 does not know it (or does not
    /// show it to the seller).
    pub async fn describe(&self, region: &str, ami: &str) -> PortResult<Option<Image>> {
        describe_in(&self.shared, region, ami).await
    }

    /// The seller's own images in its home Region whose tag `key` is `value`.
    pub async fn own_tagged(&self, key: &str, value: &str) -> PortResult<Vec<Image>> {
        own_tagged_in(&self.shared, self.shared.home(), key, value).await
    }
}

/// DescribeImages of one AMI in `region` with the credentials of its partition; `None` when
/// EC2 does not know it (or does not show it to the seller).
pub(super) async fn describe_in(
    shared: &Shared,
    region: &str,
    ami: &str,
) -> PortResult<Option<Image>> {
    let out = shared
        .ec2(region, Class::Ec2Describe)
        .await?
        .describe_images()
        .image_ids(ami)
        .send()
        .await;
    match out {
        Ok(o) => Ok(o.images().first().cloned()),
        Err(e) if code(&e).is_some_and(|c| c.starts_with("InvalidAMIID")) => Ok(None),
        Err(e) => Err(shared.error(region, "DescribeImages", &e).about(ami)),
    }
}

/// The seller's own images in `region` whose tag `key` is `value`.
pub(super) async fn own_tagged_in(
    shared: &Shared,
    region: &str,
    key: &str,
    value: &str,
) -> PortResult<Vec<Image>> {
    let out = shared
        .ec2(region, Class::Ec2Describe)
        .await?
        .describe_images()
        .owners("self")
        .filters(
            Filter::builder()
                .name(format!("tag:{key}"))
                .values(value)
                .build(),
        )
        .send()
        .await
        .map_err(|e| shared.error(region, "DescribeImages", &e))?;
    Ok(out.images().to_vec())
}

/// An image's state (`available`, `pending`, …).
pub fn state_of(i: &Image) -> ImageState {
    ImageState::from(i.state().map_or("", |s| s.as_str()))
}

/// The facts the admission checklist needs.
pub fn facts(i: &Image) -> ImageFacts {
    ImageFacts {
        owner: i.owner_id().unwrap_or_default().to_owned(),
        state: state_of(i),
        architecture: Architecture::from(i.architecture().map_or("", |a| a.as_str())),
        virtualization: i
            .virtualization_type()
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        root_device_type: i
            .root_device_type()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        ena_support: i.ena_support().unwrap_or(false),
        encrypted: i
            .block_device_mappings()
            .iter()
            .any(|m| m.ebs().and_then(|e| e.encrypted()).unwrap_or(false)),
        product_codes: i
            .product_codes()
            .iter()
            .filter_map(|p| p.product_code_id().map(str::to_owned))
            .collect(),
    }
}

fn tags(req: &CopyRequest, key: &str, kind: ResourceType) -> TagSpecification {
    let mut spec = TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key(key).value(&req.release).build())
        .tags(Tag::builder().key(PRODUCT_TAG).value(&req.product).build());
    for (k, v) in &req.tags {
        spec = spec.tags(Tag::builder().key(k).value(v).build());
    }
    spec.build()
}

/// CopyImage of `req` into `region` of the seller account of its partition, the copy and its
/// snapshots tagged with the release under `key` and with the product; `what` names the copy in
/// its description (`mirror`, `clone`). The new AMI.
pub(super) async fn copy_image(
    shared: &Shared,
    region: &str,
    req: &CopyRequest,
    key: &str,
    what: &str,
) -> PortResult<String> {
    let out = shared
        .ec2(region, Class::Ec2Copy)
        .await?
        .copy_image()
        .source_region(req.source_region.as_str())
        .source_image_id(&req.source_ami)
        .name(&req.name)
        .description(format!(
            "amipub {what} of {} ({}) for {}",
            req.source_ami, req.source_region, req.product
        ))
        .client_token(&req.client_token)
        .tag_specifications(tags(req, key, ResourceType::Image))
        .tag_specifications(tags(req, key, ResourceType::Snapshot))
        .send()
        .await
        .map_err(|e| shared.error(region, "CopyImage", &e).about(&req.source_ami))?;
    out.image_id().map(str::to_owned).ok_or_else(|| {
        amipub_engine::PortError::new(
            amipub_domain::release::FailureKind::ServerFault,
            "CopyImage answered without an ImageId",
        )
        .at("CopyImage", region)
    })
}

impl Images for Ec2Images {
    async fn inspect(&self, region: &str, ami: &str) -> PortResult<Option<ImageFacts>> {
        Ok(self.describe(region, ami).await?.as_ref().map(facts))
    }

    async fn find_mirror(&self, release: &str) -> PortResult<Option<(String, ImageState)>> {
        // A failed copy is left behind for inspection; a live one wins.
        let mut found: Vec<(String, ImageState)> = self
            .own_tagged(RELEASE_TAG, release)
            .await?
            .iter()
            .filter_map(|i| Some((i.image_id()?.to_owned(), state_of(i))))
            .collect();
        found.sort_by_key(|(_, s)| !matches!(s, ImageState::Available | ImageState::Pending));
        Ok(found.into_iter().next())
    }

    async fn copy(&self, req: &CopyRequest) -> PortResult<String> {
        copy_image(&self.shared, self.shared.home(), req, RELEASE_TAG, "mirror").await
    }

    async fn launchable(&self, region: &str, ami: &str) -> PortResult<bool> {
        Ok(self
            .describe(region, ami)
            .await?
            .is_some_and(|i| state_of(&i) == ImageState::Available))
    }

    async fn state(&self, ami: &str) -> PortResult<Option<ImageState>> {
        Ok(self
            .describe(self.shared.home(), ami)
            .await?
            .as_ref()
            .map(state_of))
    }
}
