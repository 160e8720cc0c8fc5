//! Reading one change of a StartChangeSet request: its type, entity, name and document
//! (`Details` as a JSON string or `DetailsDocument`, never both), with the member constraints of
//! the `Change` and `Entity` shapes of the StartChangeSet reference
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>), and
//! the `$Name.Entity.Identifier` references a change may carry.

use std::collections::BTreeMap;

use serde_json::Value;

use super::super::validation;
use super::shapes;
use crate::error::{AwsError, AwsResult};
use crate::world::catalog::Change;

/// Most characters of a `Details` string.
const DETAILS_MAX_CHARS: usize = 16384;

/// Reads the change at `i` (0-based) of the request.
pub(super) fn change(i: usize, c: &Value) -> AwsResult<Change> {
    let at = |what: &str| member_error(i, what);
    let change_type = c["ChangeType"]
        .as_str()
        .filter(|t| {
            t.starts_with(|ch: char| ch.is_ascii_uppercase())
                && t.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
        })
        .ok_or_else(|| at("changeType"))?
        .to_owned();
    let entity_type = c["Entity"]["Type"]
        .as_str()
        .ok_or_else(|| at("entity.type"))?
        .to_owned();
    let identifier = match &c["Entity"]["Identifier"] {
        Value::Null => None,
        Value::String(s) if !s.is_empty() && s.len() <= 255 => Some(s.clone()),
        _ => return Err(at("entity.identifier")),
    };
    let change_name = match &c["ChangeName"] {
        Value::Null => None,
        Value::String(s)
            if !s.is_empty() && s.len() <= 72 && s.chars().all(|ch| ch.is_ascii_alphanumeric()) =>
        {
            Some(s.clone())
        }
        _ => return Err(at("changeName")),
    };
    let details = details(i, &change_type, c)?;
    if !matches!(entity_type.as_str(), "AmiProduct@1.0" | "Offer@1.0") {
        return Err(validation(format!(
            "Entity type {entity_type} is not supported; use AmiProduct@1.0 or Offer@1.0"
        )));
    }
    if shapes::known(&entity_type, &change_type)
        && change_type.starts_with("Create") != identifier.is_none()
    {
        return Err(validation(if identifier.is_none() {
            format!(
                "Change {} ({change_type}) must name an entity Identifier",
                i + 1
            )
        } else {
            format!(
                "Change {} ({change_type}) creates an entity and must not have an Identifier",
                i + 1
            )
        }));
    }
    shapes::check(&entity_type, &change_type, &details)?;
    let entity_tags = match &c["EntityTags"] {
        Value::Null => BTreeMap::new(),
        list => super::super::read::tag_list(list, "EntityTags")?,
    };
    Ok(Change {
        change_type,
        change_name,
        entity_type,
        identifier,
        entity_id: None,
        revision: None,
        details,
        entity_tags,
        errors: Vec::new(),
    })
}

fn member_error(i: usize, what: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value at 'changeSet.{}.member.{what}' failed to satisfy constraint",
        i + 1
    ))
}

/// The change's document: exactly one of `Details` (a JSON object in a string) and
/// `DetailsDocument`.
fn details(i: usize, change_type: &str, c: &Value) -> AwsResult<Value> {
    match (&c["Details"], &c["DetailsDocument"]) {
        (Value::Null, Value::Null) => Err(validation(format!(
            "Change {} ({change_type}) must have either Details or DetailsDocument",
            i + 1
        ))),
        (Value::String(_), d) if !d.is_null() => Err(validation(format!(
            "Change {} ({change_type}) has both Details and DetailsDocument; use one",
            i + 1
        ))),
        (Value::String(s), _) => {
            if s.len() > DETAILS_MAX_CHARS {
                return Err(member_error(i, "details"));
            }
            serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    validation(format!(
                        "Change {} ({change_type}): Details is not a JSON object string",
                        i + 1
                    ))
                })
        }
        (Value::Null, d) => Ok(d.clone()),
        _ => Err(member_error(i, "details")),
    }
}

/// The change name a `$Name.Entity.Identifier` reference names.
pub(super) fn reference(s: &str) -> Option<&str> {
    s.strip_prefix('$')
        .and_then(|x| x.strip_suffix(".Entity.Identifier"))
}

/// `$Name.Entity.Identifier` references inside a document.
pub fn references(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => reference(s).map(|n| vec![n.to_owned()]).unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(references).collect(),
        Value::Object(o) => o.values().flat_map(references).collect(),
        _ => Vec::new(),
    }
}
