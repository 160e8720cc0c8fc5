//! The ports: one trait per capability, speaking amipub's types (AMI ids as strings validated
//! upstream, `ImageFacts`, the planner's `ChangeSet`), never SDK types. Adapters live in `aws`
//! and `store`; fakes in `memory`. Those lifecycle jobs use besides are in `lifecycle_ports`.

use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use std::collections::BTreeMap;
use std::future::Future;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::lifecycle::LiveVersion;
use amipub_domain::lifecycle::buyer::BuyerVersion;
use amipub_domain::release::{ControlFinding, FailureKind, ImageFacts, Release};

/// A failed port call: its kind decides retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct PortError {
    /// Kind.
    pub kind: FailureKind,
    /// What happened.
    pub detail: String,
    /// The AWS call that failed (`CopyImage`), when one did.
    pub call: Option<String>,
    /// The Region the call was made in.
    pub region: Option<String>,
    /// What the call was about (an AMI, a change set, a parameter), when it was about one.
    pub resource: Option<String>,
}

impl PortError {
    /// A new error.
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            call: None,
            region: None,
            resource: None,
        }
    }

    /// The same error, made by `call` in `region`.
    pub fn at(mut self, call: &str, region: &str) -> Self {
        self.call = Some(call.to_owned());
        self.region = Some(region.to_owned());
        self
    }

    /// The same error, about `resource`.
    pub fn about(mut self, resource: &str) -> Self {
        self.resource = Some(resource.to_owned());
        self
    }

    /// Records the call, Region and resource on the current span (declared by the engine's
    /// `command` span), so that what is reported next in it names them.
    pub fn record_on_span(&self) {
        let span = tracing::Span::current();
        for (field, value) in [
            ("call", &self.call),
            ("region", &self.region),
            ("resource", &self.resource),
        ] {
            if let Some(v) = value {
                span.record(field, v.as_str());
            }
        }
    }
}

/// Results of port calls.
pub type PortResult<T> = Result<T, PortError>;

/// A request to copy the source AMI into the seller account in us-east-1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    /// The release (tagged on the copy as `amipub:release`).
    pub release: String,
    /// The product's slug (tagged as `amipub:product`).
    pub product: String,
    /// Source Region.
    pub source_region: Region,
    /// Source AMI.
    pub source_ami: String,
    /// Name of the copy.
    pub name: String,
    /// `ClientToken`.
    pub client_token: String,
    /// More tags for the copy and its snapshots: the operator's and the provenance ones.
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The state of a change set, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetStatus {
    /// PREPARING or APPLYING.
    Running,
    /// SUCCEEDED.
    Succeeded,
    /// FAILED, with (code, message) of each error.
    Failed(Vec<(String, String)>),
    /// CANCELLED.
    Cancelled,
}

/// What StartChangeSet did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// Accepted (or the same request accepted before).
    Started(String),
    /// Another change set holds the product.
    Locked(String),
}

/// One recorded step of a release (the timeline `amipub show` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Epoch seconds.
    pub at: i64,
    /// The event's name.
    pub event: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Details (an error, a change set id, regions found).
    pub detail: String,
}

/// An announcement for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Deterministic message id.
    pub id: String,
    /// The message's schema (`amipub.release.published.v1`, …).
    pub schema: String,
    /// Topic (without the environment prefix).
    pub topic: String,
    /// JSON body.
    pub body: String,
}

/// EC2 images.
pub trait Images: Send + Sync {
    /// Facts about an AMI as the seller account sees it, or `None` if it does not exist there.
    fn inspect(
        &self,
        region: &str,
        ami: &str,
    ) -> impl Future<Output = PortResult<Option<ImageFacts>>> + Send;
    /// The seller-side copy made for a release (found by its tag), if any: (AMI, state).
    fn find_mirror(
        &self,
        release: &str,
    ) -> impl Future<Output = PortResult<Option<(String, ImageState)>>> + Send;
    /// Starts a copy; returns the new AMI.
    fn copy(&self, request: &CopyRequest) -> impl Future<Output = PortResult<String>> + Send;
    /// The state of an AMI in us-east-1 of the seller account.
    fn state(&self, ami: &str) -> impl Future<Output = PortResult<Option<ImageState>>> + Send;
    /// Whether the seller account can launch `ami` in `region` now: EC2 shows it there (it is
    /// public, shared or owned) and it is `available`.
    fn launchable(&self, region: &str, ami: &str) -> impl Future<Output = PortResult<bool>> + Send;
}

/// What a clone's shares read back as.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shares {
    /// Accounts with launch permission on the AMI.
    pub launch: Vec<String>,
    /// Snapshot → accounts with create-volume permission on it, for each EBS snapshot of the AMI.
    pub snapshots: BTreeMap<String, Vec<String>>,
}

