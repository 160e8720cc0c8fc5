//! Marketplace Catalog change sets: the envelope (`Change`, `StartChangeSetRequest`), the
//! DetailsDocument of every change type amipub submits (`product`, `offer`), and the planner
//! that turns a product spec into the change sets that create it or add a version (`plan`).
//!
//! Field names follow the developer guide exactly, and `tests` below pins each document against
//! them:
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>.

pub mod events;
pub mod offer;
pub mod plan;
pub mod product;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::limits::CHANGES_PER_CHANGE_SET_MAX;

/// The only catalog the API knows.
pub const CATALOG: &str = "AWSMarketplace";
/// Entity type of AMI products.
pub const AMI_PRODUCT: &str = "AmiProduct@1.0";
/// Entity type of offers.
pub const OFFER: &str = "Offer@1.0";

/// The entity a change applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entity {
    /// `AmiProduct@1.0` or `Offer@1.0`.
    #[serde(rename = "Type")]
    pub entity_type: String,
    /// The entity id, or a `$ChangeName.Entity.Identifier` reference; absent for creations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

/// One change of a change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    /// The change type, e.g. `AddDeliveryOptions`.
    pub change_type: String,
    /// A label other changes of the same set can reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_name: Option<String>,
    /// The target.
    pub entity: Entity,
    /// The change's document (native JSON, not the legacy `Details` string).
    pub details_document: Value,
    /// Tags for the entity a creation makes (`EntityTags`); none on other changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_tags: Vec<Tag>,
}

/// One tag of a change's `EntityTags`
/// (<https://docs.aws.amazon.com/marketplace-catalog/latest/api-reference/API_Tag.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl Change {
    /// A change on an existing (or same-set) entity.
    pub fn new(change_type: &str, entity_type: &str, identifier: Option<&str>, doc: Value) -> Self {
        Self {
            change_type: change_type.to_owned(),
            change_name: None,
            entity: Entity {
                entity_type: entity_type.to_owned(),
                identifier: identifier.map(str::to_owned),
            },
            details_document: doc,
            entity_tags: Vec::new(),
        }
    }

    /// The same change tagging the entity it creates with `tags`.
    pub fn tagged(mut self, tags: &[(&str, &str)]) -> Self {
        self.entity_tags = tags
            .iter()
            .map(|(k, v)| Tag {
                key: (*k).to_owned(),
                value: (*v).to_owned(),
            })
            .collect();
        self
    }

    /// The same change with a `ChangeName`.
    pub fn named(mut self, name: &str) -> Self {
        self.change_name = Some(name.to_owned());
        self
    }
}

/// A change set ready to submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// `ChangeSetName`.
    pub name: String,
    /// `ClientRequestToken`: the same plan always yields the same token, so a resubmission is
    /// recognised by Marketplace instead of creating a second change set.
    pub token: String,
    /// What it does, for people.
    pub purpose: String,
    /// The changes, 1–20.
    pub changes: Vec<Change>,
}

/// The body of `StartChangeSet`, as the AWS CLI takes it with `--cli-input-json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartChangeSetRequest<'a> {
    /// Always `AWSMarketplace`.
    pub catalog: &'static str,
    /// The changes.
    pub change_set: &'a [Change],
    /// `ChangeSetName`.
    pub change_set_name: &'a str,
    /// `ClientRequestToken`.
    pub client_request_token: &'a str,
}

impl ChangeSet {
    /// The delivery options its RestrictDeliveryOptions changes restrict.
    pub fn restricted_options(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.change_type == "RestrictDeliveryOptions")
            .flat_map(|c| {
                c.details_document["DeliveryOptionIds"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    /// The StartChangeSet request body.
    pub fn request(&self) -> StartChangeSetRequest<'_> {
        StartChangeSetRequest {
            catalog: CATALOG,
            change_set: &self.changes,
            change_set_name: &self.name,
            client_request_token: &self.token,
        }
    }
}

/// Splits changes into groups of at most 20, keeping every change that references a
/// `$Name.Entity.Identifier` in the same group as the change named `Name`. Returns `None` when
/// such a group would itself exceed 20 changes.
pub fn split_changes(changes: Vec<Change>) -> Option<Vec<Vec<Change>>> {
    let mut groups: Vec<Vec<Change>> = Vec::new();
    let mut current: Vec<Change> = Vec::new();
    for change in changes {
        let needs_current = references(&change).iter().any(|r| {
            current
                .iter()
                .any(|c| c.change_name.as_deref() == Some(r.as_str()))
        });
        if current.len() == CHANGES_PER_CHANGE_SET_MAX {
            if needs_current {
                return None;
            }
            groups.push(std::mem::take(&mut current));
        }
        current.push(change);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    Some(groups)
}

/// The change names a change refers to through `$Name.Entity.Identifier`.
pub fn references(change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    let mut scan = |s: &str| {
        if let Some(rest) = s.strip_prefix('$')
            && let Some((name, _)) = rest.split_once('.')
        {
            out.push(name.to_owned());
        }
    };
    if let Some(id) = &change.entity.identifier {
        scan(id);
    }
    walk_strings(&change.details_document, &mut scan);
    out
}

fn walk_strings(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f)),
        Value::Object(o) => o.values().for_each(|x| walk_strings(x, f)),
        _ => {}
    }
}

/// Serialises a document struct; plain data structs cannot fail to serialise.
pub(crate) fn doc<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
