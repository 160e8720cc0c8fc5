//! The entities a StartChangeSet request touches: each change's target (an existing entity of
//! the caller, at its latest revision, or a Create change of the same set named through
//! `$Name.Entity.Identifier`), the products CreateOffer names, the locks that other running
//! change sets hold, and the account's quota of open change sets. The rules are those of
//! StartChangeSet and its errors
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>) and of
//! "Working with change sets"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/welcome.html>).

use std::collections::{BTreeMap, BTreeSet};

use super::super::{not_found, validation};
use super::parse::{reference, references};
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::catalog::Change;

/// Most open change sets an account may have (AWS does not publish the number).
pub const MAX_OPEN_CHANGE_SETS: usize = 50;

/// Change name → change type, for the named changes of the set.
pub(super) type Names = BTreeMap<String, String>;

fn names_create(names: &Names, name: &str) -> bool {
    names.get(name).is_some_and(|t| t.starts_with("Create"))
}

fn access_denied(msg: String) -> AwsError {
    AwsError::new(403, "AccessDeniedException", msg)
}

/// Resolves each change's target, recording the existing entity's id and revision, and returns
/// the existing entities the set locks.
pub(super) fn resolve(
    world: &World,
    account: &str,
    changes: &mut [Change],
    names: &Names,
) -> AwsResult<BTreeSet<String>> {
    let mut locked = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for c in changes.iter_mut() {
        match c.identifier.clone() {
            None => {}
            Some(r)
                if r.starts_with('$') && !reference(&r).is_some_and(|n| names_create(names, n)) =>
            {
                return Err(validation(format!(
                    "Entity identifier '{r}' does not reference a Create change of this change set"
                )));
            }
            Some(r) if r.starts_with('$') => {}
            Some(id) => {
                existing(world, account, c, &id)?;
                locked.extend(c.entity_id.clone());
            }
        }
        let target = c
            .entity_id
            .clone()
            .or(c.identifier.clone())
            .unwrap_or_else(|| format!("new-{:?}", c.change_name));
        if !c.change_type.starts_with("Create")
            && !targets.insert((c.change_type.clone(), target.clone()))
        {
            return Err(validation(format!(
                "Change type {} appears more than once for entity {target}",
                c.change_type
            )));
        }
    }
    Ok(locked)
}

/// An existing entity named `id` (`entity` or `entity@revision`): the caller's, of the change's
/// type, at its latest revision.
fn existing(world: &World, account: &str, c: &mut Change, id: &str) -> AwsResult<()> {
    let (bare, rev) = match id.split_once('@') {
        Some((b, r)) => (b, Some(r)),
        None => (id, None),
    };
    let entity = world.catalog.entities.get(bare).ok_or_else(|| {
        not_found(format!(
            "Entity {bare} of type {} was not found",
            c.entity_type
        ))
    })?;
    if entity.owner != account {
        return Err(access_denied(format!(
            "User is not authorized to modify entity {bare}"
        )));
    }
    if entity.entity_type() != c.entity_type {
        return Err(validation(format!(
            "Entity {bare} is of type {}, not {}",
            entity.entity_type(),
            c.entity_type
        )));
    }
    if let Some(r) = rev
        && r != entity.revision.to_string()
    {
        return Err(validation(format!(
            "Entity {bare}@{r} is not the latest revision; the latest revision is {}",
            entity.revision
        )));
    }
    c.entity_id = Some(bare.to_owned());
    c.revision = Some(entity.revision);
    Ok(())
}

/// References inside documents (CreateOffer's `ProductId`, for example) name Create changes of
/// the set, and a `ProductId` that is an id names one of the caller's products.
pub(super) fn documents(
    world: &World,
    account: &str,
    changes: &[Change],
    names: &Names,
) -> AwsResult<()> {
    for c in changes {
        for r in references(&c.details) {
            if !names_create(names, &r) {
                return Err(validation(format!(
                    "'${r}.Entity.Identifier' does not reference a Create change of this change set"
                )));
            }
        }
        let Some(pid) = c.details["ProductId"]
            .as_str()
            .filter(|p| !p.starts_with('$'))
        else {
            continue;
        };
        match world.catalog.entities.get(pid) {
            None => return Err(not_found(format!("Product {pid} was not found"))),
            Some(e) if e.owner != account => {
                return Err(access_denied(format!(
                    "User is not authorized to make offers on {pid}"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Refuses a set that touches an entity another open change set locks (423 naming it), or an
/// account already at its quota of open change sets.
pub(super) fn available(world: &World, account: &str, locked: &BTreeSet<String>) -> AwsResult<()> {
    let holder = locked.iter().find_map(|e| {
        world
            .catalog
            .change_sets
            .values()
            .find(|cs| cs.open() && cs.locked.contains(e))
            .map(|cs| (e.clone(), cs.id.clone()))
    });
    if let Some((entity, holder)) = holder {
        return Err(AwsError::new(
            423,
            "ResourceInUseException",
            format!(
                "Requested change set has entities locked by change sets - entity: '{entity}' change sets: '{holder}'."
            ),
        ));
    }
    let open = world
        .catalog
        .change_sets
        .values()
        .filter(|c| c.account == account && c.open())
        .count();
    if open >= MAX_OPEN_CHANGE_SETS {
        return Err(AwsError::new(
            402,
            "ServiceQuotaExceededException",
            "The maximum number of open requests per account has been exceeded.",
        ));
    }
    Ok(())
}
