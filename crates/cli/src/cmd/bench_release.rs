//! `amipub bench` (a)–(c), measured with or without change-set events: one release to 30
//! Regions against the sandbox's own critical path (copy + change set preparation + scan +
//! application + the slowest Region's lag), its calls per service from the sandbox's request
//! log, and many releases over many products at once against the lower bound the product locks
//! set, with the peak memory of the process during that run. The single release is the product's
//! second: the first only gives the history the waits are paced by, and is reported apart.

use std::collections::BTreeMap;
use std::time::Instant;

use amipub_domain::spec::ProductSpec;
use amipub_sandbox::catalog::publish::lag;
use amipub_sandbox::faults::FaultRule;
use amipub_sandbox::server::lock;
use serde::Serialize;

use super::bench_rig::{Options, Rig, rig_with, spec};

/// Discovery API operations, signed as `aws-marketplace` like the Catalog's.
const DISCOVERY: &[&str] = &[
    "GetProduct",
    "GetOffer",
    "GetOfferSet",
    "GetOfferTerms",
    "ListFulfillmentOptions",
    "ListPurchaseOptions",
    "SearchFacets",
    "SearchListings",
];

/// Calls of one release, per service.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Calls {
    pub(super) catalog: usize,
    pub(super) discovery: usize,
    pub(super) ec2: usize,
    pub(super) ssm: usize,
    pub(super) iam: usize,
    pub(super) sqs: usize,
}

/// One release measured.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Single {
    pub(super) regions: usize,
    pub(super) ratio: f64,
    pub(super) critical_path_s: f64,
    pub(super) elapsed_s: i64,
    pub(super) calls: Calls,
    /// The product's first release (no history): its ratio and calls.
    pub(super) first: First,
    #[serde(skip)]
    pub(super) wall_s: f64,
    #[serde(skip)]
    pub(super) done: bool,
}

/// The first release of a product, measured like `Single`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct First {
    pub(super) ratio: f64,
    pub(super) calls: Calls,
}

/// Many releases measured.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Fleet {
    pub(super) releases: usize,
    pub(super) products: usize,
    pub(super) ratio: f64,
    pub(super) peak_rss_mib: Option<f64>,
    pub(super) makespan_s: i64,
    pub(super) bound_s: f64,
    pub(super) not_done: usize,
    /// Versions the Catalog added more than once (must be 0).
    pub(super) added_twice: usize,
    #[serde(skip)]
    pub(super) wall_s: f64,
}

/// What a fleet run is made of.
pub(super) struct FleetShape<'a> {
    pub(super) products: usize,
    pub(super) releases: usize,
    pub(super) regions: &'a [String],
}

/// One release of a fresh product to `regions`, after a first one that gives it a history.
pub(super) async fn single(scale: f64, events: bool, regions: &[String]) -> anyhow::Result<Single> {
    let one = spec(0, regions)?;
    let options = Options {
        scale,
        events,
        faults: Vec::new(),
    };
    let rig = rig_with(&options, std::slice::from_ref(&one), &Default::default()).await?;
    let critical = critical_path(&rig, regions);
    let (first_took, first_calls, _, _) = release(&rig, &one, "41.1").await?;
    let (took, calls, wall_s, failed) = release(&rig, &one, "41.2").await?;
    rig.sandbox.stop().await;
    Ok(Single {
        regions: regions.len(),
        ratio: took as f64 / critical,
        critical_path_s: critical,
        elapsed_s: took,
        calls,
        first: First {
            ratio: first_took as f64 / critical,
            calls: first_calls,
        },
        wall_s,
        done: failed == 0,
    })
}

/// Records one release and settles it: (virtual seconds, calls, wall seconds, not done).
async fn release(
    rig: &Rig,
    one: &ProductSpec,
    version: &str,
) -> anyhow::Result<(i64, Calls, f64, usize)> {
    let before = rig.calls();
    let t0 = rig.now();
    let wall = Instant::now();
    rig.record(one, version).await?;
    let (took, failed) = rig.settle(t0).await?;
    let wall_s = wall.elapsed().as_secs_f64();
    Ok((took, calls_since(&before, &rig.calls()), wall_s, failed))
}

