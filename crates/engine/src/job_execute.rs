//! Runs one job command against the ports and says what happened as a `JobEvent`: the plan
//! (reading the listing once the product is free), StartChangeSet with the job's token (looked
//! up again by Marketplace, so a repeat after a crash hands back the same change set),
//! DescribeChangeSet, and each kind's closing work, which looks before it acts (a mirror
//! already retired is not retired again, a parameter already right is not written).

use std::collections::{BTreeMap, BTreeSet};

use amipub_domain::job::plan::{needs_listing, plan, promote_refusal, promoted_aliases, spec_of};
use amipub_domain::job::{Job, JobCommand, JobEvent, JobKind};
use amipub_domain::lifecycle::parameters::{Held, RegionPlan, plan_region};
use amipub_domain::lifecycle::retention::{self, Cleanup};
use amipub_domain::release::{FailureKind, Release};
use amipub_domain::spec::ProductSpec;
use amipub_domain::template;

use crate::execute::variables;
use crate::notices::{Move, Retired, alias_moved, image_retired};
use crate::product::Product;

use crate::lifecycle_ports::{InstanceTypeCatalog, Jobs, LifecyclePorts, Listings, Mirrors};
use crate::ports::{Catalog, ChangeSetStatus, Images, Parameters, PortError, StartOutcome, Store};

fn failed(e: PortError) -> JobEvent {
    e.record_on_span();
    JobEvent::CallFailed {
        kind: e.kind,
        detail: e.detail,
    }
}

/// Runs `cmd` for `job` at `now`; `None` when there is nothing to report.
pub async fn execute_job<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    cmd: &JobCommand,
    now: i64,
) -> Option<JobEvent> {
    let result = match cmd {
        JobCommand::Plan => plan_job(ports, job, now).await,
        JobCommand::Start { index, token } => start(ports, job, *index, token).await,
        JobCommand::Check { id } => check(ports, id).await,
        JobCommand::Finish => finish(ports, job, now).await,
        JobCommand::CancelChangeSet { id } => {
            // Best effort: the job is cancelled whether or not Marketplace still can.
            let _ = ports.catalog().cancel(id).await;
            return None;
        }
    };
    Some(result.unwrap_or_else(failed))
}

/// Another change set holding the product (Marketplace's own lock, or a release of amipub's
/// between submitting and the end of its scan).
async fn holder<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    spec: &ProductSpec,
) -> Result<Option<String>, PortError> {
    if let Some(pid) = &spec.product.id
        && let Some(h) = ports.catalog().open_change_set(pid).await?
    {
        return Ok(Some(h));
    }
    let busy = ports
        .store()
        .product_busy(&job.request.product, &job.id)
        .await?;
    Ok(busy.as_deref().map(crate::ports::lock_holder))
}

async fn plan_job<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    now: i64,
) -> Result<JobEvent, PortError> {
    let mut spec = match spec_of(job) {
        Ok(s) => s,
        Err(refused) => return Ok(refused),
    };
    if matches!(job.kind(), JobKind::Create | JobKind::Sync) {
        resolve_instance_types(ports, &mut spec).await?;
    }
    if job.kind().changes_listing()
        && let Some(h) = holder(ports, job, &spec).await?
    {
        return Ok(JobEvent::Locked { holder: h });
    }
    let live = match (needs_listing(job, &spec), &spec.product.id) {
        (true, Some(pid)) => Some(
            ports
                .listings()
                .listing(pid, spec.product.offer_id.as_deref())
                .await?,
        ),
        _ => None,
    };
    if job.kind() == JobKind::Promote {
        let found = promoted_release(ports, job).await?.is_some();
        if let Some(refused) = promote_refusal(job, &spec, found) {
            return Ok(refused);
        }
    }
    Ok(plan(job, &spec, live.as_ref(), &retention::date_of(now)))
}

