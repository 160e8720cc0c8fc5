//! The second-party path's commands → port calls → events: clones found by their tag in each
//! Region before a copy is made (with the Region's deterministic `ClientToken`), shares granted
//! and then read back, the load form filled from the operator's template and stored with the
//! release, and the reminder that the form waits for a person.

use std::collections::BTreeMap;
use std::path::Path;

use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::messages::outbound::AWAITING_SUBMISSION;
use amipub_domain::release::second_party_steps::source_for;
use amipub_domain::release::{Event, FailureKind, Release, untrusted};
use amipub_domain::second_party::form::{self, Value, region_of_header};
use amipub_loadform::template::{self as workbook, CellValue, TemplateError};
use futures_util::StreamExt;

use crate::fields::common_fields;
use crate::ports::{Announcement, Clones, CopyRequest, Forms, Images, PortError, Ports, Shares};
use crate::product::Product;

/// Regions worked on at once. EC2 limits CopyImage per Region and account, so Regions in
/// parallel do not compete for the same bucket; 8 keeps the number of connections modest.
const FAN_OUT: usize = 8;

/// The tag value that marks a release's clones (the same in every Region and generation: a
/// retry finds the clones already made).
pub fn clone_tag(release: &Release) -> String {
    release.id.to_string()
}

fn failed(e: PortError) -> Event {
    e.record_on_span();
    Event::CallFailed {
        kind: e.kind,
        detail: e.detail,
    }
}

/// What a Region that cannot take a clone needs, from the EC2 error.
fn region_remedy(e: &PortError) -> String {
    let d = &e.detail;
    let fix = if d.contains("OptInRequired") || d.contains("not enabled") {
        "the Region is not enabled in the seller account: enable it (AWS account settings, AWS Regions) or remove it from the product's [regions]"
    } else if d.contains("ResourceLimitExceeded") || d.contains("AMI quota") {
        "the account's AMI quota in this Region is reached: deregister unused AMIs or raise the quota (Service Quotas, Amazon EC2, AMIs)"
    } else if d.contains("no [partitions") || d.contains("partition") {
        "add the partition's seller account and credentials to amipub.toml ([partitions.aws-us-gov])"
    } else {
        "see the EC2 message"
    };
    format!("{d} — {fix}")
}

