//! The asynchronous part of a change set: new entity ids, the per-change validators that fill
//! `ErrorDetailList` and the security scan's verdict.
//!
//! Validation is table-driven: each entity type has a table of (change type, rule) pairs and a
//! short driver runs, in table order, the rules whose change type matches. A rule reads one
//! change (with the world and the rest of its change set for context) and pushes the errors AWS
//! documents for it, as the `ErrorDetailList` of DescribeChangeSet
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeChangeSet.html>).
//! The rules live by concept: product information (`information`), new versions and their AMI
//! ingestion (`delivery`), the other product changes (`product`), offers (`offer`), and the
//! reading of instance type names (`instance_type`).

mod delivery;
mod information;
mod instance_type;
mod offer;
mod product;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

/// Gives each Create change its new entity id (revision 1) and resolves `$Name.Entity.Identifier`
/// targets and document values to it. StartChangeSet calls it, so DescribeChangeSet shows the
/// resolved `prod-…@1` / `offer-…@1` identifiers
/// (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeChangeSet.html>);
/// ids already given are kept, so calling it again changes nothing.
pub fn assign_new_ids(world: &mut World, cs: &mut ChangeSet) {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for c in cs
        .changes
        .iter_mut()
        .filter(|c| c.change_type.starts_with("Create"))
    {
        let id = match &c.entity_id {
            Some(id) => id.clone(),
            None if c.entity_type == "Offer@1.0" => format!("offer-{}", world.ids.alnum(13)),
            None => format!("prod-{}", world.ids.alnum(13)),
        };
        c.entity_id = Some(id.clone());
        c.revision.get_or_insert(1);
        if let Some(n) = &c.change_name {
            names.insert(n.clone(), id);
        }
    }
    for c in cs.changes.iter_mut() {
        if let Some(r) = c
            .identifier
            .as_deref()
            .and_then(|i| i.strip_prefix('$'))
            .and_then(|i| i.strip_suffix(".Entity.Identifier"))
        {
            c.entity_id = names.get(r).cloned();
            c.revision.get_or_insert(1);
        }
        resolve(&mut c.details, &names);
    }
}

fn resolve(v: &mut Value, names: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s
                .strip_prefix('$')
                .and_then(|x| x.strip_suffix(".Entity.Identifier"))
                .and_then(|n| names.get(n))
            {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| resolve(x, names)),
        _ => {}
    }
}

/// What a product will look like if this change set applies: its current document plus the
/// relevant changes of the set.
#[derive(Debug, Default)]
pub(super) struct Projected {
    pub(super) visibility: String,
    pub(super) instance_types: BTreeSet<String>,
    pub(super) titles: BTreeSet<String>,
    pub(super) delivery_ids: BTreeMap<String, bool>,
    pub(super) dimensions: BTreeSet<String>,
    pub(super) has_description: bool,
    pub(super) adds_version: bool,
}

/// Projects `product` (an entity id) through the changes of `cs` that target it.
pub(super) fn project(world: &World, cs: &ChangeSet, product: &str) -> Projected {
    let mut p = Projected {
        visibility: "Draft".into(),
        ..Default::default()
    };
    if let Some(e) = world.catalog.entities.get(product) {
        p.read_document(&e.doc);
    }
    for c in cs
        .changes
        .iter()
        .filter(|c| c.entity_id.as_deref() == Some(product))
    {
        p.add_change(c);
    }
    p
}

impl Projected {
    /// Takes what the product's current DescribeEntity document says.
    fn read_document(&mut self, d: &Value) {
        self.visibility = d["Description"]["Visibility"]
            .as_str()
            .unwrap_or("Draft")
            .to_owned();
        self.instance_types = strings(&d["Compatibility"]["AvailableInstanceTypes"])
            .into_iter()
            .collect();
        for v in d["Versions"].as_array().into_iter().flatten() {
            self.titles
                .insert(v["VersionTitle"].as_str().unwrap_or("").to_owned());
            for o in v["DeliveryOptions"].as_array().into_iter().flatten() {
                self.delivery_ids.insert(
                    o["Id"].as_str().unwrap_or("").to_owned(),
                    o["Visibility"] != "Restricted",
                );
            }
        }
        self.dimensions = dimension_keys(&d["Dimensions"]).collect();
        self.has_description = d["Description"]["ShortDescription"].is_string();
    }