/// The second-party path's clones: one copy of the source AMI per Region, in the seller account
/// of that Region's partition.
pub trait Clones: Send + Sync {
    /// The release's clone in `region`, found by its tag (copies that failed are not counted):
    /// (AMI, state).
    fn find(
        &self,
        region: &Region,
        release: &str,
    ) -> impl Future<Output = PortResult<Option<(String, ImageState)>>> + Send;
    /// Starts a copy of the source AMI into `region`; returns the new AMI.
    fn copy(
        &self,
        region: &Region,
        request: &CopyRequest,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Grants launch permission on `ami` and create-volume permission on each of its snapshots
    /// to `accounts` (adding is idempotent); returns the snapshots.
    fn share(
        &self,
        region: &Region,
        ami: &str,
        accounts: &[String],
    ) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// Reads both permissions back, of `ami` and of its `snapshots`.
    fn shares(
        &self,
        region: &Region,
        ami: &str,
        snapshots: &[String],
    ) -> impl Future<Output = PortResult<Shares>> + Send;
}

/// The second-party records kept with releases: their load forms, and the share list a release
/// compares with its predecessor's.
pub trait Forms: Send + Sync {
    /// Stores the workbook of a release (replacing an earlier one of the same release).
    fn save_form(
        &self,
        release: &str,
        name: &str,
        workbook: &[u8],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// The accounts the product's most recent other second-party release shared its clones
    /// with, if any did.
    fn last_share_list(
        &self,
        product: &str,
        except: &str,
    ) -> impl Future<Output = PortResult<Option<Vec<String>>>> + Send;
    /// The stored workbook of a release: (file name, bytes).
    fn form(
        &self,
        release: &str,
    ) -> impl Future<Output = PortResult<Option<(String, Vec<u8>)>>> + Send;
}

/// The ingestion role.
pub trait Grants: Send + Sync {
    /// `Ok(None)` when the role is in place, `Ok(Some(what is missing))` otherwise.
    fn check(&self) -> impl Future<Output = PortResult<Option<String>>> + Send;
}

/// The Marketplace Catalog.
pub trait Catalog: Send + Sync {
    /// Every version of the product, restricted ones included (DescribeEntity).
    fn versions(
        &self,
        product_id: &str,
    ) -> impl Future<Output = PortResult<Vec<LiveVersion>>> + Send;
    /// A change set on the product that is still PREPARING or APPLYING.
    fn open_change_set(
        &self,
        product_id: &str,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
    /// StartChangeSet.
    fn start(
        &self,
        change_set: &ChangeSet,
    ) -> impl Future<Output = PortResult<StartOutcome>> + Send;
    /// DescribeChangeSet.
    fn status(&self, id: &str) -> impl Future<Output = PortResult<ChangeSetStatus>> + Send;
    /// CancelChangeSet.
    fn cancel(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// The controls of the change set's AMI security assessments (ListAssessments and
    /// DescribeAssessment): one per control of each scanned version; none when the change set
    /// has no assessment.
    fn assessments(
        &self,
        change_set: &str,
    ) -> impl Future<Output = PortResult<Vec<ControlFinding>>> + Send;
    /// The product's Marketplace AMI of a version in each of `regions` where it already exists
    /// and is available. Marketplace names its Regional copies after the submitted AMI, so the
    /// version is recognised by `name_prefix`, the name of the release's mirror.
    fn locate(
        &self,
        product_code: &str,
        name_prefix: &str,
        regions: &[Region],
    ) -> impl Future<Output = PortResult<BTreeMap<Region, String>>> + Send;
}

/// SSM parameters.
pub trait Parameters: Send + Sync {
    /// The value of `name` in `region`, if it exists.
    fn get(
        &self,
        region: &str,
        name: &str,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
    /// The values of those of `names` that exist in `region`, by name. Stores that can read
    /// several at once do (SSM GetParameters takes ten names per call); this default reads them
    /// one by one.
    fn get_many(
        &self,
        region: &str,
        names: &[String],
    ) -> impl Future<Output = PortResult<BTreeMap<String, String>>> + Send {
        async move {
            let mut out = BTreeMap::new();
            for name in names {
                if let Some(v) = self.get(region, name).await? {
                    out.insert(name.clone(), v);
                }
            }
            Ok(out)
        }
    }
    /// Writes `name` = `ami` in `region` (callers look first: a write is a new parameter
    /// version).
    fn set(
        &self,
        region: &str,
        name: &str,
        ami: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Creates `name` = `ami` in `region` (callers looked: it does not exist) with `tags`.
    /// Stores without tags write it as `set` does.
    fn create(
        &self,
        region: &str,
        name: &str,
        ami: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<()>> + Send {
        let _ = tags;
        self.set(region, name, ami)
    }
    /// The tags of parameter `name` in `region`; `None` when it does not exist, or the store
    /// keeps no tags.
    fn tags(
        &self,
        region: &str,
        name: &str,
    ) -> impl Future<Output = PortResult<Option<BTreeMap<String, String>>>> + Send {
        let _ = (region, name);
        async { Ok(None) }
    }
    /// Adds `tags` to the existing parameter `name` in `region`; `false` when it does not exist.
    fn add_tags(
        &self,
        region: &str,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<bool>> + Send {
        let _ = (region, name, tags);
        async {
            Err(PortError::new(
                FailureKind::InvalidInput,
                "this store of parameters keeps no tags",
            ))
        }
    }
}

/// The buyer's view of AWS Marketplace (the Discovery API), as the seller account sees it.
pub trait Buyers: Send + Sync {
    /// The AMI versions buyers are offered for `product_id`, or `None` when AWS Marketplace does
    /// not show the product to this account at all. The view names no Regions.
    fn versions(
        &self,
        product_id: &str,
    ) -> impl Future<Output = PortResult<Option<Vec<BuyerVersion>>>> + Send;
}

/// Whether a lease held by `owner` until `until` lets `worker` claim the release at `now`:
/// nobody holds it, `worker` does, or it ran out. Every store applies this rule (a store may
/// also free the leases of holders it can tell are gone).
pub fn lease_free(owner: Option<&str>, until: Option<i64>, worker: &str, now: i64) -> bool {
    owner.is_none_or(|o| o == worker || until.is_none_or(|u| u <= now))
}

/// How a holder of the local product lock is named in waits: `amipub release r-…` or
/// `amipub job j-…`.
pub fn lock_holder(id: &str) -> String {
    if id.starts_with("j-") {
        format!("amipub job {id}")
    } else {
        format!("amipub release {id}")
    }
}

/// Durable state.
pub trait Store: Send + Sync {
    /// Releases that are due at `now` and not leased by another worker, leased to `worker` for
    /// `lease_secs`.
    fn claim_due(
        &self,
        now: i64,
        worker: &str,
        lease_secs: i64,
        limit: usize,
    ) -> impl Future<Output = PortResult<Vec<Release>>> + Send;
    /// One release, leased to `worker` for `lease_secs`, if it is not finished and no other
    /// live worker holds it (whether or not it is due).
    fn claim(
        &self,
        id: &str,
        now: i64,
        worker: &str,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<Option<Release>>> + Send;
    /// Saves a release with its new timeline entries and, when given, an announcement — all or
    /// nothing — when nobody holds it: a new release, or an operator's change to a finished one.
    /// A release a live worker holds is refused with an error naming the holder.
    fn save(
        &self,
        release: &Release,
        timeline: &[TimelineEntry],
        announcements: &[Announcement],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Saves like `save`, but only while `worker` holds the release's lease (the fence of every
    /// transition a worker makes): a worker whose lease ran out or was taken writes nothing and
    /// gets an error naming the holder.
    fn save_as(
        &self,
        worker: &str,
        release: &Release,
        timeline: &[TimelineEntry],
        announcements: &[Announcement],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Gives the lease back.
    fn release_lease(&self, id: &str, worker: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Stores a wake-up for whatever waits on `key` (a change set's id, or a local lock holder
    /// named by `lock_holder`), to be applied by `apply_wakes`; storing the same key twice is
    /// one wake-up.
    fn add_wake(&self, key: &str, now: i64) -> impl Future<Output = PortResult<()>> + Send;
    /// Makes every unfinished release and job that waits on a stored wake-up's key
    /// (`Release::waits_on`, `Job::waits_on`) due at `now`, and forgets the wake-ups it applied.
    /// A wake-up whose waiter a worker holds right now stays for the next call (that worker may
    /// be storing a later look). Returns how many releases and jobs were woken.
    fn apply_wakes(&self, now: i64) -> impl Future<Output = PortResult<usize>> + Send;
    /// The product's newest releases that are Done, at most `n` (the history its waits are paced
    /// by).
    fn recent_done(
        &self,
        product: &str,
        n: usize,
    ) -> impl Future<Output = PortResult<Vec<Release>>> + Send;
    /// Another release of the product that is submitting or scanning, or a lifecycle job
    /// submitting or following a change set of it (the local lock queue).
    fn product_busy(
        &self,
        product: &str,
        except: &str,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
}

/// Everything the engine uses, bundled.
pub trait Ports: Send + Sync {
    /// Images port.
    type Images: Images;
    /// Grants port.
    type Grants: Grants;
    /// Catalog port.
    type Catalog: Catalog;
    /// Parameters port.
    type Parameters: Parameters;
    /// Store port.
    type Store: Store + Forms;
    /// Clones port (second-party path).
    type Clones: Clones;
    /// Buyer's-view port.
    type Buyers: Buyers;
    /// Images.
    fn images(&self) -> &Self::Images;
    /// Grants.
    fn grants(&self) -> &Self::Grants;
    /// Catalog.
    fn catalog(&self) -> &Self::Catalog;
    /// Parameters.
    fn parameters(&self) -> &Self::Parameters;
    /// Store.
    fn store(&self) -> &Self::Store;
    /// Clones.
    fn clones(&self) -> &Self::Clones;
    /// The buyer's view.
    fn buyers(&self) -> &Self::Buyers;
}