/// Finds or starts the clone in each Region asked for.
pub async fn ensure_clones<P: Ports>(
    ports: &P,
    r: &Release,
    regions: &BTreeMap<Region, String>,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Event {
    let tag = clone_tag(r);
    let looks = futures_util::stream::iter(regions.iter())
        .map(|(region, token)| {
            let tag = tag.clone();
            async move {
                let (source_region, source_ami) = match source_for(r, region) {
                    Ok(s) => s,
                    Err(why) => return (region.clone(), Err(Unclonable(why))),
                };
                let req = CopyRequest {
                    release: tag,
                    product: r.product.clone(),
                    source_region,
                    source_ami,
                    name: name.to_owned(),
                    client_token: token.clone(),
                    tags: tags.clone(),
                };
                (region.clone(), ensure_one(ports, r, region, &req).await)
            }
        })
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<_>>()
        .await;
    let (mut available, mut pending, mut failed_regions) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (region, outcome) in looks {
        match outcome {
            Ok((ami, ImageState::Available)) => {
                available.insert(region, ami);
            }
            Ok((ami, ImageState::Pending)) => {
                pending.insert(region, ami);
            }
            Ok((ami, other)) => {
                let why =
                    format!("the copy {ami} is {other}; deregister it, amipub retry copies again");
                failed_regions.insert(region, why);
            }
            Err(Unclonable(why)) => {
                failed_regions.insert(region, why);
            }
            Err(Call(e)) if e.kind.retryable() => return failed(e),
            Err(Call(e)) => {
                failed_regions.insert(region, region_remedy(&e));
            }
        }
    }
    Event::ClonesSeen {
        available,
        pending,
        failed: failed_regions,
    }
}

/// Why a Region has no clone.
enum NoClone {
    /// The Region cannot take one as things are (the words say why and what to do).
    Unclonable(String),
    /// A call failed.
    Call(PortError),
}

use NoClone::{Call, Unclonable};

impl From<PortError> for NoClone {
    fn from(e: PortError) -> Self {
        Call(e)
    }
}

async fn ensure_one<P: Ports>(
    ports: &P,
    r: &Release,
    region: &Region,
    req: &CopyRequest,
) -> Result<(String, ImageState), NoClone> {
    if let Some(found) = ports.clones().find(region, &req.release).await? {
        return Ok(found);
    }
    if req.source_ami != r.source_ami {
        // Admission inspected the source AMI only: the build's AMI in another partition must
        // pass the same trust rule before anything is copied from it.
        let facts = ports
            .images()
            .inspect(&req.source_region, &req.source_ami)
            .await?;
        let Some(facts) = facts else {
            return Err(Unclonable(format!(
                "the build's AMI {} in {} does not exist or is not visible to the seller account there",
                req.source_ami, req.source_region
            )));
        };
        if let Some(why) = untrusted(&req.source_ami, &facts.owner, &r.trusted_owners) {
            return Err(Unclonable(why));
        }
    }
    let ami = ports.clones().copy(region, req).await?;
    Ok((ami, ImageState::Pending))
}

/// Shares every clone and its snapshots with the configured accounts, then reads both
/// permissions back.
pub async fn share_clones<P: Ports>(
    ports: &P,
    product: &Product,
    r: &Release,
    clones: &BTreeMap<Region, String>,
) -> Event {
    let accounts = product.second_party.share_with.clone();
    let results = futures_util::stream::iter(clones.iter())
        .map(|(region, ami)| {
            let accounts = &accounts;
            async move {
                let c = ports.clones();
                let read = match c.share(region, ami, accounts).await {
                    Ok(snapshots) => c.shares(region, ami, &snapshots).await,
                    Err(e) => Err(e),
                };
                (region, ami, read)
            }
        })
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<_>>()
        .await;
    let mut missing = Vec::new();
    for (region, ami, read) in results {
        match read {
            Ok(shares) => missing.extend(missing_shares(region, ami, &shares, &accounts)),
            Err(e) => return failed(e),
        }
    }
    if missing.is_empty() {
        let before = match ports.store().last_share_list(&r.product, &r.id).await {
            Ok(before) => before,
            Err(e) => return failed(e),
        };
        let changed = before.and_then(|b| share_change(&b, &accounts));
        if let Some(words) = &changed {
            tracing::warn!("release {}: {words}", r.id);
        }
        Event::SharesVerified { accounts, changed }
    } else {
        missing.sort();
        Event::SharesMissing {
            detail: missing.join("; "),
        }
    }
}

/// Each share that did not read back, in words naming Region, resource and account.
pub fn missing_shares(region: &Region, ami: &str, s: &Shares, accounts: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in accounts {
        if !s.launch.contains(a) {
            out.push(format!("launch permission on {ami} in {region} for {a}"));
        }
        for (snap, granted) in &s.snapshots {
            if !granted.contains(a) {
                out.push(format!(
                    "create-volume permission on snapshot {snap} of {ami} in {region} for {a}"
                ));
            }
        }
    }
    if s.snapshots.is_empty() {
        out.push(format!("{ami} in {region} shows no EBS snapshot to share"));
    }
    out
}

/// Fills the "New AMI Version " sheet of the operator's template with the release's row and
/// stores the workbook with the release.
pub async fn write_form<P: Ports>(ports: &P, product: &Product, r: &Release) -> Event {
    match build_form(product, r) {
        Ok((name, bytes)) => match ports.store().save_form(&r.id, &name, &bytes).await {
            Ok(()) => Event::FormWritten { name },
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// The workbook of a release: (file name, bytes).
pub fn build_form(product: &Product, r: &Release) -> Result<(String, Vec<u8>), PortError> {
    let invalid = |d: String| PortError::new(FailureKind::InvalidInput, d);
    let Some(path) = product.second_party.template.as_deref() else {
        return Err(invalid("[second_party] template is not set: name the operator's copy of the second-party product load form (XLSX) in amipub.toml".into()));
    };
    let template = std::fs::read(Path::new(path)).map_err(|e| {
        invalid(format!("cannot read the load form template {path}: {e}; check [second_party] template in amipub.toml"))
    })?;
    let row = form::new_version_row(&product.spec, r).map_err(invalid)?;
    let bytes = workbook::fill(&template, workbook::NEW_VERSION_SHEET, &[cells(row)])
        .map_err(|e| invalid(template_words(path, e)))?;
    Ok((form_name(r), bytes))
}

/// The workbook's file name: product and version, safe in any file system.
pub fn form_name(r: &Release) -> String {
    let safe: String = format!("{}-{}", r.product, r.version)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}-load-form.xlsx")
}

/// The domain's row as the workbook filler takes it.
pub fn cells(row: form::Row) -> workbook::Row {
    row.into_iter()
        .map(|(h, v)| {
            let v = match v {
                Value::Text(t) => CellValue::Text(t),
                Value::Bool(b) => CellValue::Bool(b),
            };
            (h, v)
        })
        .collect()
}

/// A template problem in words; Region columns that are missing are named as Regions.
pub fn template_words(path: &str, e: TemplateError) -> String {
    if let TemplateError::MissingColumns { sheet, columns } = &e {
        let regions: Vec<&str> = columns.iter().filter_map(|c| region_of_header(c)).collect();
        if !regions.is_empty() && regions.len() == columns.len() {
            return format!(
                "the load form template {path} has no column for Region(s) {} on sheet {sheet:?}: add a column headed \"<region> Cloned AMI ID\" for each (the Marketplace team accepts Regions newer than its template this way) or remove the Regions from the product",
                regions.join(", ")
            );
        }
    }
    format!("the load form template {path} cannot be filled: {e}")
}

/// The reminder that the form waits for submission.
pub fn reminder(product: &Product, r: &Release, now: i64) -> Announcement {
    let mut body = common_fields(product, r);
    let sp = r.second_party.clone().unwrap_or_default();
    let clones: BTreeMap<String, String> = sp
        .clones
        .iter()
        .map(|(g, c)| (g.to_string(), c.ami.clone()))
        .collect();
    body.insert(
        "form".into(),
        serde_json::json!(sp.form.unwrap_or_else(|| form_name(r))),
    );
    body.insert(
        "waited_seconds".into(),
        serde_json::json!((now - r.entered_at).max(0)),
    );
    body.insert("clones".into(), serde_json::json!(clones));
    Announcement {
        id: format!("{}-awaiting-submission-{}", r.id, r.generation),
        schema: AWAITING_SUBMISSION.to_owned(),
        topic: AWAITING_SUBMISSION.to_owned(),
        body: serde_json::Value::Object(body).to_string(),
    }
}

/// The share list of the most recent of `earlier` (newest first) that shared its clones.
pub fn latest_share_list<'a>(
    earlier: impl IntoIterator<Item = &'a Release>,
) -> Option<Vec<String>> {
    earlier
        .into_iter()
        .filter_map(|r| r.second_party.as_ref())
        .find(|sp| !sp.shared_with.is_empty())
        .map(|sp| sp.shared_with.clone())
}

/// How the share list changed since the previous release, in words; `None` if it did not.
pub fn share_change(before: &[String], now: &[String]) -> Option<String> {
    let added: Vec<&str> = now
        .iter()
        .filter(|a| !before.contains(a))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .filter(|a| !now.contains(a))
        .map(String::as_str)
        .collect();
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    let mut words = vec!["the share list changed since the previous release".to_owned()];
    if !added.is_empty() {
        words.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        words.push(format!("no longer shared with {}", removed.join(", ")));
    }
    Some(words.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(a: &[&str]) -> Vec<String> {
        a.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn a_changed_share_list_is_said_in_words() {
        let before = list(&["679593333241", "684062674729"]);
        assert_eq!(share_change(&before, &before), None);
        let words = share_change(&before, &list(&["679593333241", "111111111111"])).unwrap();
        assert!(words.contains("added 111111111111"), "{words}");
        assert!(
            words.contains("no longer shared with 684062674729"),
            "{words}"
        );
    }

    #[test]
    fn missing_shares_name_region_resource_and_account() {
        let s = Shares {
            launch: list(&["679593333241"]),
            snapshots: [("snap-1".to_owned(), list(&["679593333241", "684062674729"]))].into(),
        };
        let region = Region::known("eu-west-1");
        let missing = missing_shares(
            &region,
            "ami-1",
            &s,
            &list(&["679593333241", "684062674729"]),
        );
        assert_eq!(
            missing,
            ["launch permission on ami-1 in eu-west-1 for 684062674729"]
        );
    }
}
