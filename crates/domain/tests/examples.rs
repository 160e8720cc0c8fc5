//! The example product specs and configuration validate cleanly and plan within the limits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::changeset::plan::plan_create;
use amipub_domain::validate::{Severity, validate_text};

fn example(name: &str) -> String {
    let path = format!(
        "{}/../../examples/products/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_example_validates_without_errors() {
    for name in [
        "fedora-cloud-base.toml",
        "nginx-free.toml",
        "metered-appliance.toml",
    ] {
        let (spec, problems) = validate_text(&example(name));
        let errors: Vec<_> = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert!(spec.is_some());
    }
}

#[test]
fn fedora_covers_every_region_and_govcloud() {
    let (spec, _) = validate_text(&example("fedora-cloud-base.toml"));
    let regions = spec.unwrap().region_codes();
    assert!(regions.len() >= 22, "{}", regions.len());
    assert!(regions.iter().any(|r| r == "us-gov-west-1"));
}

#[test]
fn creation_plans_fit_in_one_change_set() {
    for name in [
        "fedora-cloud-base.toml",
        "nginx-free.toml",
        "metered-appliance.toml",
    ] {
        let (spec, _) = validate_text(&example(name));
        let plan = plan_create(&spec.unwrap(), None).unwrap();
        assert_eq!(plan.change_sets.len(), 1, "{name}");
        assert!(plan.change_sets[0].changes.len() <= 20);
    }
}