    /// Adds what one change of the set would bring.
    fn add_change(&mut self, c: &Change) {
        match c.change_type.as_str() {
            "AddInstanceTypes" => self
                .instance_types
                .extend(strings(&c.details["InstanceTypes"])),
            "AddDimensions" => self.dimensions.extend(dimension_keys(&c.details)),
            "UpdateInformation" => {
                self.has_description |= c.details["ShortDescription"].is_string()
            }
            "AddDeliveryOptions" => self.adds_version = true,
            _ => {}
        }
    }
}

fn dimension_keys(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["Key"].as_str().map(str::to_owned))
}

pub(super) use crate::protocol::json::strings;

/// The length in characters of a JSON string (0 for anything else).
pub(super) fn len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// The errors of one change, in the order the rules find them.
#[derive(Debug, Default)]
pub(super) struct Errors(Vec<(String, String)>);

impl Errors {
    /// Records an error `code` with its message.
    pub(super) fn push(&mut self, code: &str, message: impl Into<String>) {
        self.0.push((code.to_owned(), message.into()));
    }
}

/// What a rule sees: the world, the change set as submitted and the change it judges.
pub(super) struct Ctx<'a> {
    pub(super) world: &'a World,
    pub(super) cs: &'a ChangeSet,
    pub(super) change: &'a Change,
    /// The change's resolved entity id, or empty when it has none.
    pub(super) entity: String,
}

impl Ctx<'_> {
    /// The change's DetailsDocument.
    pub(super) fn details(&self) -> &Value {
        &self.change.details
    }

    /// The change's product as it will be if the set applies.
    pub(super) fn project(&self) -> Projected {
        project(self.world, self.cs, &self.entity)
    }
}

/// One validator: reads the change in `Ctx` and records its errors.
pub(super) type Rule = fn(&Ctx, &mut Errors);

/// Rules by entity type; within a table, the rules of one change type run in table order.
const TABLES: &[(&str, &[(&str, Rule)])] = &[
    ("AmiProduct@1.0", product::RULES),
    ("Offer@1.0", offer::RULES),
];

/// Runs the validators, filling each change's errors.
pub fn validate(world: &World, cs: &mut ChangeSet) {
    let snapshot = cs.clone();
    for (c, submitted) in cs.changes.iter_mut().zip(&snapshot.changes) {
        let ctx = Ctx {
            world,
            cs: &snapshot,
            change: submitted,
            entity: submitted.entity_id.clone().unwrap_or_default(),
        };
        let mut errs = Errors::default();
        for (_, rules) in TABLES.iter().filter(|(t, _)| *t == submitted.entity_type) {
            for (_, rule) in rules.iter().filter(|(t, _)| *t == submitted.change_type) {
                rule(&ctx, &mut errs);
            }
        }
        c.errors.extend(errs.0);
    }
}

/// The security scan: `Some(report URL)` when a submitted AMI fails.
pub fn scan(world: &World, cs: &ChangeSet) -> Option<String> {
    cs.changes
        .iter()
        .filter(|c| c.change_type == "AddDeliveryOptions")
        .find_map(|c| {
            let o = &c.details["DeliveryOptions"][0];
            let inner = if o["Details"].is_object() {
                &o["Details"]
            } else {
                &o["DetailsDocument"]
            };
            let ami = inner["AmiDeliveryOptionDetails"]["AmiSource"]["AmiId"]
                .as_str()
                .unwrap_or("");
            let verdict = world
                .catalog
                .scan_overrides
                .get(ami)
                .unwrap_or(&world.config.scan_verdict);
            (verdict == "fail").then(|| {
                format!(
                    "https://scan-reports.sandbox.amipub.invalid/{}/{ami}.json",
                    cs.id
                )
            })
        })
}

#[cfg(test)]
mod tests;
