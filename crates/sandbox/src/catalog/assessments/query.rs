//! The filters of a ListAssessments request, checked as the API reference describes them
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListAssessments.html>):
//! `FrameworkId`, `AssessmentTargetFilter` (`EntityIds` needs a `FrameworkId` and excludes
//! `EntityId` and `ChangeSetId`) and the `FrameworkFilters` union, and whether an assessment
//! matches them.

use serde_json::Value;

use crate::catalog::validation;
use crate::error::AwsResult;
use crate::world::assessments::Assessment;

/// The framework id requests name (the summaries add the version).
const FRAMEWORK: &str = "AMISecurity";
/// `AssessmentTargetFilter.EntityIds` holds 1 to 50 ids.
const MAX_ENTITY_IDS: usize = 50;

/// Whether `s` is a ResourceId (`^[\w\-]+$`, 1–255 characters).
pub(super) fn resource_id(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The filters of a ListAssessments request, checked.
#[derive(Debug)]
pub(super) struct Query {
    framework: Option<String>,
    entity_id: Option<String>,
    change_set_id: Option<String>,
    pub(super) entity_ids: Option<Vec<String>>,
    /// `Some(None)`: the AMI Security filters without a delivery option; `None`: no AMI filter.
    ami_filter: Option<Option<String>>,
    /// The framework filters name another framework: no AMI assessment matches.
    other_framework: bool,
}

impl Query {
    pub(super) fn read(body: &Value) -> AwsResult<Self> {
        let framework = match &body["FrameworkId"] {
            Value::Null => None,
            Value::String(s) if resource_id(&s.replace('@', "_")) => Some(s.clone()),
            _ => return Err(validation("FrameworkId is not valid")),
        };
        let target = &body["AssessmentTargetFilter"];
        let entity_id = text(&target["EntityId"], "AssessmentTargetFilter.EntityId")?;
        let change_set_id = text(&target["ChangeSetId"], "AssessmentTargetFilter.ChangeSetId")?;
        let entity_ids = match target.get("EntityIds") {
            None => None,
            Some(_) if entity_id.is_some() || change_set_id.is_some() => {
                return Err(validation(
                    "AssessmentTargetFilter.EntityIds cannot be combined with EntityId or ChangeSetId",
                ));
            }
            Some(_) if framework.is_none() => {
                return Err(validation(
                    "FrameworkId is required with AssessmentTargetFilter.EntityIds",
                ));
            }
            Some(ids) => Some(entity_list(ids)?),
        };
        let (ami_filter, other_framework) = framework_filters(&body["FrameworkFilters"])?;
        Ok(Query {
            framework,
            entity_id,
            change_set_id,
            entity_ids,
            ami_filter,
            other_framework,
        })
    }

    pub(super) fn matches(&self, a: &Assessment) -> bool {
        let same = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        !self.other_framework
            && self.framework.as_deref().is_none_or(|f| f == FRAMEWORK)
            && same(&self.entity_id, &a.entity_id)
            && same(&self.change_set_id, &a.change_set_id)
            && self
                .entity_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&a.entity_id))
            && match &self.ami_filter {
                Some(Some(d)) => a.delivery_option_id.as_deref() == Some(d.as_str()),
                _ => true,
            }
    }
}

/// An optional ResourceId field `name`.
fn text(v: &Value, name: &str) -> AwsResult<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if resource_id(s) => Ok(Some(s.clone())),
        _ => Err(validation(format!("{name} is not a valid resource id"))),
    }
}

/// `AssessmentTargetFilter.EntityIds`: 1 to 50 entity ids.
fn entity_list(ids: &Value) -> AwsResult<Vec<String>> {
    let all = ids.as_array().map_or(&[][..], Vec::as_slice);
    let valid: Vec<String> = all
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| resource_id(s))
        .map(str::to_owned)
        .collect();
    if valid.is_empty() || valid.len() > MAX_ENTITY_IDS || valid.len() != all.len() {
        return Err(validation(format!(
            "AssessmentTargetFilter.EntityIds must hold 1 to {MAX_ENTITY_IDS} valid entity ids"
        )));
    }
    Ok(valid)
}

/// `FrameworkFilters`, a union with exactly one member: (the AMI Security filter, whether the
/// filter names another framework).
fn framework_filters(f: &Value) -> AwsResult<(Option<Option<String>>, bool)> {
    if f.is_null() {
        return Ok((None, false));
    }
    let members: Vec<(&String, &Value)> = f
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null())
        .collect();
    match members.as_slice() {
        [(name, v)] if name.as_str() == "AMISecurityFilters" => Ok((
            Some(text(
                &v["DeliveryOptionId"],
                "AMISecurityFilters.DeliveryOptionId",
            )?),
            false,
        )),
        [(name, _)] if name.as_str() == "ContainerSecurityFilters" => Ok((None, true)),
        _ => Err(validation(
            "FrameworkFilters must set exactly one of AMISecurityFilters, ContainerSecurityFilters",
        )),
    }
}
