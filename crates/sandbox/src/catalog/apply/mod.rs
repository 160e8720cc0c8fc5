//! Applying a succeeded change set: each change edits the DescribeEntity document of its entity
//! (input names mapped to the entity's names, as in the AWS-published `AmiProduct@1.0` and
//! `Offer@1.0` entity shapes,
//! <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>), every touched
//! entity gets a new revision, which the set's changes then name, and new versions are handed
//! to `publish`; a change's `EntityTags` go on its entity. `product` edits products, `version`
//! builds and updates versions, `offer` edits offers.

mod offer;
mod product;
mod version;

use std::collections::BTreeSet;

use serde_json::{Value, json};

pub(crate) use version::new_version;

use super::{publish, stamp};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet, Entity};

/// Applies every change of `cs` at virtual second `at`.
pub fn apply(world: &mut World, cs: &mut ChangeSet, at: f64) {
    let when = stamp(world, at);
    let mut touched = BTreeSet::new();
    for c in cs.changes.clone() {
        let Some(id) = c.entity_id.clone() else {
            continue;
        };
        touched.insert(id.clone());
        let doc = match c.change_type.as_str() {
            "CreateProduct" => Some(product::created(world, &c, &cs.account)),
            "CreateOffer" => Some(offer::created(&id, &c)),
            _ => None,
        };
        match doc {
            Some(doc) => create(world, &c, &cs.account, id.clone(), doc, &when),
            None => edit_entity(world, &c, &id, &when, at),
        }
        tag_entity(world, &c, &id);
    }
    for id in touched {
        if let Some(e) = world.catalog.entities.get_mut(&id) {
            e.revision += 1;
            e.last_modified = when.clone();
        }
    }
    for c in cs.changes.iter_mut() {
        if let Some(e) = c
            .entity_id
            .as_deref()
            .and_then(|id| world.catalog.entities.get(id))
        {
            c.revision = Some(e.revision);
        }
    }
}

/// Stores a newly created entity at revision 0 (the set's revision bump makes it 1).
fn create(world: &mut World, c: &Change, owner: &str, id: String, doc: Value, when: &str) {
    let kind = c.entity_type.trim_end_matches("@1.0").to_owned();
    world.catalog.entities.insert(
        id.clone(),
        Entity {
            id,
            kind,
            owner: owner.to_owned(),
            revision: 0,
            last_modified: when.to_owned(),
            doc,
        },
    );
}

/// The change's `EntityTags` on its entity, beside the tags it holds.
fn tag_entity(world: &mut World, c: &Change, id: &str) {
    let Some(arn) = world.catalog.entities.get(id).map(Entity::arn) else {
        return;
    };
    if !c.entity_tags.is_empty() {
        let held = world.catalog.tags.entry(arn).or_default();
        held.extend(c.entity_tags.clone());
    }
}

fn edit_entity(world: &mut World, c: &Change, id: &str, when: &str, at: f64) {
    let Some(mut entity) = world.catalog.entities.remove(id) else {
        return;
    };
    let published = match entity.kind.as_str() {
        "AmiProduct" => product::edit(world, &mut entity, c, when),
        "Offer" => {
            offer::edit(world, &mut entity.doc, c, when);
            None
        }
        _ => None,
    };
    let product = entity.clone();
    world.catalog.entities.insert(id.to_owned(), entity);
    if let Some(version) = published {
        publish::schedule(world, &product, &version, at);
    }
}

/// Appends the items of `items` that `list` does not hold yet.
fn push_unique(list: &mut Value, items: &[Value]) {
    if !list.is_array() {
        *list = json!([]);
    }
    if let Some(a) = list.as_array_mut() {
        for i in items {
            if !a.contains(i) {
                a.push(i.clone());
            }
        }
    }
}

/// Removes every item of `items` from `list`.
fn remove_all(list: &mut Value, items: &[Value]) {
    if let Some(a) = list.as_array_mut() {
        a.retain(|x| !items.contains(x));
    }
}

/// The items of a JSON array (none for anything else).
fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}
