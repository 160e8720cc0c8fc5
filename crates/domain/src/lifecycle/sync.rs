//! What `apply` submits for a listing that exists, and what `plan` shows of it: the changes the
//! field differences need, the versions retention retires, grouped into change sets whose tokens
//! cover both the changes and what the listing held (so the same edit made again after a console
//! change is a new request, while a re-run after an interruption finds the same one).

use super::diff::{FieldDiff, diff, sync_changes};
use super::live::LiveListing;
use super::retention;
use crate::changeset::plan::{PlanError, numbered};
use crate::changeset::product::restrict_delivery_options;
use crate::changeset::{ChangeSet, split_changes};
use crate::ids::digest_hex;
use crate::spec::ProductSpec;

/// Bringing one listing in line with its spec.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPlan {
    /// The fields that differ.
    pub diffs: Vec<FieldDiff>,
    /// In submission order.
    pub change_sets: Vec<ChangeSet>,
    /// Delivery options retention restricts.
    pub retire: Vec<String>,
    /// What the change sets cannot do.
    pub notes: Vec<String>,
    /// Whether a Draft is released to Limited (which needs the approval even without a content
    /// difference: buyers see the content for the first time).
    pub releasing: bool,
}

/// The sync plan of `product_id` on `today` (`YYYY-MM-DD`).
pub fn plan_sync(
    spec: &ProductSpec,
    live: &LiveListing,
    product_id: &str,
    today: &str,
) -> Result<SyncPlan, PlanError> {
    plan_sync_of(spec, live, product_id, today, None)
}

/// `plan_sync` limited to the fields `only` names (`instance_types.available`), when given: the
/// other differences are left as they are, only additions are made (nothing is restricted),
/// and retention retires nothing.
pub fn plan_sync_of(
    spec: &ProductSpec,
    live: &LiveListing,
    product_id: &str,
    today: &str,
    only: Option<&[&str]>,
) -> Result<SyncPlan, PlanError> {
    let mut diffs = diff(spec, live);
    if let Some(fields) = only {
        diffs.retain(|d| fields.contains(&d.field));
    }
    let sync = sync_changes(
        spec,
        live,
        &diffs,
        product_id,
        spec.product.offer_id.as_deref(),
    );
    let releasing = sync
        .changes
        .iter()
        .any(|c| c.change_type == "ReleaseProduct");
    let retire = match only {
        Some(_) => Vec::new(),
        None => retention::to_restrict(&spec.retention, &live.versions, None, today),
    };
    let mut changes = sync.changes;
    if only.is_some() {
        changes.retain(|c| !c.change_type.starts_with("Restrict"));
    }
    changes.extend(restrict_delivery_options(&retire, product_id));
    let held: Vec<(&serde_json::Value, &str)> = diffs.iter().map(|d| (&d.live, d.field)).collect();
    let salt = digest_hex(
        &[serde_json::to_string(&held).unwrap_or_default().as_bytes()],
        8,
    );
    let groups = split_changes(changes).ok_or(PlanError::TooManyChanges)?;
    let change_sets = numbered(
        groups,
        &format!("amipub sync {}", spec.product.slug),
        &format!("bring {} in line with its spec", spec.product.slug),
        &salt,
    );
    Ok(SyncPlan {
        diffs,
        change_sets,
        retire,
        notes: sync.notes,
        releasing,
    })
}
