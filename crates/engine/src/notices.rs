//! Announcements lifecycle jobs make (as opposed to a release's own): an alias that moved to
//! another version (`amipub.release.alias-moved.v1`), promoted by an operator or rolled back
//! because a stream went back to an older release; a seller-side AMI retired or deleted by
//! retention (`amipub.release.image-retired.v1`). Their ids are derived from the job or the AMI,
//! so work run again after a crash queues nothing twice; each is queued before the change it
//! tells of, so a crash between the two loses no announcement.

use std::collections::BTreeMap;

use amipub_domain::job::Job;
use amipub_domain::lifecycle::retention::Mirror;
use amipub_domain::messages::outbound::{ALIAS_MOVED, IMAGE_RETIRED};
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

/// A retention step on a mirror, for its announcement.
pub struct Retired<'a> {
    /// The mirror.
    pub mirror: &'a Mirror,
    /// `retired` or `deleted`.
    pub action: &'static str,
    /// The title of the version it was made for, when the listing shows it.
    pub version_title: Option<String>,
    /// When its grace period ends (it is deprecated then, and deleted from then on).
    pub grace_end: i64,
    /// When it was last launched, if known.
    pub last_launched: Option<i64>,
}

fn rfc3339(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The image-retired announcement of a retention step on a mirror made for `release` (its id).
pub fn image_retired(spec: &ProductSpec, r: &Retired<'_>, release: &str) -> Announcement {
    let retired = r.action == "retired";
    let body = serde_json::json!({
        "architecture": spec.product.architecture,
        "product": spec.product.slug,
        "product_id": spec.product.id,
        "action": r.action,
        "ami": r.mirror.ami,
        "region": r.mirror.region,
        "snapshots": r.mirror.snapshots,
        "release_id": release,
        "version_title": r.version_title,
        "deprecate_at": retired.then(|| rfc3339(r.grace_end)).flatten(),
        "delete_after": retired.then(|| rfc3339(r.grace_end)).flatten(),
        "last_launched": r.last_launched.and_then(rfc3339),
    });
    Announcement {
        id: format!("image-{}-{}", r.action, r.mirror.ami),
        schema: IMAGE_RETIRED.to_owned(),
        topic: IMAGE_RETIRED.to_owned(),
        body: body.to_string(),
    }
}
