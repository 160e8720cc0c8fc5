//! LabelParameterVersion: the label rules of
//! <https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-labels.html>
//! and <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html>.
//!
//! - A request holds 1 to 10 labels, each 1 to 100 characters long; other requests fail
//!   validation.
//! - A label holds letters, digits, `.`, `-` and `_`, and does not begin with a digit, `aws` or
//!   `ssm` (in any case). Labels that break this are answered in `InvalidLabels` and not
//!   attached; the others are.
//! - A label names one version at a time: attaching it to a version moves it off any other.
//! - A version holds at most 10 labels; a request that would exceed that fails with
//!   `ParameterVersionLabelLimitExceeded` and changes nothing.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{not_found, str_field, validation, version_not_found};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::ssm::{Parameter, Ssm};

/// Most labels per request, and per version.
const MAX_LABELS: usize = 10;
/// Longest label, in characters.
const MAX_LABEL_CHARS: usize = 100;

/// LabelParameterVersion. The name is a parameter name, not an ARN.
pub fn label(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let name = str_field(body, "Name")?;
    let labels = crate::protocol::json::strings(&body["Labels"]);
    check_request(&labels)?;
    let key = Ssm::key(ctx.account(), &ctx.region, name);
    let p = world
        .ssm
        .parameters
        .get_mut(&key)
        .ok_or_else(|| not_found(name))?;
    let version = match body["ParameterVersion"].as_i64() {
        Some(v) if p.versions.iter().any(|x| x.version == v) => v,
        Some(v) => return Err(version_not_found(name, v)),
        None => p.latest().map_or(0, |v| v.version),
    };
    let (valid, invalid): (Vec<String>, Vec<String>) =
        labels.into_iter().partition(|l| well_formed(l));
    let valid: BTreeSet<String> = valid.into_iter().collect();
    check_room(p, version, &valid)?;
    for v in p.versions.iter_mut() {
        if v.version == version {
            v.labels.extend(valid.iter().cloned());
        } else {
            v.labels.retain(|l| !valid.contains(l));
        }
    }
    Ok(json!({ "InvalidLabels": invalid, "ParameterVersion": version }))
}

/// The request's own limits: 1 to 10 labels of 1 to 100 characters.
fn check_request(labels: &[String]) -> AwsResult<()> {
    if labels.is_empty() || labels.len() > MAX_LABELS {
        return Err(validation(format!(
            "1 validation error detected: Value '[{}]' at 'labels' failed to satisfy constraint: Member must have length less than or equal to {MAX_LABELS} and greater than or equal to 1",
            labels.join(", ")
        )));
    }
    match labels
        .iter()
        .find(|l| l.is_empty() || l.chars().count() > MAX_LABEL_CHARS)
    {
        Some(l) => Err(validation(format!(
            "1 validation error detected: Value '[{l}]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to {MAX_LABEL_CHARS}, Member must have length greater than or equal to 1]"
        ))),
        None => Ok(()),
    }
}

/// Whether a label may be attached.
fn well_formed(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    let reserved = lower.starts_with("aws") || lower.starts_with("ssm");
    let leading_digit = label.starts_with(|c: char| c.is_ascii_digit());
    let spelled = label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    spelled && !reserved && !leading_digit
}

/// Fails when the version would hold more than [`MAX_LABELS`] labels after the request.
fn check_room(p: &Parameter, version: i64, adding: &BTreeSet<String>) -> AwsResult<()> {
    let held = p
        .versions
        .iter()
        .find(|v| v.version == version)
        .map(|v| v.labels.union(adding).count())
        .unwrap_or(adding.len());
    if held > MAX_LABELS {
        return Err(AwsError::bad(
            "ParameterVersionLabelLimitExceeded",
            "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_documented_rules() {
        for ok in ["Production", "release_41.1-b", "x1", "Aw", "sS"] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in [
            "1st",
            "9",
            "awsX",
            "AWS",
            "SsmLabel",
            "has space",
            "a:b",
            "a/b",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
        assert!(check_request(&["l".repeat(100)]).is_ok());
        assert!(check_request(&["l".repeat(101)]).is_err());
        assert!(check_request(&vec!["l".to_owned(); 11]).is_err());
    }
}
