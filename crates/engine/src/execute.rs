//! Commands → port calls → events. Every command is idempotent or guarded by a look first:
//! mirrors are found by their release tag before a copy is made (and the copy carries a
//! deterministic `ClientToken`); a version is looked for, and the product's lock checked, before a
//! change set is started (with a deterministic `ClientRequestToken`); parameters are written only
//! when they differ.

use amipub_domain::changeset::plan::plan_add_version;
use amipub_domain::changeset::product::VersionInput;
use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::buyer::ami_alias;
use amipub_domain::lifecycle::retention;
use amipub_domain::messages::outbound::RESTRICTED;
use amipub_domain::messages::{FAILED, PUBLISHED, SUBMITTED};
use amipub_domain::release::{
    Command, ControlFinding, Event, FailureKind, Release, State, mirror_name,
};
use amipub_domain::template;

use crate::fields::common_fields;
use crate::parameters::{names_with, write_parameters};
pub use crate::parameters::{parameter_names, variables};
use crate::ports::{
    Announcement, Catalog, ChangeSetStatus, CopyRequest, Grants, Images, PortError, Ports,
    StartOutcome, Store,
};
use crate::product::Product;

/// The tag value that marks a release's seller-side copy (release id and retry generation).
pub fn mirror_tag(release: &Release) -> String {
    format!("{}/{}", release.id, release.generation)
}

fn failed(e: PortError) -> Event {
    e.record_on_span();
    Event::CallFailed {
        kind: e.kind,
        detail: e.detail,
    }
}

/// Runs one command; returns the resulting event (none for fire-and-forget commands) and, for
/// the announcement step, the announcement to store with the transition.
pub async fn execute<P: Ports>(
    ports: &P,
    product: &Product,
    r: &Release,
    cmd: &Command,
    now: i64,
) -> (Option<Event>, Vec<Announcement>) {
    let ev = match cmd {
        Command::InspectSource { region, ami } => match ports.images().inspect(region, ami).await {
            Ok(Some(f)) => Event::SourceInspected(f),
            Ok(None) => Event::SourceMissing,
            Err(e) => failed(e),
        },
        Command::EnsureMirror {
            source_region,
            source_ami,
            name,
            client_token,
        } => {
            let tag = mirror_tag(r);
            match ports.images().find_mirror(&tag).await {
                Ok(Some((ami, state))) => mirror_event(ami, &state),
                Ok(None) => {
                    let req = CopyRequest {
                        release: tag,
                        product: r.product.clone(),
                        source_region: source_region.clone(),
                        source_ami: source_ami.clone(),
                        name: name.clone(),
                        client_token: client_token.clone(),
                        tags: amipub_domain::tags::of_copy(&product.tags, r),
                    };
                    match ports.images().copy(&req).await {
                        Ok(ami) => Event::MirrorStarted { ami },
                        Err(e) => failed(e),
                    }
                }
                Err(e) => failed(e),
            }
        }
        Command::CheckMirror { ami } => match ports.images().state(ami).await {
            Ok(Some(state)) => mirror_event(ami.clone(), &state),
            Ok(None) => Event::MirrorFailed {
                detail: format!("{ami} no longer exists"),
            },
            Err(e) => failed(e),
        },
        Command::VerifyGrant => match ports.grants().check().await {
            Ok(None) => Event::GrantVerified,
            Ok(Some(missing)) => Event::GrantMissing { detail: missing },
            Err(e) => failed(e),
        },
        Command::SubmitVersion {
            mirror_ami,
            client_request_token,
        } => submit(ports, product, r, mirror_ami, client_request_token, now).await,
        Command::CheckChangeSet { id } => match ports.catalog().status(id).await {
            Ok(ChangeSetStatus::Running) => Event::ChangeSetRunning,
            Ok(ChangeSetStatus::Succeeded) => Event::ChangeSetSucceeded {
                controls: assessed(ports, id).await,
            },
            Ok(ChangeSetStatus::Failed(errors)) => Event::ChangeSetFailed {
                errors,
                controls: assessed(ports, id).await,
            },
            Ok(ChangeSetStatus::Cancelled) => Event::ChangeSetCancelled,
            Err(e) => failed(e),
        },
        Command::CancelChangeSet { id } => {
            // Best effort: a change set past PREPARING cannot be cancelled and finishes on its own.
            let _ = ports.catalog().cancel(id).await;
            return (None, Vec::new());
        }
        Command::LocateRegions { regions } => match &product.spec.product.product_code {
            None => Event::CallFailed {
                kind: FailureKind::InvalidInput,
                detail: format!("product {} has no product_code in its spec", r.product),
            },
            Some(code) => match ports.catalog().locate(code, &mirror_name(r), regions).await {
                Ok(found) => Event::RegionsFound { found },
                Err(e) => failed(e),
            },
        },
        Command::EnsureClones { regions, name } => {
            let tags = amipub_domain::tags::of_copy(&product.tags, r);
            crate::second_party::ensure_clones(ports, r, regions, name, &tags).await
        }
        Command::ShareClones { clones } => {
            crate::second_party::share_clones(ports, product, r, clones).await
        }
        Command::WriteForm => crate::second_party::write_form(ports, product, r).await,
        Command::Remind => {
            let queued = product
                .spec
                .announce
                .enabled
                .then(|| crate::second_party::reminder(product, r, now));
            return (Some(Event::Reminded), queued.into_iter().collect());
        }
        Command::WriteParameters => match write_parameters(ports, product, r, now).await {
            Ok(verified) => Event::ParametersWritten {
                verified: format!(
                    "{verified}; {}",
                    crate::buyer_view::final_check(ports, product, r).await
                ),
            },
            Err(e) => failed(e),
        },
        Command::QueueAnnouncement => {
            let queued = match product.spec.announce.enabled {
                true => std::iter::once(announcement(product, r))
                    .chain(restricted_announcement(product, r, "retention"))
                    .collect(),
                false => Vec::new(),
            };
            return (Some(Event::AnnouncementQueued), queued);
        }
    };
    (Some(ev), Vec::new())
}

