//! What each kind of job plans, from its spec, its arguments and the live listing: the change
//! sets to submit (with a summary for people), or why it cannot be done. Pure: the engine reads
//! the listing and hands it in.

use super::decide::JobEvent;
use super::model::{Job, JobKind};
use crate::changeset::ChangeSet;
use crate::changeset::plan::{change_set_name, plan_create, token};
use crate::changeset::product::{VersionInput, update_visibility};
use crate::lifecycle::{LiveListing, check_approval, content_hash, diff, plan_sync_of};
use crate::spec::ProductSpec;
use crate::validate::{Severity, has_errors, validate_text};

/// The spec a job carries, checked again (it was valid when asked for; a refusal here means
/// the job was stored by another amipub).
pub fn spec_of(job: &Job) -> Result<ProductSpec, JobEvent> {
    let (spec, problems) = validate_text(&job.request.spec);
    match spec {
        Some(s) if !has_errors(&problems) => Ok(s),
        _ => {
            let first = problems
                .iter()
                .find(|p| p.severity == Severity::Error)
                .map(|p| format!(": {} {}", p.path, p.message))
                .unwrap_or_default();
            Err(refused(
                format!("the job's product spec does not validate{first}"),
                "Fix the spec (amipub validate), then ask again.",
            ))
        }
    }
}

/// Whether the job's plan needs the live listing.
pub fn needs_listing(job: &Job, spec: &ProductSpec) -> bool {
    match job.kind() {
        JobKind::Sync | JobKind::Visibility => true,
        JobKind::Promote => spec.product.id.is_some(),
        JobKind::Create | JobKind::Cleanup => false,
    }
}

/// The plan of `job` for `spec` on `today` (`YYYY-MM-DD`), with the live listing when
/// `needs_listing`: `Planned` or `Refused`.
pub fn plan(job: &Job, spec: &ProductSpec, live: Option<&LiveListing>, today: &str) -> JobEvent {
    let path = job
        .arg("spec_path")
        .unwrap_or(&job.request.product)
        .to_owned();
    let outcome = match (job.kind(), live) {
        (JobKind::Create, _) => create(job, spec, &path),
        (JobKind::Sync, Some(live)) => sync(job, spec, live, &path, today),
        (JobKind::Visibility, Some(live)) => visibility(spec, live, &path),
        (JobKind::Promote, live) => promote(job, spec, live),
        (JobKind::Cleanup, _) => Ok(planned(Vec::new(), Vec::new(), Vec::new())),
        (_, None) => Err(refused(
            "the live listing was not read",
            "Run amipub retry.",
        )),
    };
    outcome.unwrap_or_else(|e| e)
}

fn refused(detail: impl Into<String>, remedy: impl Into<String>) -> JobEvent {
    JobEvent::Refused {
        detail: detail.into(),
        remedy: remedy.into(),
    }
}

fn planned(change_sets: Vec<ChangeSet>, notes: Vec<String>, summary: Vec<String>) -> JobEvent {
    JobEvent::Planned {
        change_sets,
        notes,
        summary,
    }
}

fn approval_remedy(path: &str) -> String {
    format!(
        "Record the marketing approval (amipub approve --product {path} --reference …), then ask again."
    )
}

fn create(job: &Job, spec: &ProductSpec, path: &str) -> Result<JobEvent, JobEvent> {
    check_approval(spec, &[], true, path)
        .map_err(|e| refused(e.to_string(), approval_remedy(path)))?;
    let first = match (job.arg("ami"), job.arg("version")) {
        (Some(ami), Some(version)) => Some(VersionInput {
            title: version.to_owned(),
            release_notes: job.arg("notes").unwrap_or("First version.").to_owned(),
            ami_id: ami.to_owned(),
            access_role_arn: job.arg("role").unwrap_or_default().to_owned(),
        }),
        _ => None,
    };
    let plan = plan_create(spec, first.as_ref())
        .map_err(|e| refused(e.to_string(), "Fix the spec, then ask again."))?;
    let summary = vec![format!("{}: creating the listing", spec.product.slug)];
    Ok(planned(plan.change_sets, plan.notes, summary))
}

