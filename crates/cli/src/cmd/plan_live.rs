//! `amipub plan --product SPEC` for a product that exists: the live listing (DescribeEntity of
//! the product and its offer) against the spec (with `all_current`, its instance types as EC2
//! lists them now), field by field, as a diff; whether the content
//! changes are covered by the approval; and the change sets `amipub apply` would submit (the same
//! `plan_sync`, so the tokens shown are the ones `apply` sends).

use amipub_domain::changeset::plan::Plan;
use amipub_domain::lifecycle::{check_approval, plan_sync, retention};
use amipub_domain::settings::Settings;
use amipub_domain::spec::ProductSpec;

use crate::listing::Lifecycle;

/// The live plan, or `None` when the product does not exist yet (not even in the state
/// database), so the creation plan applies.
pub async fn plan(
    spec: &mut ProductSpec,
    path: &str,
    settings: Settings,
) -> anyhow::Result<Option<Plan>> {
    let lc = Lifecycle::with(settings).await?;
    lc.fill_ids(spec).await?;
    // `all_current`: the types EC2 lists as current now, so new ones show as additions.
    amipub_engine::job_execute::resolve_instance_types(lc.engine.ports(), spec)
        .await
        .map_err(|e| anyhow::anyhow!("instance types: {}", e.detail))?;
    let Some(pid) = spec.product.id.clone() else {
        return Ok(None);
    };
    let live = lc.live(spec).await?;
    let today = retention::date_of(lc.clock.now().await?.0);
    let sync = plan_sync(spec, &live, &pid, &today)?;
    println!("Listing {pid} ({}) against {path}:", live.visibility);
    if sync.diffs.is_empty() {
        println!("  no differences");
    }
    for d in &sync.diffs {
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
    match check_approval(spec, &sync.diffs, sync.releasing, path) {
        Ok(()) if sync.diffs.iter().any(|d| d.is_content()) => {
            notes.push("the content changes are covered by the spec's approval".to_owned())
        }
        Ok(()) => {}
        Err(e) => notes.push(format!("apply will refuse: {e}")),
    }
    notes.extend(sync.notes);
    if !sync.retire.is_empty() {
        notes.push(format!(
            "retention retires {} version(s) the policy no longer keeps",
            sync.retire.len()
        ));
    }
    Ok(Some(Plan {
        change_sets: sync.change_sets,
        notes,
    }))
}
