//! Every built-in world passes the sandbox's own rules: a client that reads a seeded name back
//! and sends it again (a change-set name in a ListChangeSets filter or a new StartChangeSet, a
//! public parameter name in GetParameter) must not be refused by the sandbox that handed it out.
//! The rules are StartChangeSet's `ChangeSetName` pattern
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>) and
//! GetParameter's reading of a parameter name
//! (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html>).

use serde_json::json;

use super::{GOVCLOUD_SELLER_ACCOUNT, SELLER_ACCOUNT, WORLDS, seed};
use crate::catalog::start::change_set_name_ok;
use crate::config::SandboxConfig;
use crate::ec2::Ctx;
use crate::world::World;

fn world(name: &str) -> World {
    let mut world = World::new(SandboxConfig::default());
    assert!(seed(&mut world, name).is_ok(), "world {name}");
    world
}

/// A request context of the seller in `region` (its GovCloud account in GovCloud Regions).
fn seller(region: &str) -> Ctx {
    let account = if region.starts_with("us-gov-") {
        GOVCLOUD_SELLER_ACCOUNT
    } else {
        SELLER_ACCOUNT
    };
    Ctx::root_of(account, region)
}

#[test]
fn seeded_change_set_names_are_valid_names() {
    for name in WORLDS {
        for cs in world(name).catalog.change_sets.values() {
            assert!(
                change_set_name_ok(&cs.name),
                "world {name}: change set {} is named {:?}",
                cs.id,
                cs.name
            );
        }
    }
}

#[test]
fn seeded_public_parameters_are_readable_by_name() {
    for name in WORLDS {
        let mut w = world(name);
        let params: Vec<(String, String)> = w
            .ssm
            .parameters
            .values()
            .map(|p| (p.region.clone(), p.name.clone()))
            .collect();
        for (region, param) in params {
            let got = crate::ssm::handle(
                &mut w,
                &seller(&region),
                "GetParameter",
                &json!({ "Name": param }),
            );
            assert!(
                got.is_ok(),
                "world {name}: {param} in {region}: {:?}",
                got.err()
            );
        }
    }
}

#[test]
fn seeded_entities_name_their_revision() {
    for name in WORLDS {
        let w = world(name);
        for cs in w.catalog.change_sets.values() {
            for c in &cs.changes {
                let entity = c.entity_id.as_deref().unwrap_or("");
                let revision = w.catalog.entities.get(entity).map(|e| e.revision);
                assert_eq!(c.revision, revision, "world {name}: {entity}");
            }
        }
    }
}