/// With `all_current`, the spec's instance types become what EC2 lists as current for its
/// architecture now (less `exclude`, plus `available`).
pub async fn resolve_instance_types<P: LifecyclePorts>(
    ports: &P,
    spec: &mut ProductSpec,
) -> Result<(), PortError> {
    let it = &mut spec.instance_types;
    if it.all_current {
        let current = ports
            .instance_types()
            .current(&spec.product.architecture)
            .await?;
        it.available = it.resolved(&current);
        if !it.available.contains(&it.recommended) {
            return Err(PortError::new(
                FailureKind::InvalidInput,
                format!(
                    "instance_types.recommended {} is not among the current {} types EC2 lists (or it is excluded): recommend a current type",
                    it.recommended, spec.product.architecture
                ),
            ));
        }
    }
    Ok(())
}

async fn start<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    index: usize,
    token: &str,
) -> Result<JobEvent, PortError> {
    let Some(planned) = job.plan.get(index) else {
        return Ok(JobEvent::Refused {
            detail: format!("the plan has no change set {index}"),
            remedy: "Run amipub retry: the plan is made again.".into(),
        });
    };
    if let Ok(spec) = spec_of(job)
        && spec.product.id.is_some()
        && let Some(h) = holder(ports, job, &spec).await?
    {
        return Ok(JobEvent::Locked { holder: h });
    }
    let cs = amipub_domain::changeset::ChangeSet {
        token: token.to_owned(),
        ..planned.clone()
    };
    Ok(match ports.catalog().start(&cs).await? {
        StartOutcome::Started(id) => JobEvent::Started { id },
        StartOutcome::Locked(holder) => JobEvent::Locked { holder },
    })
}

async fn check<P: LifecyclePorts>(ports: &P, id: &str) -> Result<JobEvent, PortError> {
    Ok(match ports.catalog().status(id).await? {
        ChangeSetStatus::Running => JobEvent::StillRunning,
        ChangeSetStatus::Succeeded => JobEvent::Succeeded,
        ChangeSetStatus::Failed(errors) => JobEvent::ChangeSetFailed { errors },
        ChangeSetStatus::Cancelled => JobEvent::ChangeSetCancelled,
    })
}

async fn finish<P: LifecyclePorts>(ports: &P, job: &Job, now: i64) -> Result<JobEvent, PortError> {
    let spec = match spec_of(job) {
        Ok(s) => s,
        Err(refused) => return Ok(refused),
    };
    let slug = &spec.product.slug;
    let lines = match job.kind() {
        JobKind::Create => record_created(ports, job, &spec).await?,
        JobKind::Sync => {
            let mut lines = Vec::new();
            if !job.plan.is_empty() {
                lines.push(format!("{slug}: applied"));
            }
            let told = crate::sync_notice::announce_sync_restrictions(ports, job, &spec, now);
            lines.extend(told.await?);
            if job.arg("cleanup") != Some("false") {
                lines.extend(clean_up(ports, &spec, now).await?);
            }
            lines
        }
        JobKind::Visibility if job.plan.is_empty() => Vec::new(),
        JobKind::Visibility => {
            let pid = spec.product.id.clone().unwrap_or_default();
            let live = ports.listings().listing(&pid, None).await?;
            vec![format!("{slug}: visibility is now {}", live.visibility)]
        }
        JobKind::Promote => promote(ports, job, &spec, now).await?,
        JobKind::Cleanup => clean_up(ports, &spec, now).await?,
    };
    Ok(JobEvent::Finished { lines })
}

/// Records what a creation made (in the store at once, so nothing creates it again) and says
/// it in the lines a spec takes.
async fn record_created<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    spec: &ProductSpec,
) -> Result<Vec<String>, PortError> {
    let Some(last) = job.done_change_sets.last() else {
        return Err(PortError::new(
            FailureKind::InvalidInput,
            "the creation change set is not recorded on the job",
        ));
    };
    let created = ports.listings().created(last).await?;
    ports
        .jobs()
        .record_ids(&spec.product.slug, &job.request.spec, &created, None)
        .await?;
    let code = ports
        .listings()
        .listing(&created.product_id, None)
        .await?
        .product_code;
    ports
        .jobs()
        .record_ids(
            &spec.product.slug,
            &job.request.spec,
            &created,
            code.as_deref(),
        )
        .await?;
    let mut lines = vec![
        format!("{}: created {}:", spec.product.slug, created.product_id),
        "  [product]".to_owned(),
        format!("  id = \"{}\"", created.product_id),
    ];
    if let Some(o) = &created.offer_id {
        lines.push(format!("  offer_id = \"{o}\""));
    }
    if let Some(c) = &code {
        lines.push(format!("  product_code = \"{c}\""));
    }
    Ok(lines)
}

