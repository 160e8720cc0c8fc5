//! The seller-side fleet for the lifecycle commands: the mirrors amipub made for a product (found
//! by the `amipub:product` tag, never anything untagged), retiring one (launch and create-volume
//! permissions removed, tagged `amipub:retired-at`), deleting one (deregistered, then its
//! snapshots), their snapshots' tags (for `verify` and `apply --tags`), and a look at any AMI in
//! any Region (for `verify` and `promote`). Every call takes
//! its own rate-limit token.

use std::collections::BTreeMap;
use std::sync::Arc;

use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::retention::Mirror;
use amipub_engine::lifecycle_ports::Mirrors;
use amipub_engine::ports::PortResult;
use aws_sdk_ec2::types::{
    CreateVolumePermissionModifications, Filter, ImageAttributeName, LaunchPermissionModifications,
    SnapshotAttributeName, Tag,
};

use super::images::{Ec2Images, PRODUCT_TAG, RELEASE_TAG, state_of};
use super::{Shared, code};
use crate::limits::Class;
use aws_smithy_types::date_time::Format;

/// Most snapshot ids in one DescribeSnapshots filter: a request of bounded size, however many
/// mirrors a product has.
const SNAPSHOT_IDS_PER_CALL: usize = 100;

/// The tag marking a retired mirror, valued with the epoch second it was retired.
pub const RETIRED_TAG: &str = "amipub:retired-at";

/// What `verify` and `promote` learn of an AMI in a Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLook {
    /// `available`, `pending`, `deregistered`, …
    pub state: ImageState,
    /// Its name.
    pub name: String,
}

/// Seller-side images.
#[derive(Debug, Clone)]
pub struct Fleet {
    shared: Arc<Shared>,
    images: Ec2Images,
}

