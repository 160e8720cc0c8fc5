//! Announcements lifecycle jobs make (as opposed to a release's own): an alias that moved to
//! another version (`amipub.release.alias-moved.v1`), promoted by an operator or rolled back
//! because a stream went back to an older release. Their ids are derived from the job, so a job
//! run again after a crash queues nothing twice.

use std::collections::BTreeMap;

use amipub_domain::job::Job;
use amipub_domain::messages::outbound::ALIAS_MOVED;
use amipub_domain::release::Release;
use amipub_domain::spec::ProductSpec;

use crate::ports::Announcement;

/// One Region's move: the AMI the alias held before (`None`: it was unset) and the one it
/// holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Before.
    pub from: Option<String>,
    /// Now.
    pub to: String,
}

/// The alias-moved announcement of a promotion job that pointed `alias` (parameter
/// `parameter`) at `r`'s Marketplace AMIs; `kept` names the Regions where it could not.
pub fn alias_moved(
    job: &Job,
    spec: &ProductSpec,
    r: &Release,
    alias: &str,
    parameter: &str,
    moves: &BTreeMap<String, Move>,
    kept: &[String],
) -> Announcement {
    let regions: serde_json::Map<String, serde_json::Value> = moves
        .iter()
        .map(|(region, m)| {
            let v = serde_json::json!({ "from": m.from, "to": m.to });
            (region.clone(), v)
        })
        .collect();
    let reason = match job.arg("reason") {
        Some("rollback") => "rollback",
        _ => "promote",
    };
    let body = serde_json::json!({
        "architecture": r.vars.get("arch").cloned()
            .unwrap_or_else(|| spec.product.architecture.clone()),
        "product": spec.product.slug,
        "product_id": spec.product.id,
        "alias": alias,
        "parameter": parameter,
        "reason": reason,
        "stream": r.vars.get("stream"),
        "to_version": r.version,
        "release_id": r.id,
        "regions": regions,
        "kept": kept,
    });
    Announcement {
        id: format!("{}-alias-moved-{alias}", job.id),
        schema: ALIAS_MOVED.to_owned(),
        topic: ALIAS_MOVED.to_owned(),
        body: body.to_string(),
    }
}
