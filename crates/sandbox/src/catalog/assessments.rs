//! The security scan's record and its two Catalog operations: when a change set's scan ends,
//! `record` stores one `AMISecurity@1.0` assessment per `AddDeliveryOptions` change, its
//! controls failing as the scan's verdict says; ListAssessments
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListAssessments.html>) and
//! DescribeAssessment
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeAssessment.html>)
//! read them back; `query` checks ListAssessments' filters. The controls themselves are in
//! `world::assessments`.

use serde_json::{Value, json};

use super::{not_found, stamp, validation};
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::world::World;
use crate::world::assessments::{AMI_SECURITY, Assessment, control};
use crate::world::catalog::{Change, ChangeSet};

mod query;

use query::Query;

/// ListAssessments pages: 20 by default, at most 100.
const LIST_PAGE: (i64, i64) = (20, 100);
/// DescribeAssessment pages of controls: 50 by default, at most 100.
const CONTROL_PAGE: (i64, i64) = (50, 100);

/// Records the assessments of `cs` once its security scan has ended: a SUCCEEDED change set
/// passed its scan; a FAILED one whose new versions carry `SCAN_ERROR` failed it, and the
/// versions whose own AMI has the `fail` verdict (the rule `checks::scan` applies) get the
/// failing controls. Change sets that never reached the scan record nothing; a change set is
/// recorded once.
pub fn record(world: &mut World, cs: &ChangeSet) {
    let Some(at) = cs.ended else { return };
    let scan_failed = |c: &Change| c.errors.iter().any(|(code, _)| code == "SCAN_ERROR");
    let scanned = match cs.status.as_str() {
        "SUCCEEDED" => true,
        "FAILED" => cs.changes.iter().any(scan_failed),
        _ => false,
    };
    if !scanned
        || world
            .assessments
            .by_id
            .values()
            .any(|a| a.change_set_id == cs.id)
    {
        return;
    }
    for (i, c) in cs.changes.iter().enumerate() {
        if c.change_type != "AddDeliveryOptions" {
            continue;
        }
        let ami = source_ami(&c.details);
        let verdict = world
            .catalog
            .scan_overrides
            .get(&ami)
            .unwrap_or(&world.config.scan_verdict);
        let failed = scan_failed(c) && verdict == "fail";
        let entity_id = c.entity_id.clone().unwrap_or_default();
        let title = c.details["Version"]["VersionTitle"].as_str().unwrap_or("");
        let delivery_option_id = (cs.status == "SUCCEEDED")
            .then(|| delivery_option(world, &entity_id, title))
            .flatten();
        // The id comes from the change set's id, not the id stream, so recording an assessment
        // does not shift the ids of everything the sandbox creates after it.
        let a = Assessment {
            id: format!("assessment-{}{i}", cs.id),
            account: cs.account.clone(),
            entity_id,
            change_set_id: cs.id.clone(),
            delivery_option_id,
            controls: world.assessments.evaluate(&ami, failed),
            ami,
            created: at,
        };
        world.assessments.by_id.insert(a.id.clone(), a);
    }
}

