//! The ports of lifecycle jobs, besides those of releases (`ports`): the live listing, the
//! seller-side mirrors, the durable jobs and their announcements, and EC2's instance types.

use std::collections::BTreeMap;
use std::future::Future;

use amipub_domain::job::Job;
use amipub_domain::lifecycle::LiveListing;
use amipub_domain::lifecycle::retention::Mirror;
use amipub_domain::release::{FailureKind, Release};

use crate::ports::{Announcement, PortError, PortResult, Ports, TimelineEntry};

/// What a creation change set made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The new product's id.
    pub product_id: String,
    /// The new offer's id, if the change set made one.
    pub offer_id: Option<String>,
}

/// The Marketplace listing as lifecycle jobs read it, and the tags of its entities (which
/// `verify` reads and `apply --tags` adds).
pub trait Listings: Send + Sync {
    /// The live listing of a product and, when given, its offer.
    fn listing(
        &self,
        product_id: &str,
        offer_id: Option<&str>,
    ) -> impl Future<Output = PortResult<LiveListing>> + Send;
    /// The entities a succeeded change set created.
    fn created(&self, change_set: &str) -> impl Future<Output = PortResult<Created>> + Send;
    /// The tags of an entity (a product or an offer); `None` when the catalog keeps no tags.
    fn entity_tags(
        &self,
        entity_id: &str,
    ) -> impl Future<Output = PortResult<Option<BTreeMap<String, String>>>> + Send {
        let _ = entity_id;
        async { Ok(None) }
    }
    /// Adds `tags` to an entity.
    fn tag_entity(
        &self,
        entity_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<()>> + Send {
        let _ = (entity_id, tags);
        async {
            Err(PortError::new(
                FailureKind::InvalidInput,
                "this catalog keeps no tags",
            ))
        }
    }
}

/// The seller-side mirrors of a product (retention cleanup).
pub trait Mirrors: Send + Sync {
    /// The product's mirrors (found by their `amipub:product` tag).
    fn mirrors(&self, product: &str) -> impl Future<Output = PortResult<Vec<Mirror>>> + Send;
    /// Removes a mirror's sharing, tags it retired at `now` (the grace period starts) and has
    /// EC2 deprecate it at `deprecate_at`.
    fn retire(
        &self,
        mirror: &Mirror,
        now: i64,
        deprecate_at: i64,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Adds `tags` to the mirror and its snapshots.
    fn add_tags(
        &self,
        mirror: &Mirror,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<()>> + Send {
        let _ = (mirror, tags);
        async {
            Err(PortError::new(
                FailureKind::InvalidInput,
                "these mirrors keep no tags",
            ))
        }
    }
    /// The tags of each of `snapshots` EC2 shows, by snapshot id (one it does not show is left
    /// out).
    fn snapshot_tags(
        &self,
        snapshots: &[String],
    ) -> impl Future<Output = PortResult<BTreeMap<String, BTreeMap<String, String>>>> + Send {
        let _ = snapshots;
        async { Ok(BTreeMap::new()) }
    }
    /// When the mirror was last launched (epoch seconds), as EC2 tells; `None` if never.
    fn last_launched(
        &self,
        mirror: &Mirror,
    ) -> impl Future<Output = PortResult<Option<i64>>> + Send;
    /// Deregisters a mirror and deletes its snapshots.
    fn delete(&self, mirror: &Mirror) -> impl Future<Output = PortResult<()>> + Send;
    /// The name of an AMI the seller account sees in `region`, if EC2 shows it.
    fn image_name(
        &self,
        region: &str,
        ami: &str,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
}

/// Durable lifecycle jobs, with the same lease rules as releases.
pub trait Jobs: Send + Sync {
    /// Records a new job with its first timeline entry.
    fn record_job(
        &self,
        job: &Job,
        entry: &TimelineEntry,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Jobs due at `now` that no other live worker holds, leased to `worker`.
    fn claim_due_jobs(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> impl Future<Output = PortResult<Vec<Job>>> + Send;
    /// One unfinished job, leased to `worker`, unless another live worker holds it.
    fn claim_job(
        &self,
        id: &str,
        now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<Option<Job>>> + Send;
    /// Saves a job nobody holds (an operator's request on a finished one); refused, writing
    /// nothing, while a live worker holds it.
    fn save_job(
        &self,
        job: &Job,
        timeline: &[TimelineEntry],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Saves a job only while `worker` holds its lease; refused, writing nothing, otherwise.
    fn save_job_as(
        &self,
        worker: &str,
        job: &Job,
        timeline: &[TimelineEntry],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Gives the lease back.
    fn release_job_lease(
        &self,
        id: &str,
        worker: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// The mirrors of the product's releases still in flight (never cleaned up).
    fn in_flight_mirrors(
        &self,
        product: &str,
    ) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The finished release of `product` with version title `version`, if there is one.
    fn done_release(
        &self,
        product: &str,
        version: &str,
    ) -> impl Future<Output = PortResult<Option<Release>>> + Send;
    /// Queues an announcement a job makes about one of the product's releases, once: a second
    /// call with the same id (a job run again after a crash) adds nothing, nor does one about a
    /// release this store does not hold.
    fn announce(
        &self,
        release_id: &str,
        announcement: &Announcement,
        now: i64,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Records a created product's ids (and the spec they belong to).
    fn record_ids(
        &self,
        product: &str,
        spec: &str,
        created: &Created,
        product_code: Option<&str>,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// The instance types EC2 offers.
pub trait InstanceTypeCatalog: Send + Sync {
    /// The current-generation instance types of `architecture` (`x86_64`, `arm64`), sorted.
    fn current(&self, architecture: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
}

/// The ports lifecycle jobs use besides those of releases.
pub trait LifecyclePorts: Ports {
    /// Listings port.
    type Listings: Listings;
    /// Mirrors port.
    type Mirrors: Mirrors;
    /// Jobs port.
    type Jobs: Jobs;
    /// Instance types port.
    type InstanceTypes: InstanceTypeCatalog;
    /// Listings.
    fn listings(&self) -> &Self::Listings;
    /// Mirrors.
    fn mirrors(&self) -> &Self::Mirrors;
    /// Jobs.
    fn jobs(&self) -> &Self::Jobs;
    /// Instance types.
    fn instance_types(&self) -> &Self::InstanceTypes;
}
