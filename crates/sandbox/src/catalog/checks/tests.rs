//! The validator driver's own tests: rules report in table order, a version without its one
//! option stops early, instance types follow the sandbox's rule, and change types without rules
//! report nothing.

use serde_json::{Value, json};

use super::validate;
use crate::config::SandboxConfig;
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

fn change(entity_type: &str, change_type: &str, details: Value) -> Change {
    Change {
        change_type: change_type.into(),
        change_name: None,
        entity_type: entity_type.into(),
        identifier: None,
        entity_id: Some("prod-abcdefghijklm".into()),
        revision: None,
        details,
        entity_tags: Default::default(),
        errors: Vec::new(),
    }
}

/// The error codes of each change after validation.
fn codes(changes: Vec<Change>) -> Vec<Vec<String>> {
    let world = World::new(SandboxConfig::default());
    let mut cs = ChangeSet {
        id: "cs".into(),
        account: "111122223333".into(),
        name: "n".into(),
        intent: "APPLY".into(),
        status: "PREPARING".into(),
        started: 0.0,
        next_at: 0.0,
        ended: None,
        failure_code: None,
        failure_description: None,
        changes,
        locked: Vec::new(),
        tags: Default::default(),
    };
    validate(&world, &mut cs);
    cs.changes
        .iter()
        .map(|c| c.errors.iter().map(|(code, _)| code.clone()).collect())
        .collect()
}

#[test]
fn rules_report_in_table_order() {
    let dims = json!([
        {"Key": "m5.large", "Types": ["Metered"], "Unit": "Hrs"},
        {"Key": "m5.large", "Types": ["Sold"], "Unit": "Days"}
    ]);
    assert_eq!(
        codes(vec![change("AmiProduct@1.0", "AddDimensions", dims)]),
        [["INVALID_DIMENSION", "IINVALID_TYPE", "INVALID_UNIT"]]
    );
    assert_eq!(
        codes(vec![change("AmiProduct@1.0", "AddDimensions", json!([]))]),
        [["MISSING_DATA"]]
    );
}

#[test]
fn a_version_without_exactly_one_option_stops_there() {
    let details = json!({"Version": {"VersionTitle": "", "ReleaseNotes": ""}});
    assert_eq!(
        codes(vec![change(
            "AmiProduct@1.0",
            "AddDeliveryOptions",
            details
        )]),
        [[
            "INVALID_VERSION_TITLE",
            "INVALID_RELEASE_NOTES",
            "INVALID_INPUT"
        ]]
    );
}

#[test]
fn instance_types_are_judged_by_the_sandbox_rule() {
    let types = json!({"InstanceTypes": ["m5.large", "M5.large"]});
    assert_eq!(
        codes(vec![change("AmiProduct@1.0", "AddInstanceTypes", types)]),
        [["INVALID_INSTANCE_TYPES"]]
    );
    let types = json!({"InstanceTypes": ["m5.large", "c7gn.16xlarge"]});
    assert_eq!(
        codes(vec![change(
            "AmiProduct@1.0",
            "RestrictInstanceTypes",
            types
        )]),
        [Vec::<String>::new()]
    );
}

#[test]
fn unknown_entity_and_change_types_have_no_rules() {
    assert_eq!(
        codes(vec![
            change("SaaSProduct@1.0", "UpdateInformation", json!({})),
            change("Offer@1.0", "Frobnicate", json!({})),
            change("Offer@1.0", "UpdateAvailability", json!({})),
        ]),
        [
            vec![],
            vec![],
            vec!["INVALID_AVAILABILITY_END_DATE".to_owned()]
        ]
    );
}
