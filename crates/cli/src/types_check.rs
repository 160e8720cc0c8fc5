//! The daily check of instance types in `amipub serve`: for each product whose spec takes every
//! current-generation type (`all_current`), the types EC2 lists now against the live listing;
//! when new ones appeared, a sync job of the instance types alone is recorded (they need no
//! marketing approval, and the rest of the listing is left to `amipub apply`). Once a day
//! across all workers: the turn is a stored schedule, taken by one worker; a check that fails
//! is due again an hour later.

use std::collections::BTreeMap;

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

/// Runs the check when it is due at `now`; how many sync jobs it recorded.
pub async fn check_when_due(rt: &Runtime, now: i64) -> anyhow::Result<usize> {
    let wanted = rt
        .engine
        .specs()
        .into_iter()
        .any(|s| s.instance_types.all_current && s.product.id.is_some());
    if !wanted || !rt.store.take_schedule(SCHEDULE, now, EVERY).await? {
        return Ok(0);
    }
    let mut recorded = 0;
    let mut failed = None;
    for spec in rt.engine.specs() {
        if !spec.instance_types.all_current || spec.product.id.is_none() {
            continue;
        }
        match check_one(rt, spec, now).await {
            Ok(made) => recorded += usize::from(made),
            Err(e) => failed = Some(e),
        }
    }
    if let Some(e) = failed {
        rt.store.defer_schedule(SCHEDULE, now + AGAIN).await?;
        return Err(e);
    }
    Ok(recorded)
}

/// One product: whether a sync job was recorded.
async fn check_one(
    rt: &Runtime,
    mut spec: amipub_domain::spec::ProductSpec,
    now: i64,
) -> anyhow::Result<bool> {
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
