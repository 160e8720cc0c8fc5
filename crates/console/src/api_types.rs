//! The JSON shapes of `/api/v1`, with their schemas for the OpenAPI document. Built from the
//! domain's releases and jobs; the API's shapes change only with a new `/api/vN`.

use std::collections::BTreeMap;

use amipub_domain::job::Job;
use amipub_domain::release::Release;
use amipub_engine::ports::TimelineEntry;
use serde::Serialize;
use utoipa::ToSchema;

use crate::view;

/// An error: what was wrong and what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// In words, with the fix.
    pub error: String,
}

/// Why something failed, with the remedy.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureOut {
    /// The state whose step failed (where a retry resumes).
    pub step: String,
    /// The kind of failure.
    pub kind: String,
    /// What happened.
    pub detail: String,
    /// What to do about it.
    pub remedy: String,
}

impl FailureOut {
    /// A release's failure.
    pub fn of_release(f: &amipub_domain::release::Failure) -> Self {
        Self {
            step: f.step.name().to_owned(),
            kind: f.kind.label().to_owned(),
            detail: f.detail.clone(),
            remedy: f.remedy.clone(),
        }
    }

    /// A job's failure.
    pub fn of_job(f: &amipub_domain::job::JobFailure) -> Self {
        Self {
            step: f.step.name().to_owned(),
            kind: f.kind.label().to_owned(),
            detail: f.detail.clone(),
            remedy: f.remedy.clone(),
        }
    }
}

/// A release in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseSummary {
    /// The release id.
    pub id: String,
    /// The product's slug.
    pub product: String,
    /// The Marketplace version title.
    pub version: String,
    /// Its state.
    pub state: String,
    /// Seconds since it entered that state.
    pub in_state_seconds: i64,
    /// Regions whose Marketplace AMI (or clone, on the second-party path) is found.
    pub regions_found: i64,
    /// Regions it should reach.
    pub regions_expected: i64,
    /// Why it waits, in words (empty when finished).
    pub why: String,
    /// Why it failed, when it did.
    pub failure: Option<FailureOut>,
}

impl ReleaseSummary {
    /// The summary of a release at `now`.
    pub fn of(r: &Release, now: i64) -> Self {
        Self {
            id: r.id.to_string(),
            product: r.product.clone(),
            version: r.version.clone(),
            state: r.state.name().to_owned(),
            in_state_seconds: (now - r.entered_at).max(0),
            regions_found: view::found(r) as i64,
            regions_expected: r.expected_regions.len() as i64,
            why: view::release_why(r, now),
            failure: r.failure.as_ref().map(FailureOut::of_release),
        }
    }
}

/// A page of releases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseList {
    /// The releases.
    pub releases: Vec<ReleaseSummary>,
    /// The `before` cursor of the next page; null on the last one.
    pub next: Option<i64>,
}

/// One timeline entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItem {
    /// When (epoch seconds, the engine's clock).
    pub at: i64,
    /// The event.
    pub event: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Details (who asked, an error, a change set id).
    pub detail: String,
}

impl TimelineItem {
    /// The entries as items.
    pub fn all(t: &[TimelineEntry]) -> Vec<Self> {
        t.iter()
            .map(|e| Self {
                at: e.at,
                event: e.event.clone(),
                from: e.from.clone(),
                to: e.to.clone(),
                detail: e.detail.clone(),
            })
            .collect()
    }
}

/// One release with its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseDetail {
    /// The summary.
    pub release: ReleaseSummary,
    /// The build's AMI.
    pub source_ami: String,
    /// Its Region.
    pub source_region: String,
    /// The seller-side copy in us-east-1 (catalog path).
    pub mirror_ami: Option<String>,
    /// The change set that adds the version.
    pub change_set: Option<String>,
    /// Region → Marketplace AMI found so far.
    pub regions: BTreeMap<String, String>,
    /// What the final check found.
    pub verification: Option<String>,
    /// Oldest first.
    pub timeline: Vec<TimelineItem>,
}

impl ReleaseDetail {
    /// A release and its timeline.
    pub fn of(r: &Release, timeline: &[TimelineEntry], now: i64) -> Self {
        Self {
            release: ReleaseSummary::of(r, now),
            source_ami: r.source_ami.clone(),
            source_region: r.source_region.as_str().to_owned(),
            mirror_ami: r.mirror_ami.clone(),
            change_set: r.change_set.clone(),
            regions: r
                .regions
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect(),
            verification: r.verification.clone(),
            timeline: TimelineItem::all(timeline),
        }
    }
}

/// A lifecycle job in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobSummary {
    /// `j-` and 12 hex digits.
    pub id: String,
    /// What it does (`create`, `sync`, `promote`, …).
    pub kind: String,
    /// The product's slug.
    pub product: String,
    /// Its state.
    pub state: String,
    /// Seconds since it last changed.
    pub idle_seconds: i64,
    /// Why it waits, in words.
    pub why: String,
    /// Why it failed, when it did.
    pub failure: Option<FailureOut>,
}

impl JobSummary {
    /// The summary of a job at `now`.
    pub fn of(j: &Job, now: i64) -> Self {
        Self {
            id: j.id.clone(),
            kind: j.kind().label().to_owned(),
            product: j.request.product.clone(),
            state: j.state.name().to_owned(),
            idle_seconds: (now - j.updated_at).max(0),
            why: view::job_why(j, now),
            failure: j.failure.as_ref().map(FailureOut::of_job),
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// The jobs.
    pub jobs: Vec<JobSummary>,
    /// The `before` cursor of the next page; null on the last one.
    pub next: Option<i64>,
}

/// One job with its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    /// The summary.
    pub job: JobSummary,
    /// What was asked (`version`, `alias`, …).
    pub args: BTreeMap<String, String>,
    /// Change sets that succeeded, in order.
    pub change_sets: Vec<String>,
    /// What it did, one line each.
    pub outcome: Vec<String>,
    /// Oldest first.
    pub timeline: Vec<TimelineItem>,
}

/// The configured products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    /// The products.
    pub products: Vec<crate::ops::ProductInfo>,
}

/// One check of a product's last `amipub verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyRow {
    /// The product's slug.
    pub product: String,
    /// The Region, or `-` for the listing.
    pub region: String,
    /// What was checked (`listing.title`, `listing.visibility`, `ami 41.1`, `ssm /…/latest`).
    pub item: String,
    /// `correct`, `incorrect`, `missing`, `unexpected` or `unreachable`.
    pub status: String,
    /// What should be there.
    pub expected: String,
    /// What is there.
    pub actual: String,
    /// When it was checked (epoch seconds, the engine's clock).
    pub checked_at: i64,
}

impl VerifyRow {
    /// A stored check.
    pub fn of(c: &amipub_store::verify::Checked) -> Self {
        Self {
            product: c.row.product.clone(),
            region: c.row.region.clone(),
            item: c.row.item.clone(),
            status: c.row.status.word().to_lowercase(),
            expected: c.row.expected.clone(),
            actual: c.row.actual.clone(),
            checked_at: c.at,
        }
    }
}

/// The last verify of each product.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyList {
    /// By product, Region and item.
    pub rows: Vec<VerifyRow>,
}