fn source_ami(details: &Value) -> String {
    let o = &details["DeliveryOptions"][0];
    let inner = if o["Details"].is_object() {
        &o["Details"]
    } else {
        &o["DetailsDocument"]
    };
    inner["AmiDeliveryOptionDetails"]["AmiSource"]["AmiId"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The delivery option of the product's version `title`, once applied.
fn delivery_option(world: &World, entity_id: &str, title: &str) -> Option<String> {
    let doc = &world.catalog.entities.get(entity_id)?.doc;
    doc["Versions"]
        .as_array()?
        .iter()
        .find(|v| v["VersionTitle"] == title)
        .and_then(|v| v["DeliveryOptions"][0]["Id"].as_str())
        .map(str::to_owned)
}

/// ListAssessments: the caller's assessments that match the filters, newest first.
pub fn list(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let q = Query::read(body)?;
    let mut found: Vec<&Assessment> = world
        .assessments
        .by_id
        .values()
        .filter(|a| a.account == ctx.account() && q.matches(a))
        .collect();
    found.sort_by(|a, b| b.created.total_cmp(&a.created).then(a.id.cmp(&b.id)));
    if q.entity_ids.is_some() {
        // Only the latest published assessment of each entity: that of a version that went live.
        let mut seen = std::collections::BTreeSet::new();
        found.retain(|a| a.delivery_option_id.is_some() && seen.insert(a.entity_id.clone()));
    }
    let (start, end) = page(body, LIST_PAGE, found.len())?;
    let items: Vec<Value> = found[start..end]
        .iter()
        .map(|a| summary(world, a))
        .collect();
    let mut out = json!({ "AssessmentSummaryList": items });
    if end < found.len() {
        out["NextToken"] = json!(format!("sbx-{end}"));
    }
    Ok(out)
}

/// DescribeAssessment: one of the caller's assessments, by id or ARN, with a page of controls.
pub fn describe(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let Some(ident) = body["AssessmentIdentifier"].as_str() else {
        return Err(validation(
            "1 validation error detected: Value null at 'assessmentIdentifier' failed to satisfy constraint: Member must not be null",
        ));
    };
    let id = assessment_id(ident).ok_or_else(|| {
        validation(format!(
            "AssessmentIdentifier '{ident}' is not valid: give an assessment id (assessment-…) or an assessment ARN"
        ))
    })?;
    let a = world
        .assessments
        .by_id
        .get(id)
        .filter(|a| a.account == ctx.account())
        .ok_or_else(|| not_found(format!("Assessment {id} was not found")))?;
    let (start, end) = page(body, CONTROL_PAGE, a.controls.len())?;
    let controls: Vec<Value> = a.controls[start..end]
        .iter()
        .map(|c| {
            let errors = match (c.passed, control(&c.id)) {
                (false, Some(spec)) => {
                    let value = if spec.scope == "AMI_ID" { a.ami.as_str() } else { spec.value };
                    vec![json!({ "Code": spec.code, "Message": spec.message, "Scope": [{ "Name": spec.scope, "Value": value }] })]
                }
                _ => Vec::new(),
            };
            json!({
                "ControlId": c.id,
                "ControlAssessmentResult": if c.passed { "PASS" } else { "FAIL" },
                "VerificationSource": "AWS_VERIFIED",
                "Errors": errors,
            })
        })
        .collect();
    let mut out = summary(world, a);
    out["ControlAssessments"] = Value::Array(controls);
    if end < a.controls.len() {
        out["NextToken"] = json!(format!("sbx-{end}"));
    }
    Ok(out)
}

/// The fields ListAssessments and DescribeAssessment share.
fn summary(world: &World, a: &Assessment) -> Value {
    let mut target = json!({ "EntityId": a.entity_id, "ChangeSetId": a.change_set_id });
    if a.entity_id.is_empty() {
        target = json!({ "ChangeSetId": a.change_set_id });
    }
    let ami = match &a.delivery_option_id {
        Some(d) => json!({ "DeliveryOptionId": d }),
        None => json!({}),
    };
    json!({
        "AssessmentArn": a.arn(),
        "AssessmentId": a.id,
        "FrameworkId": AMI_SECURITY,
        "AssessmentTargetSummary": target,
        "FrameworkSummary": { "AMISecuritySummary": ami },
        "AssessmentResult": if a.passed() { "PASS" } else { "FAIL" },
        "CreatedAt": stamp(world, a.created),
    })
}

/// The assessment id of an id or an ARN (`arn:…:…:…:digits:…/Assessment/assessment-…`), if the
/// identifier has the documented shape.
fn assessment_id(ident: &str) -> Option<&str> {
    let id = match ident.split_once("/Assessment/") {
        None => ident,
        Some((prefix, id)) => {
            let parts: Vec<&str> = prefix.split(':').collect();
            let word = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            let shaped = parts.len() == 6
                && parts[0] == "arn"
                && parts[1..4].iter().all(|p| word(p))
                && !parts[1].is_empty()
                && !parts[2].is_empty()
                && parts[4].chars().all(|c| c.is_ascii_digit())
                && !parts[5].is_empty()
                && word(parts[5]);
            if !shaped {
                return None;
            }
            id
        }
    };
    let tail = id.strip_prefix("assessment-")?;
    (!tail.is_empty() && tail.chars().all(|c| c.is_ascii_alphanumeric())).then_some(id)
}

/// (start, end) of the page `body` asks for among `len` items, with (default, largest)
/// `MaxResults`; tokens are `sbx-<offset>`.
fn page(body: &Value, (default, largest): (i64, i64), len: usize) -> AwsResult<(usize, usize)> {
    let max = match &body["MaxResults"] {
        Value::Null => default,
        v => v
            .as_i64()
            .filter(|m| (1..=largest).contains(m))
            .ok_or_else(|| validation(format!("MaxResults must be between 1 and {largest}")))?,
    };
    let start = match body["NextToken"].as_str() {
        None => 0,
        Some(t) => t
            .strip_prefix("sbx-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= len)
            .ok_or_else(|| validation("The NextToken is not valid"))?,
    };
    let max = usize::try_from(max).unwrap_or(1);
    Ok((start, (start + max).min(len)))
}

#[cfg(test)]
mod tests {
    use super::assessment_id;

    #[test]
    fn identifiers_are_ids_or_assessment_arns() {
        assert_eq!(
            assessment_id("assessment-abc123"),
            Some("assessment-abc123")
        );
        assert_eq!(
            assessment_id(
                "arn:aws:aws-marketplace:us-east-1::AWSMarketplace/Assessment/assessment-abc123"
            ),
            Some("assessment-abc123")
        );
        assert_eq!(
            assessment_id(
                "arn:aws:aws-marketplace:us-east-1:111122223333:AWSMarketplace/Assessment/assessment-x1"
            ),
            Some("assessment-x1")
        );
        for bad in [
            "assessment-",
            "abc",
            "assessment-a_b",
            "arn:aws:x:y:acct:AWSMarketplace/Assessment/assessment-1",
            "AWSMarketplace/Assessment/assessment-1",
        ] {
            assert_eq!(assessment_id(bad), None, "{bad}");
        }
    }
}