/// Retires (deprecating with a date), then deletes, the seller-side mirrors retention no longer
/// keeps, deciding afresh from what EC2 shows now, so a repeat after a crash does nothing
/// twice. One still launched within `idle_days` is kept past its grace period. Each step is
/// announced (`image-retired`).
async fn clean_up<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    now: i64,
) -> Result<Vec<String>, PortError> {
    let Some(pid) = &spec.product.id else {
        return Ok(Vec::new());
    };
    let versions = ports.catalog().versions(pid).await?;
    let mirrors = ports.mirrors().mirrors(&spec.product.slug).await?;
    let in_flight: BTreeSet<String> = ports
        .jobs()
        .in_flight_mirrors(&spec.product.slug)
        .await?
        .into_iter()
        .collect();
    let grace = spec.retention.grace_days;
    let mut lines = Vec::new();
    for (m, step) in retention::cleanup(&mirrors, &versions, &in_flight, grace, now) {
        let title = versions
            .iter()
            .find(|v| v.source_ami.as_deref() == Some(m.ami.as_str()))
            .map(|v| v.title.clone());
        let notice = |action, launched| Retired {
            mirror: &m,
            action,
            version_title: title.clone(),
            grace_end: retention::grace_end(m.retired_at.unwrap_or(now), grace),
            last_launched: launched,
        };
        let line = match step {
            Cleanup::Retire => {
                // EC2 takes only a deprecation time in the future.
                let end = retention::grace_end(now, grace).max(now + 3600);
                ports.mirrors().retire(&m, now, end).await?;
                let told = Retired {
                    grace_end: end,
                    ..notice("retired", None)
                };
                announce_retired(ports, spec, told, now).await?;
                format!(
                    "  retired {} (sharing removed; deprecated and deleted from {})",
                    m.ami,
                    retention::date_of(end)
                )
            }
            Cleanup::Delete => {
                let launched = ports.mirrors().last_launched(&m).await?;
                let idle = spec.retention.idle_days;
                match retention::kept_while_launched(launched, idle, now) {
                    Some(until) => format!(
                        "  {} was launched on {}; kept until unused for {idle} days ({})",
                        m.ami,
                        retention::date_of(launched.unwrap_or(now)),
                        retention::date_of(until)
                    ),
                    None => {
                        // Told first: a crash after the deletion would find nothing to tell.
                        announce_retired(ports, spec, notice("deleted", launched), now).await?;
                        ports.mirrors().delete(&m).await?;
                        let n = m.snapshots.len();
                        let s = if n == 1 { "" } else { "s" };
                        format!("  deleted {} and {n} snapshot{s}", m.ami)
                    }
                }
            }
            Cleanup::Waiting(until) => {
                // Queued again (once per AMI): a crash right after retiring told nobody.
                announce_retired(ports, spec, notice("retired", None), now).await?;
                format!(
                    "  {} is retired; deleted from {}",
                    m.ami,
                    retention::date_of(until)
                )
            }
        };
        lines.push(line);
    }
    Ok(lines)
}

/// Queues the announcement of a retirement or deletion, when the product announces and the
/// mirror names its release.
async fn announce_retired<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    r: Retired<'_>,
    now: i64,
) -> Result<(), PortError> {
    let Some(release) = r.mirror.release.clone() else {
        return Ok(());
    };
    if !spec.announce.enabled {
        return Ok(());
    }
    let a = image_retired(spec, &r, &release);
    ports.jobs().announce(&release, &a, now).await
}