impl Fleet {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            images: Ec2Images::new(shared.clone()),
            shared,
        }
    }

    /// EC2 in the seller's home Region, once a token of `class` is taken.
    async fn ec2(&self, class: Class) -> PortResult<aws_sdk_ec2::Client> {
        self.shared.ec2(self.shared.home(), class).await
    }

    /// The mirrors made for `product` (its slug) in the seller's home Region.
    pub async fn mirrors(&self, product: &str) -> PortResult<Vec<Mirror>> {
        let images = self.images.own_tagged(PRODUCT_TAG, product).await?;
        Ok(images
            .iter()
            .filter_map(|i| {
                Some(Mirror {
                    ami: i.image_id()?.to_owned(),
                    snapshots: i
                        .block_device_mappings()
                        .iter()
                        .filter_map(|m| m.ebs()?.snapshot_id().map(str::to_owned))
                        .collect(),
                    retired_at: i
                        .tags()
                        .iter()
                        .find(|t| t.key() == Some(RETIRED_TAG))
                        .and_then(|t| t.value()?.parse().ok()),
                    // `<release id>/<generation>`.
                    release: i
                        .tags()
                        .iter()
                        .find(|t| t.key() == Some(RELEASE_TAG))
                        .and_then(|t| t.value()?.split('/').next().map(str::to_owned)),
                    region: self.shared.home().to_owned(),
                    tags: i
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect(),
                })
            })
            .collect())
    }

    /// The tags of the seller's own `snapshots` in the home Region, by id: DescribeSnapshots
    /// with a `snapshot-id` filter, which (unlike `SnapshotId.N`) leaves out a snapshot that is
    /// gone instead of failing
    /// (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html>).
    pub async fn snapshot_tags(
        &self,
        snapshots: &[String],
    ) -> PortResult<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out = BTreeMap::new();
        for chunk in snapshots.chunks(SNAPSHOT_IDS_PER_CALL) {
            let mut token: Option<String> = None;
            loop {
                let page = self
                    .ec2(Class::Ec2Describe)
                    .await?
                    .describe_snapshots()
                    .owner_ids("self")
                    .filters(
                        Filter::builder()
                            .name("snapshot-id")
                            .set_values(Some(chunk.to_vec()))
                            .build(),
                    )
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| self.shared.home_error("DescribeSnapshots", &e))?;
                for s in page.snapshots() {
                    let Some(id) = s.snapshot_id() else { continue };
                    let tags = s
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect();
                    out.insert(id.to_owned(), tags);
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    /// The soft step: nobody else may launch the mirror or make volumes of its snapshots any
    /// more, it carries the time it was retired, and EC2 deprecates it at `deprecate_at` (a
    /// deprecated AMI is hidden from DescribeImages listings but still launches by id:
    /// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html>).
    pub async fn retire(&self, m: &Mirror, now: i64, deprecate_at: i64) -> PortResult<()> {
        let perms = self
            .ec2(Class::Ec2Describe)
            .await?
            .describe_image_attribute()
            .image_id(&m.ami)
            .attribute(ImageAttributeName::LaunchPermission)
            .send()
            .await
            .map_err(|e| self.shared.home_error("DescribeImageAttribute", &e))?;
        if !perms.launch_permissions().is_empty() {
            self.ec2(Class::Ec2Modify)
                .await?
                .modify_image_attribute()
                .image_id(&m.ami)
                .launch_permission(
                    LaunchPermissionModifications::builder()
                        .set_remove(Some(perms.launch_permissions().to_vec()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| self.shared.home_error("ModifyImageAttribute", &e))?;
        }
        for snap in &m.snapshots {
            let perms = self
                .ec2(Class::Ec2Describe)
                .await?
                .describe_snapshot_attribute()
                .snapshot_id(snap)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await
                .map_err(|e| self.shared.home_error("DescribeSnapshotAttribute", &e))?;
            if !perms.create_volume_permissions().is_empty() {
                self.ec2(Class::Ec2Modify)
                    .await?
                    .modify_snapshot_attribute()
                    .snapshot_id(snap)
                    .create_volume_permission(
                        CreateVolumePermissionModifications::builder()
                            .set_remove(Some(perms.create_volume_permissions().to_vec()))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| self.shared.home_error("ModifySnapshotAttribute", &e))?;
            }
        }
        // Deprecated before the tag that marks it retired: a crash between the two leaves it
        // unmarked, so the next cleanup retires it again, deprecation included.
        self.ec2(Class::Ec2Modify)
            .await?
            .enable_image_deprecation()
            .image_id(&m.ami)
            .deprecate_at(aws_smithy_types::DateTime::from_secs(deprecate_at))
            .send()
            .await
            .map_err(|e| self.shared.home_error("EnableImageDeprecation", &e))?;
        self.ec2(Class::Ec2Modify)
            .await?
            .create_tags()
            .resources(&m.ami)
            .tags(
                Tag::builder()
                    .key(RETIRED_TAG)
                    .value(now.to_string())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.shared.home_error("CreateTags", &e))?;
        Ok(())
    }

    /// When the mirror was last launched, as DescribeImageAttribute's `lastLaunchedTime` tells
    /// (EC2 updates it within a day of a launch); `None` if never (or not recorded).
    pub async fn last_launched(&self, m: &Mirror) -> PortResult<Option<i64>> {
        let out = self
            .ec2(Class::Ec2Describe)
            .await?
            .describe_image_attribute()
            .image_id(&m.ami)
            .attribute(ImageAttributeName::LastLaunchedTime)
            .send()
            .await
            .map_err(|e| self.shared.home_error("DescribeImageAttribute", &e))?;
        Ok(out
            .last_launched_time()
            .and_then(|v| v.value())
            .and_then(|t| aws_smithy_types::DateTime::from_str(t, Format::DateTime).ok())
            .map(|t| t.secs()))
    }

    /// The hard step: deregister the mirror, then delete its snapshots. Safe to repeat: what is
    /// already gone is skipped.
    pub async fn delete(&self, m: &Mirror) -> PortResult<()> {
        let out = self
            .ec2(Class::Ec2Modify)
            .await?
            .deregister_image()
            .image_id(&m.ami)
            .send()
            .await;
        match out {
            Ok(_) => {}
            Err(e) if code(&e).is_some_and(|c| c.starts_with("InvalidAMIID")) => {}
            Err(e) => return Err(self.shared.home_error("DeregisterImage", &e)),
        }
        for snap in &m.snapshots {
            let out = self
                .ec2(Class::Ec2Modify)
                .await?
                .delete_snapshot()
                .snapshot_id(snap)
                .send()
                .await;
            match out {
                Ok(_) => {}
                Err(e) if code(&e).is_some_and(|c| c.starts_with("InvalidSnapshot")) => {}
                Err(e) => return Err(self.shared.home_error("DeleteSnapshot", &e)),
            }
        }
        Ok(())
    }

    /// An AMI as the seller account sees it in `region`; `None` when EC2 does not show it.
    pub async fn image(&self, region: &str, ami: &str) -> PortResult<Option<ImageLook>> {
        Ok(self.images.describe(region, ami).await?.map(|i| ImageLook {
            state: state_of(&i),
            name: i.name().unwrap_or_default().to_owned(),
        }))
    }
}

impl Mirrors for Fleet {
    async fn mirrors(&self, product: &str) -> PortResult<Vec<Mirror>> {
        Fleet::mirrors(self, product).await
    }

    async fn retire(&self, mirror: &Mirror, now: i64, deprecate_at: i64) -> PortResult<()> {
        Fleet::retire(self, mirror, now, deprecate_at).await
    }

    async fn last_launched(&self, mirror: &Mirror) -> PortResult<Option<i64>> {
        Fleet::last_launched(self, mirror).await
    }

    async fn snapshot_tags(
        &self,
        snapshots: &[String],
    ) -> PortResult<BTreeMap<String, BTreeMap<String, String>>> {
        Fleet::snapshot_tags(self, snapshots).await
    }

    async fn add_tags(&self, mirror: &Mirror, tags: &BTreeMap<String, String>) -> PortResult<()> {
        let mut call = self
            .ec2(Class::Ec2Modify)
            .await?
            .create_tags()
            .resources(&mirror.ami);
        for s in &mirror.snapshots {
            call = call.resources(s);
        }
        for (k, v) in tags {
            call = call.tags(Tag::builder().key(k).value(v).build());
        }
        call.send()
            .await
            .map_err(|e| self.shared.home_error("CreateTags", &e).about(&mirror.ami))?;
        Ok(())
    }

    async fn delete(&self, mirror: &Mirror) -> PortResult<()> {
        Fleet::delete(self, mirror).await
    }

    async fn image_name(&self, region: &str, ami: &str) -> PortResult<Option<String>> {
        Ok(self.image(region, ami).await?.map(|i| i.name))
    }
}
