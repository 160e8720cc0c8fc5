//! `amipub bench` (a)–(c), measured with or without change-set events: one release to 30
//! Regions against the sandbox's own critical path (copy + change set preparation + scan, which
//! is a new version's application, + the slowest Region's lag), its calls per service from the
//! sandbox's request log, and many releases over many products at once against the lower bound
//! the product locks set, with the peak memory of the process during that run. The single
//! release is the product's second: the first only gives the history the waits are paced by,
//! and is reported apart. Where the single release's time went is taken from its timeline.

use std::collections::BTreeMap;
use std::time::Instant;

use amipub_domain::spec::ProductSpec;
use amipub_sandbox::catalog::lifecycle::add_version_seconds;
use amipub_sandbox::catalog::publish::lag;
use amipub_sandbox::faults::FaultRule;
use amipub_sandbox::server::lock;
use amipub_sandbox::world::World;
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
    /// Seconds the release spent in each state, in order, beside what the sandbox takes there.
    #[serde(skip)]
    pub(super) phases: Vec<Phase>,
}

/// The time one release spent in one state.
#[derive(Debug, Clone)]
pub(super) struct Phase {
    pub(super) state: String,
    pub(super) took_s: i64,
    /// What the sandbox itself takes in that state, where it has a part.
    pub(super) aws_s: Option<f64>,
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
    /// How the product locks were used.
    #[serde(skip)]
    pub(super) locks: Locks,
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
    let (_, first_took, first_calls, _, _) = release(&rig, &one, "41.1").await?;
    let (id, took, calls, wall_s, failed) = release(&rig, &one, "41.2").await?;
    let phases = phases(&rig, &id, regions).await?;
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
        phases,
    })
}

/// Records one release and settles it: (id, virtual seconds, calls, wall seconds, not done).
async fn release(
    rig: &Rig,
    one: &ProductSpec,
    version: &str,
) -> anyhow::Result<(String, i64, Calls, f64, usize)> {
    let before = rig.calls();
    let t0 = rig.now();
    let wall = Instant::now();
    let id = rig.record(one, version).await?;
    let (took, failed) = rig.settle(t0).await?;
    let wall_s = wall.elapsed().as_secs_f64();
    Ok((id, took, calls_since(&before, &rig.calls()), wall_s, failed))
}

/// Where release `id`'s time went: its timeline as time per state, each beside the sandbox's own
/// part of it.
async fn phases(rig: &Rig, id: &str, regions: &[String]) -> anyhow::Result<Vec<Phase>> {
    let timeline = rig.store.timeline(id).await?;
    let aws = |state: &str| {
        let w = lock(&rig.sandbox.world);
        match state {
            "mirroring" => Some(w.config.copy_seconds),
            "scanning" => Some(add_version_seconds(&w)),
            "published" => Some(slowest_lag(&w, regions)),
            _ => None,
        }
    };
    let mut out: Vec<Phase> = Vec::new();
    for w in timeline.windows(2) {
        let took_s = w[1].at - w[0].at;
        match out.last_mut() {
            Some(last) if last.state == w[0].to => last.took_s += took_s,
            _ => out.push(Phase {
                state: w[0].to.clone(),
                took_s,
                aws_s: aws(&w[0].to),
            }),
        }
    }
    Ok(out)
}

fn critical_path(rig: &Rig, regions: &[String]) -> f64 {
    let w = lock(&rig.sandbox.world);
    w.config.copy_seconds + add_version_seconds(&w) + slowest_lag(&w, regions)
}

/// The lower bound of a fleet whose busiest product takes `per_product` versions: one copy, that
/// product's change sets one after another (its lock), and the slowest Region's lag.
pub(super) fn fleet_bound(w: &World, regions: &[String], per_product: usize) -> f64 {
    w.config.copy_seconds + per_product as f64 * add_version_seconds(w) + slowest_lag(w, regions)
}

/// The longest lag of `regions` in the sandbox.
fn slowest_lag(w: &World, regions: &[String]) -> f64 {
    regions.iter().map(|r| lag(w, r)).fold(0.0, f64::max)
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
    let started = lock(&rig.sandbox.world).clock.elapsed();
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
        let bound = fleet_bound(&w, shape.regions, per_product);
        (bound, added_twice(&w))
    };
    let locks = locks(&lock(&rig.sandbox.world), started);
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
        locks,
        wall_s,
    })
}

/// How a fleet run used the product locks, in virtual seconds: when the last product's first
/// change set started, how long a lock lay idle between one change set's end and the next one's
/// start (mean and longest), and when the last change set ended.
#[derive(Debug, Clone, Default)]
pub(super) struct Locks {
    pub(super) first_start_s: f64,
    pub(super) idle_mean_s: f64,
    pub(super) idle_max_s: f64,
    pub(super) last_end_s: f64,
}

/// The product locks' use in `w` since its virtual second `t0`, from the change sets that added
/// versions.
fn locks(w: &World, t0: f64) -> Locks {
    let mut per_product: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for cs in w.catalog.change_sets.values().filter(|cs| cs.started >= t0) {
        let Some(ended) = cs.ended else { continue };
        if let Some(ch) = cs
            .changes
            .iter()
            .find(|c| c.change_type == "AddDeliveryOptions")
        {
            let entity = ch.entity_id.clone().or(ch.identifier.clone());
            per_product
                .entry(entity.unwrap_or_default())
                .or_default()
                .push((cs.started, ended));
        }
    }
    let mut out = Locks::default();
    let mut idle = Vec::new();
    for sets in per_product.values_mut() {
        sets.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.first_start_s = out.first_start_s.max(sets[0].0 - t0);
        out.last_end_s = out
            .last_end_s
            .max(sets.iter().map(|s| s.1 - t0).fold(0.0, f64::max));
        idle.extend(sets.windows(2).map(|p| p[1].0 - p[0].1));
    }
    out.idle_max_s = idle.iter().copied().fold(0.0, f64::max);
    out.idle_mean_s = idle.iter().sum::<f64>() / idle.len().max(1) as f64;
    out
}

/// Versions that succeeded in more than one change set (a release submitted twice).
fn added_twice(w: &World) -> usize {
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