/// The finished release a promotion points the alias at.
async fn promoted_release<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
) -> Result<Option<Release>, PortError> {
    let version = job.arg("version").unwrap_or_default();
    ports
        .jobs()
        .done_release(&job.request.product, version)
        .await
}

/// Points each alias parameter the job names at the version's Marketplace AMI in each Region
/// where it is launchable now; the others keep their value and are listed as `kept:` lines.
/// Once written, each move is announced (when the product announces): per Region from → to.
async fn promote<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    spec: &ProductSpec,
    now: i64,
) -> Result<Vec<String>, PortError> {
    let version = job.arg("version").unwrap_or_default();
    let Some(r) = promoted_release(ports, job).await? else {
        return Err(PortError::new(
            FailureKind::InvalidInput,
            format!("no finished release of {} {version}", spec.product.slug),
        ));
    };
    let mut lines = Vec::new();
    for alias in promoted_aliases(job) {
        lines.extend(promote_alias(ports, job, spec, &r, alias, now).await?);
    }
    Ok(lines)
}

/// One alias of `promote`.
async fn promote_alias<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    spec: &ProductSpec,
    r: &Release,
    alias: &str,
    now: i64,
) -> Result<Vec<String>, PortError> {
    let version = &r.version;
    let template = spec
        .ssm
        .as_ref()
        .and_then(|s| s.aliases.get(alias))
        .cloned()
        .unwrap_or_default();
    let product = Product::new(spec.clone(), "");
    let name = template::render(&template, &variables(&product, r)).map_err(|e| {
        PortError::new(
            FailureKind::InvalidInput,
            format!("[ssm.aliases] {alias}: {e}"),
        )
    })?;
    let regions = spec.region_codes();
    let (mut lines, mut kept, mut promoted) = (Vec::new(), Vec::new(), 0usize);
    let (mut moves, mut kept_regions) = (BTreeMap::new(), Vec::new());
    for region in &regions {
        let Some(ami) = r.regions.get(region.as_str()) else {
            kept_regions.push(region.to_string());
            kept.push(format!(
                "kept: {region}: no Marketplace AMI of {version} was found there"
            ));
            continue;
        };
        let launchable = ports.images().launchable(region, ami).await?;
        let value = match launchable {
            true => ports.parameters().get(region, &name).await?,
            false => None,
        };
        let held = [Held {
            name: &name,
            versioned: false,
            value: value.as_deref(),
        }];
        match plan_region(launchable, ami, &held) {
            RegionPlan::Write(writes) => {
                promoted += 1;
                lines.push(format!("  {region:<16} {name} → {ami}"));
                if !writes.is_empty() {
                    let to = ami.clone();
                    moves.insert(region.to_string(), Move { from: value, to });
                }
            }
            RegionPlan::NotLaunchable | RegionPlan::Conflict { .. } => {
                kept_regions.push(region.to_string());
                kept.push(format!(
                    "kept: {region}: {ami} is not launchable there (missing, not shown to the seller, or not available)"
                ));
            }
        }
    }
    // Only a move is announced: an alias that already led there moved nowhere. It is queued
    // before the writes (its id is the job's and the alias's, so a run again after a crash
    // queues nothing), so a crash between them loses no announcement; a write that fails fails
    // the job, whose retry writes what the announcement says.
    if spec.announce.enabled && !moves.is_empty() {
        let a = alias_moved(job, spec, r, alias, &name, &moves, &kept_regions);
        ports.jobs().announce(r.id.as_str(), &a, now).await?;
    }
    let tags = amipub_domain::tags::of_parameter(&BTreeMap::new(), &spec.product.slug);
    for (region, m) in &moves {
        match m.from {
            Some(_) => ports.parameters().set(region, &name, &m.to).await?,
            None => {
                ports
                    .parameters()
                    .create(region, &name, &m.to, &tags)
                    .await?
            }
        }
    }
    lines.push(format!(
        "{}: {alias} → {version} in {promoted} of {} Regions",
        spec.product.slug,
        regions.len()
    ));
    lines.extend(kept);
    Ok(lines)
}