/// A sync: the whole listing, or with the `only` argument (comma-separated fields, such as
/// `instance_types.available`) just those fields.
fn sync(
    job: &Job,
    spec: &ProductSpec,
    live: &LiveListing,
    path: &str,
    today: &str,
) -> Result<JobEvent, JobEvent> {
    let pid = spec.product.id.clone().unwrap_or_default();
    let only: Option<Vec<&str>> = job
        .arg("only")
        .map(|o| o.split(',').map(str::trim).collect());
    let plan = plan_sync_of(spec, live, &pid, today, only.as_deref())
        .map_err(|e| refused(e.to_string(), "Fix the spec, then ask again."))?;
    check_approval(spec, &plan.diffs, plan.releasing, path)
        .map_err(|e| refused(e.to_string(), approval_remedy(path)))?;
    let fields = plan
        .diffs
        .iter()
        .map(|d| d.field)
        .collect::<Vec<_>>()
        .join(", ");
    if plan.change_sets.is_empty() && !plan.diffs.is_empty() {
        return Err(refused(
            format!("no change set can fix {fields} (see the notes)"),
            "Fix them in the Marketplace console or in the spec.",
        ));
    }
    let summary = if plan.change_sets.is_empty() {
        vec![format!(
            "{}: the listing matches the spec",
            spec.product.slug
        )]
    } else {
        vec![format!(
            "{}: {} to fix ({fields}), {}",
            spec.product.slug,
            count(plan.diffs.len(), "field"),
            count(plan.retire.len(), "version to retire")
        )]
    };
    Ok(planned(plan.change_sets, plan.notes, summary))
}

fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        _ => match what.split_once(' ') {
            Some((noun, rest)) => format!("{n} {noun}s {rest}"),
            None => format!("{n} {what}s"),
        },
    }
}

fn visibility(spec: &ProductSpec, live: &LiveListing, path: &str) -> Result<JobEvent, JobEvent> {
    let slug = &spec.product.slug;
    // Going Public shows the content to every buyer: the approval must cover it as it is.
    check_approval(spec, &[], true, path)
        .map_err(|e| refused(e.to_string(), approval_remedy(path)))?;
    if let Some(d) = diff(spec, live).iter().find(|d| d.is_content()) {
        return Err(refused(
            format!("the listing's {} differs from the spec", d.field),
            "Run amipub apply first, so what goes Public is what was approved.",
        ));
    }
    match live.visibility.as_str() {
        "Public" => Ok(planned(
            Vec::new(),
            Vec::new(),
            vec![format!("{slug}: already Public")],
        )),
        "Limited" => {
            let pid = spec.product.id.clone().unwrap_or_default();
            let changes = vec![update_visibility("Public", &pid)];
            let name = change_set_name(&format!("amipub visibility {slug} public"));
            // The token covers the listing as it is, so a request asked again after a refusal
            // (and an edit) is a new request, while a re-run of the same one finds it.
            let salt = content_hash(spec);
            let cs = ChangeSet {
                token: token(&format!("{name} {salt}"), &changes),
                purpose: format!("make {slug} Public"),
                name,
                changes,
            };
            let summary = vec![format!(
                "{slug}: requesting Limited → Public (reviewed by AWS Marketplace)"
            )];
            Ok(planned(vec![cs], Vec::new(), summary))
        }
        other => Err(refused(
            format!("{slug} is {other}: only a Limited product can go Public"),
            "amipub apply releases a Draft with a version to Limited.",
        )),
    }
}

/// The aliases a promote job moves: its `alias` argument, one or several separated by commas
/// (default `latest`).
pub fn promoted_aliases(job: &Job) -> Vec<&str> {
    job.arg("alias")
        .unwrap_or("latest")
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect()
}

/// Why a promotion cannot be done as asked, if it cannot: an alias is not in the spec, or no
/// release of the version finished.
pub fn promote_refusal(job: &Job, spec: &ProductSpec, release_found: bool) -> Option<JobEvent> {
    let version = job.arg("version").unwrap_or_default();
    let known: Vec<&str> = spec
        .ssm
        .iter()
        .flat_map(|s| s.aliases.keys().map(String::as_str))
        .collect();
    let aliases = promoted_aliases(job);
    if let Some(alias) = aliases.iter().find(|a| !known.contains(a)).copied() {
        let has = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        return Some(refused(
            format!(
                "{} has no alias {alias:?} in [ssm.aliases] (it has: {has})",
                spec.product.slug
            ),
            "Name an alias of the spec's [ssm.aliases].",
        ));
    }
    (!release_found).then(|| {
        refused(
            format!(
                "no finished release of {} {version} in the state database",
                spec.product.slug
            ),
            "`amipub status` lists the releases; publish the version first.",
        )
    })
}

fn promote(
    job: &Job,
    spec: &ProductSpec,
    live: Option<&LiveListing>,
) -> Result<JobEvent, JobEvent> {
    let version = job.arg("version").unwrap_or_default();
    // A restricted version is no longer offered to new buyers: no alias should lead there.
    if live.is_some_and(|l| {
        l.versions
            .iter()
            .any(|v| v.title == version && v.restricted)
    }) {
        return Err(refused(
            format!(
                "{} {version} is restricted (retired) on the listing",
                spec.product.slug
            ),
            "Promote a live version.",
        ));
    }
    Ok(planned(Vec::new(), Vec::new(), Vec::new()))
}
