//! `amipub plan --product SPEC` for a product that exists: the live listing (DescribeEntity of
//! the product and its offer) against the spec, field by field, as a diff; whether the content
//! changes are covered by the approval; and the change sets `amipub apply` would submit.

use amipub_domain::changeset::plan::{Plan, change_set_name, token};
use amipub_domain::changeset::product::restrict_delivery_options;
use amipub_domain::changeset::{ChangeSet, split_changes};
use amipub_domain::lifecycle::{check_approval, diff, retention, sync_changes};
use amipub_domain::spec::ProductSpec;
use anyhow::Context;

use crate::listing::Lifecycle;

/// The live plan, or `None` when the product does not exist yet (not even in the state
/// database), so the creation plan applies.
pub async fn plan(
    spec: &mut ProductSpec,
    path: &str,
    config: Option<&std::path::Path>,
) -> anyhow::Result<Option<Plan>> {
    let Some(lc) = Lifecycle::open(config).await? else {
        return Ok(None);
    };
    lc.fill_ids(spec).await?;
    let Some(pid) = spec.product.id.clone() else {
        return Ok(None);
    };
    let live = lc.live(spec).await?;
    let diffs = diff(spec, &live);
    println!("Listing {pid} ({}) against {path}:", live.visibility);
    if diffs.is_empty() {
        println!("  no differences");
    }
    for d in &diffs {
        println!(
            "~ {}{}",
            d.field,
            if d.is_content() { "  (content)" } else { "" }
        );
        for line in d.lines() {
            println!("    {line}");
        }
    }
    let mut notes = Vec::new();
    match check_approval(spec, &diffs, false, path) {
        Ok(()) if diffs.iter().any(|d| d.is_content()) => {
            notes.push("the content changes are covered by the spec's approval".to_owned())
        }
        Ok(()) => {}
        Err(e) => notes.push(format!("apply will refuse: {e}")),
    }
    let sync = sync_changes(spec, &live, &diffs, &pid, spec.product.offer_id.as_deref());
    notes.extend(sync.notes);
    let today = retention::date_of(lc.clock.now().await?.0);
    let retire = retention::to_restrict(&spec.retention, &live.versions, None, &today);
    if !retire.is_empty() {
        notes.push(format!(
            "retention retires {} version(s) the policy no longer keeps",
            retire.len()
        ));
    }
    let mut changes = sync.changes;
    changes.extend(restrict_delivery_options(&retire, &pid));
    let groups = split_changes(changes).context("the changes do not fit in change sets")?;
    let total = groups.len();
    let change_sets = groups
        .into_iter()
        .enumerate()
        .map(|(i, changes)| {
            let name = change_set_name(&format!(
                "amipub sync {} {}/{total}",
                spec.product.slug,
                i + 1
            ));
            ChangeSet {
                token: token(&name, &changes),
                purpose: format!("bring {} in line with its spec", spec.product.slug),
                name,
                changes,
            }
        })
        .collect();
    Ok(Some(Plan { change_sets, notes }))
}
