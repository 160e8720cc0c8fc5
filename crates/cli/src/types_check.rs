//! The daily check of instance types in `amipub serve`: for each product whose spec takes every
//! current-generation type (`all_current`), the types EC2 lists now against the live listing;
//! when new ones appeared, a sync job of the instance types alone is recorded (they need no
//! marketing approval, and the rest of the listing is left to `amipub apply`). Once a day
//! across all workers: the turn is a stored schedule, taken by one worker; a check that fails
//! is due again an hour later.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use amipub_domain::spec::ProductSpec;

use amipub_domain::job::JobKind;
use amipub_engine::job_execute::resolve_instance_types;
use amipub_engine::lifecycle_ports::{LifecyclePorts, Listings};

use crate::promote_job::{record_job, spec_of};
use crate::runtime::Runtime;

/// The schedule's name.
const SCHEDULE: &str = "instance-types";
/// How often the check runs.
const EVERY: i64 = 86_400;
/// When a failed check is due again.
const AGAIN: i64 = 3_600;

/// When this process next asks the store whether the check is due: every engine turn would
/// otherwise write to the schedules table.
static NEXT_LOOK: AtomicI64 = AtomicI64::new(i64::MIN);

/// Runs the check when it is due at `now`; how many sync jobs it recorded.
pub async fn check_when_due(rt: &Runtime, now: i64) -> anyhow::Result<usize> {
    if now < NEXT_LOOK.load(Ordering::Relaxed) {
        return Ok(0);
    }
    let specs: Vec<ProductSpec> = rt
        .engine
        .specs()
        .into_iter()
        .filter(|s| s.instance_types.all_current && s.product.id.is_some())
        .collect();
    if specs.is_empty() {
        // A product may be learned later: looked at again in a minute.
        NEXT_LOOK.store(now + 60, Ordering::Relaxed);
        return Ok(0);
    }
    if !rt.store.take_schedule(SCHEDULE, now, EVERY).await? {
        let due = rt.store.schedule_due_at(SCHEDULE).await?;
        NEXT_LOOK.store(due.unwrap_or(now), Ordering::Relaxed);
        return Ok(0);
    }
    NEXT_LOOK.store(now + EVERY, Ordering::Relaxed);
    let mut recorded = 0;
    let mut failed = None;
    for spec in specs {
        match check_one(rt, spec, now).await {
            Ok(made) => recorded += usize::from(made),
            Err(e) => failed = Some(e),
        }
    }
    if let Some(e) = failed {
        rt.store.defer_schedule(SCHEDULE, now + AGAIN).await?;
        NEXT_LOOK.store(now + AGAIN, Ordering::Relaxed);
        return Err(e);
    }
    Ok(recorded)
}

/// One product: whether a sync job was recorded.
async fn check_one(rt: &Runtime, mut spec: ProductSpec, now: i64) -> anyhow::Result<bool> {
    let slug = spec.product.slug.clone();
    let ports = rt.engine.ports();
    resolve_instance_types(ports, &mut spec)
        .await
        .map_err(|e| anyhow::anyhow!("{slug}: instance types: {}", e.detail))?;
    let pid = spec.product.id.clone().unwrap_or_default();
    let live = ports
        .listings()
        .listing(&pid, spec.product.offer_id.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("{slug}: cannot read the listing: {}", e.detail))?;
    let listed = live
        .fields
        .get("instance_types.available")
        .map(amipub_domain::lifecycle::live::strings)
        .unwrap_or_default();
    let new: Vec<&String> = spec
        .instance_types
        .available
        .iter()
        .filter(|t| !listed.contains(t))
        .collect();
    if new.is_empty() {
        return Ok(false);
    }
    let names: Vec<&str> = new.iter().map(|t| t.as_str()).collect();
    let file = spec_of(&rt.settings.products_dir, &slug)?;
    let args = BTreeMap::from([
        ("by".to_owned(), "instance-type check".to_owned()),
        ("cleanup".to_owned(), "false".to_owned()),
        ("only".to_owned(), "instance_types.available".to_owned()),
    ]);
    if let Some(j) = rt.store.active_job(JobKind::Sync.label(), &slug).await? {
        // It picks the types up when it plans; tomorrow's check looks again otherwise.
        tracing::info!(
            "instance types: {slug} can add {}; sync job {} is under way",
            names.join(", "),
            j.id
        );
        return Ok(false);
    }
    let job = record_job(rt, JobKind::Sync, file, args, now).await?;
    tracing::info!(
        "instance types: {slug} can add {} (new in EC2): sync job {}",
        names.join(", "),
        job.id
    );
    Ok(true)
}