/// The controls of a finished change set's AMI security assessments. Reading them is best
/// effort: the change set's status already decided the outcome, so a failed read is logged and
/// the release goes on without them.
async fn assessed<P: Ports>(ports: &P, change_set: &str) -> Vec<ControlFinding> {
    match ports.catalog().assessments(change_set).await {
        Ok(controls) => controls,
        Err(e) => {
            tracing::warn!(
                change_set,
                kind = e.kind.label(),
                error = %e.detail,
                "Could not read the change set's security assessment"
            );
            Vec::new()
        }
    }
}

fn mirror_event(ami: String, state: &ImageState) -> Event {
    match state {
        ImageState::Available => Event::MirrorAvailable { ami },
        ImageState::Pending => Event::MirrorStarted { ami },
        other => Event::MirrorFailed {
            detail: format!("{ami} is {other}"),
        },
    }
}

async fn submit<P: Ports>(
    ports: &P,
    product: &Product,
    r: &Release,
    mirror: &str,
    token: &str,
    now: i64,
) -> Event {
    let Some(pid) = product.spec.product.id.clone() else {
        return Event::CallFailed {
            kind: FailureKind::InvalidInput,
            detail: format!(
                "product {} has no Marketplace id yet; create the listing first",
                r.product
            ),
        };
    };
    let listed = match ports.catalog().versions(&pid).await {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    if listed.iter().any(|v| v.title == r.version) {
        return Event::VersionListed;
    }
    // The versions the retention policy retires go in the same change set as the new one, so
    // the listing never shows more (or fewer) than it should, and a failed scan retires nothing.
    let restrict = retention::to_restrict(
        &product.spec.retention,
        &listed,
        Some(&r.version),
        &retention::date_of(now),
    );
    match ports.store().product_busy(&r.product, &r.id).await {
        Ok(Some(other)) => {
            return Event::ProductLocked {
                change_set: crate::ports::lock_holder(&other),
            };
        }
        Ok(None) => {}
        Err(e) => return failed(e),
    }
    match ports.catalog().open_change_set(&pid).await {
        Ok(Some(holder)) => return Event::ProductLocked { change_set: holder },
        Ok(None) => {}
        Err(e) => return failed(e),
    }
    let version = VersionInput {
        title: r.version.clone(),
        release_notes: r.notes.clone(),
        ami_id: mirror.to_owned(),
        access_role_arn: product.role_arn.clone(),
    };
    let mut plan = match plan_add_version(&product.spec, &version, &restrict) {
        Ok(p) => p,
        Err(e) => {
            return Event::CallFailed {
                kind: FailureKind::InvalidInput,
                detail: e.to_string(),
            };
        }
    };
    let Some(mut cs) = plan.change_sets.pop() else {
        return Event::CallFailed {
            kind: FailureKind::InvalidInput,
            detail: "the plan has no change set".into(),
        };
    };
    cs.token = token.to_owned();
    match ports.catalog().start(&cs).await {
        Ok(StartOutcome::Started(id)) => Event::ChangeSetStarted {
            id,
            restricts: listed
                .iter()
                .filter(|v| v.option_id.as_ref().is_some_and(|o| restrict.contains(o)))
                .map(|v| v.title.clone())
                .collect(),
        },
        Ok(StartOutcome::Locked(holder)) => Event::ProductLocked { change_set: holder },
        Err(e) => failed(e),
    }
}

/// The `amipub.release.published.v1` announcement of a release (`docs/usage/bus.md`).
pub fn announcement(product: &Product, r: &Release) -> Announcement {
    let vars = variables(product, r);
    let topic = template::render(&product.spec.announce.topic, &vars)
        .unwrap_or_else(|_| product.spec.announce.topic.clone());
    let params: Vec<String> = names_with(product, &vars).unwrap_or_default();
    let mut body = common_fields(product, r);
    body.insert("change_set_id".into(), serde_json::json!(r.change_set));
    body.insert("marketplace_regions".into(), serde_json::json!(r.regions));
    body.insert("ssm_parameters".into(), serde_json::json!(params));
    let id = product.spec.product.id.as_deref();
    let alias = id.map(|id| ami_alias(id, &r.version));
    body.insert("ami_alias".into(), serde_json::json!(alias));
    if let Some(stream) = r.vars.get("stream") {
        body.insert("stream".into(), serde_json::json!(stream));
    }
    Announcement {
        id: format!("{}-published", r.id),
        schema: PUBLISHED.to_owned(),
        topic,
        body: serde_json::Value::Object(body).to_string(),
    }
}

/// The `amipub.release.restricted.v1` announcement of the versions `r.restricts` (restricted for
/// `reason`: `retention`, `end_of_life`), naming the release's version as their replacement;
/// `None` when there are none.
pub fn restricted_announcement(
    product: &Product,
    r: &Release,
    reason: &str,
) -> Option<Announcement> {
    if r.restricts.is_empty() {
        return None;
    }
    let id = product.spec.product.id.as_deref();
    let body = serde_json::json!({
        "architecture": r.vars.get("arch").cloned()
            .unwrap_or_else(|| product.spec.product.architecture.clone()),
        "product": r.product,
        "product_id": id,
        "restricted_versions": r.restricts,
        "reason": reason,
        "replacement": {
            "version_title": r.version,
            "release_id": r.id,
            "marketplace_regions": r.regions,
            "ami_alias": id.map(|id| ami_alias(id, &r.version)),
        },
    });
    Some(Announcement {
        id: format!("{}-restricted", r.id),
        schema: RESTRICTED.to_owned(),
        topic: RESTRICTED.to_owned(),
        body: body.to_string(),
    })
}

/// The announcement a state change makes besides the final one: `submitted` when the version's
/// change set starts scanning, `failed` when a step fails for good. Retries of a failed release
/// get their own message id (the generation is part of it).
pub fn transition_announcement(
    product: &Product,
    before: &Release,
    after: &Release,
) -> Option<Announcement> {
    if before.state == after.state || !product.spec.announce.enabled {
        return None;
    }
    let mut body = common_fields(product, after);
    let (schema, suffix) = match after.state {
        State::Scanning => {
            body.insert("change_set_id".into(), serde_json::json!(after.change_set));
            body.insert("mirror_ami".into(), serde_json::json!(after.mirror_ami));
            (SUBMITTED, "submitted")
        }
        State::Failed => {
            let f = after.failure.as_ref()?;
            body.insert("step".into(), serde_json::json!(f.step.name()));
            body.insert("kind".into(), serde_json::json!(f.kind.label()));
            body.insert("detail".into(), serde_json::json!(f.detail));
            body.insert("remedy".into(), serde_json::json!(f.remedy));
            if !f.controls.is_empty() {
                let controls: Vec<_> = f
                    .controls
                    .iter()
                    .map(|c| serde_json::json!({ "control": c.control, "remedy": c.remedy }))
                    .collect();
                body.insert("failed_controls".into(), serde_json::json!(controls));
            }
            (FAILED, "failed")
        }
        _ => return None,
    };
    Some(Announcement {
        id: format!("{}-{suffix}-{}", after.id, after.generation),
        schema: schema.to_owned(),
        topic: schema.to_owned(),
        body: serde_json::Value::Object(body).to_string(),
    })
}