fn critical_path(rig: &Rig, regions: &[String]) -> f64 {
    let w = lock(&rig.sandbox.world);
    let c = &w.config;
    let slowest = regions.iter().map(|r| lag(&w, r)).fold(0.0, f64::max);
    c.copy_seconds + c.catalog_prepare_seconds + c.scan_seconds + c.catalog_apply_seconds + slowest
}

fn calls_since(
    before: &BTreeMap<(String, String), usize>,
    after: &BTreeMap<(String, String), usize>,
) -> Calls {
    let mut c = Calls::default();
    for ((service, operation), n) in after {
        let n = n - before
            .get(&(service.clone(), operation.clone()))
            .unwrap_or(&0);
        match service.as_str() {
            "aws-marketplace" if DISCOVERY.contains(&operation.as_str()) => c.discovery += n,
            "aws-marketplace" => c.catalog += n,
            "ec2" => c.ec2 += n,
            "ssm" => c.ssm += n,
            "iam" => c.iam += n,
            "sqs" => c.sqs += n,
            _ => {}
        }
    }
    c
}

/// Many releases over many products at once, under `faults`.
pub(super) async fn fleet(
    scale: f64,
    events: bool,
    faults: Vec<FaultRule>,
    shape: &FleetShape<'_>,
) -> anyhow::Result<Fleet> {
    let specs = (1..=shape.products)
        .map(|n| spec(n, shape.regions))
        .collect::<anyhow::Result<Vec<_>>>()?;
    reset_peak_rss();
    let options = Options {
        scale,
        events,
        faults,
    };
    let rig = rig_with(&options, &specs, &Default::default()).await?;
    let t0 = rig.now();
    let wall = Instant::now();
    for i in 0..shape.releases {
        let s = &specs[i % specs.len()];
        rig.record(s, &format!("41.{}", i / specs.len() + 1))
            .await?;
    }
    let (makespan, not_done) = rig.settle(t0).await?;
    let wall_s = wall.elapsed().as_secs_f64();
    let per_product = shape.releases.div_ceil(shape.products.max(1));
    let (bound, added_twice) = {
        let w = lock(&rig.sandbox.world);
        let c = &w.config;
        let slowest = shape.regions.iter().map(|r| lag(&w, r)).fold(0.0, f64::max);
        let bound = c.copy_seconds
            + per_product as f64
                * (c.catalog_prepare_seconds + c.scan_seconds + c.catalog_apply_seconds)
            + slowest;
        (bound, added_twice(&w))
    };
    let peak_rss_mib = super::peak_rss_mib();
    rig.sandbox.stop().await;
    Ok(Fleet {
        releases: shape.releases,
        products: shape.products,
        ratio: makespan as f64 / bound,
        peak_rss_mib,
        makespan_s: makespan,
        bound_s: bound,
        not_done,
        added_twice,
        wall_s,
    })
}

/// Versions that succeeded in more than one change set (a release submitted twice).
fn added_twice(w: &amipub_sandbox::world::World) -> usize {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for cs in w.catalog.change_sets.values() {
        if cs.status != "SUCCEEDED" {
            continue;
        }
        for ch in cs
            .changes
            .iter()
            .filter(|c| c.change_type == "AddDeliveryOptions")
        {
            let title = ch.details["Version"]["VersionTitle"].as_str().unwrap_or("");
            let entity = ch.entity_id.clone().or(ch.identifier.clone());
            *seen
                .entry((entity.unwrap_or_default(), title.to_owned()))
                .or_default() += 1;
        }
    }
    seen.values().filter(|n| **n > 1).count()
}

/// Starts the process's peak resident memory over from now (Linux: `clear_refs` value 5,
/// <https://docs.kernel.org/filesystems/proc.html>), so a run's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
