//! The second-party path's clones on EC2: one copy of the source AMI per Region, made in the
//! seller account of that Region's partition (GovCloud with its own credentials), tagged with
//! the release so a look finds it before any copy; launch permission on each clone and
//! create-volume permission on each of its snapshots, read back with DescribeImageAttribute and
//! DescribeSnapshotAttribute
//! (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html>).

use std::collections::BTreeMap;
use std::sync::Arc;

use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_engine::ports::{Clones, CopyRequest, PortResult, Shares};
use aws_sdk_ec2::types::{
    CreateVolumePermission, CreateVolumePermissionModifications, Image, LaunchPermission,
    LaunchPermissionModifications,
};

use super::Shared;
use super::images::{copy_image, describe_in, own_tagged_in, state_of};
use crate::limits::Class;

/// The tag carrying the release on clones (the same in every Region and retry).
pub const CLONE_TAG: &str = "amipub:clone-of";

/// Clones on EC2.
#[derive(Debug, Clone)]
pub struct Ec2Clones {
    shared: Arc<Shared>,
}

impl Ec2Clones {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    async fn tagged(&self, region: &str, release: &str) -> PortResult<Vec<Image>> {
        own_tagged_in(&self.shared, region, CLONE_TAG, release).await
    }

    async fn snapshots(&self, region: &str, ami: &str) -> PortResult<Vec<String>> {
        let image = describe_in(&self.shared, region, ami).await?;
        Ok(image
            .iter()
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_owned))
            .collect())
    }
}

impl Clones for Ec2Clones {
    async fn find(
        &self,
        region: &Region,
        release: &str,
    ) -> PortResult<Option<(String, ImageState)>> {
        // A failed copy stays for inspection and is not counted; a live one wins.
        Ok(self
            .tagged(region, release)
            .await?
            .iter()
            .filter_map(|i| Some((i.image_id()?.to_owned(), state_of(i))))
            .find(|(_, s)| matches!(s, ImageState::Available | ImageState::Pending)))
    }

    async fn copy(&self, region: &Region, req: &CopyRequest) -> PortResult<String> {
        copy_image(&self.shared, region, req, CLONE_TAG, "clone").await
    }

    async fn share(
        &self,
        region: &Region,
        ami: &str,
        accounts: &[String],
    ) -> PortResult<Vec<String>> {
        let ec2 = self.shared.ec2(region, Class::Ec2Modify).await?;
        let mut launch = LaunchPermissionModifications::builder();
        for a in accounts {
            launch = launch.add(LaunchPermission::builder().user_id(a).build());
        }
        ec2.modify_image_attribute()
            .image_id(ami)
            .launch_permission(launch.build())
            .send()
            .await
            .map_err(|e| {
                self.shared
                    .error(region, "ModifyImageAttribute", &e)
                    .about(ami)
            })?;
        let snapshots = self.snapshots(region, ami).await?;
        for snap in &snapshots {
            let mut volume = CreateVolumePermissionModifications::builder();
            for a in accounts {
                volume = volume.add(CreateVolumePermission::builder().user_id(a).build());
            }
            self.shared
                .ec2(region, Class::Ec2Modify)
                .await?
                .modify_snapshot_attribute()
                .snapshot_id(snap)
                .create_volume_permission(volume.build())
                .send()
                .await
                .map_err(|e| {
                    self.shared
                        .error(region, "ModifySnapshotAttribute", &e)
                        .about(snap)
                })?;
        }
        Ok(snapshots)
    }

    async fn shares(&self, region: &Region, ami: &str, snaps: &[String]) -> PortResult<Shares> {
        let ec2 = self.shared.ec2(region, Class::Ec2Describe).await?;
        let image = ec2
            .describe_image_attribute()
            .image_id(ami)
            .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
            .send()
            .await
            .map_err(|e| {
                self.shared
                    .error(region, "DescribeImageAttribute", &e)
                    .about(ami)
            })?;
        let launch = image
            .launch_permissions()
            .iter()
            .filter_map(|p| p.user_id().map(str::to_owned))
            .collect();
        let mut snapshots = BTreeMap::new();
        for snap in snaps {
            let out = self
                .shared
                .ec2(region, Class::Ec2Describe)
                .await?
                .describe_snapshot_attribute()
                .snapshot_id(snap)
                .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await
                .map_err(|e| {
                    self.shared
                        .error(region, "DescribeSnapshotAttribute", &e)
                        .about(snap)
                })?;
            let granted = out
                .create_volume_permissions()
                .iter()
                .filter_map(|p| p.user_id().map(str::to_owned))
                .collect();
            snapshots.insert(snap.clone(), granted);
        }
        Ok(Shares { launch, snapshots })
    }
}
