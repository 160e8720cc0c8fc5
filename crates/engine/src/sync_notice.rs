//! The `restricted` announcement of a listing sync: the versions its change sets restricted
//! (retention keeping fewer versions, or an end of life reached: one announcement each, with
//! its reason), with the newest live version as their replacement, queued once per job when
//! the sync is done. Not told: what an earlier change set restricted when a later one of the
//! same sync failed (the job fails, and a retry's plan no longer holds it), and restrictions
//! that left no version whose release amipub holds.

use amipub_domain::job::Job;
use amipub_domain::lifecycle::LiveVersion;
use amipub_domain::lifecycle::retention;
use amipub_domain::spec::ProductSpec;

use crate::execute::restricted_announcement;
use crate::lifecycle_ports::{Jobs, LifecyclePorts};
use crate::ports::{Catalog, PortError};
use crate::product::Product;

/// The delivery options the job's change sets restricted.
fn restricted_options(job: &Job) -> Vec<String> {
    job.plan
        .iter()
        .flat_map(amipub_domain::changeset::ChangeSet::restricted_options)
        .collect()
}

/// The titles of the restricted versions, and the newest version still offered.
fn titles_and_replacement<'a>(
    versions: &'a [LiveVersion],
    options: &[String],
) -> (Vec<String>, Option<&'a LiveVersion>) {
    let titles = versions
        .iter()
        .filter(|v| v.option_id.as_ref().is_some_and(|o| options.contains(o)))
        .map(|v| v.title.clone())
        .collect();
    let newest = versions
        .iter()
        .filter(|v| !v.restricted)
        .max_by(|a, b| a.created.cmp(&b.created));
    (titles, newest)
}

/// Queues the announcement (when the product announces and the sync restricted a version); a
/// line for people saying what was told. It is about the replacement's release, which the store
/// must hold: without one, nothing can be queued and the line says so.
pub(crate) async fn announce_sync_restrictions<P: LifecyclePorts>(
    ports: &P,
    job: &Job,
    spec: &ProductSpec,
    now: i64,
) -> Result<Option<String>, PortError> {
    let options = restricted_options(job);
    let Some(pid) = spec.product.id.as_deref() else {
        return Ok(None);
    };
    if options.is_empty() || !spec.announce.enabled {
        return Ok(None);
    }
    let versions = ports.catalog().versions(pid).await?;
    let (titles, newest) = titles_and_replacement(&versions, &options);
    let slug = &spec.product.slug;
    let stored = match newest {
        Some(v) => ports.jobs().done_release(slug, &v.title).await?,
        None => None,
    };
    let Some(mut replacement) = stored else {
        return Ok(Some(format!(
            "  restricted {} (not announced: amipub holds no release of a version still offered)",
            titles.join(", ")
        )));
    };
    // Versions past their release's end of life are told apart from those retention no
    // longer keeps: each group is its own announcement, with its own reason.
    let today = retention::date_of(now);
    let (eol, kept): (Vec<String>, Vec<String>) = titles
        .iter()
        .cloned()
        .partition(|t| retention::past_end_of_life(&spec.retention, t, &today));
    let product = Product::new(spec.clone(), "");
    for (group, reason, suffix) in [(kept, "retention", ""), (eol, "end_of_life", "-eol")] {
        if group.is_empty() {
            continue;
        }
        replacement.restricts = group;
        let Some(mut a) = restricted_announcement(&product, &replacement, reason) else {
            continue;
        };
        a.id = format!("{}-restricted{suffix}", job.id);
        ports
            .jobs()
            .announce(replacement.id.as_str(), &a, now)
            .await?;
    }
    Ok(Some(format!(
        "  restricted {}; announced with {} as the replacement",
        titles.join(", "),
        replacement.version
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(title: &str, created: &str, option: &str, restricted: bool) -> LiveVersion {
        LiveVersion {
            id: format!("v-{title}"),
            title: title.to_owned(),
            created: created.to_owned(),
            option_id: Some(option.to_owned()),
            restricted,
            source_ami: None,
        }
    }

    #[test]
    fn the_restricted_titles_and_the_newest_version_still_offered() {
        let versions = [
            version("1.1", "2026-01-01T00:00:00Z", "opt-a", true),
            version("1.3", "2026-03-01T00:00:00Z", "opt-c", false),
            version("1.2", "2026-02-01T00:00:00Z", "opt-b", true),
            version("1.0", "2025-12-01T00:00:00Z", "opt-0", false),
        ];
        let (titles, newest) = titles_and_replacement(&versions, &["opt-b".to_owned()]);
        assert_eq!(titles, ["1.2"]);
        assert_eq!(newest.map(|v| v.title.as_str()), Some("1.3"));
        let (none, _) = titles_and_replacement(&versions, &[]);
        assert!(none.is_empty());
    }
}
