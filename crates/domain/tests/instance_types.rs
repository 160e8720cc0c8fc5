//! `[instance_types] all_current`: a spec that takes every current-generation type needs no
//! list of its own, and what it offers is EC2's current types less `exclude`, plus `available`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::validate::{has_errors, validate_text};

const BASE: &str = include_str!("corpus/base.toml");

#[test]
fn all_current_needs_no_list_and_resolves_against_ec2() {
    let text = BASE.replace(
        "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]",
        "all_current = true\nexclude = [\"c5.large\"]\navailable = [\"t2.micro\"]",
    );
    let (spec, problems) = validate_text(&text);
    assert!(!has_errors(&problems), "{problems:#?}");
    let it = spec.unwrap().instance_types;
    let current: Vec<String> = ["t3.micro", "c5.large", "m5.large", "t3.micro"]
        .map(String::from)
        .to_vec();
    assert_eq!(it.resolved(&current), ["m5.large", "t2.micro", "t3.micro"]);
    // Without all_current the list is the spec's alone.
    let (spec, _) = validate_text(BASE);
    let it = spec.unwrap().instance_types;
    assert_eq!(
        it.resolved(&current),
        ["m5.large", "t3.medium", "t3.micro", "t3.small"]
    );
    // An empty list is an error only without all_current.
    let empty = BASE.replace(
        "available = [\"t3.micro\", \"t3.small\", \"t3.medium\", \"m5.large\"]",
        "available = []",
    );
    assert!(has_errors(&validate_text(&empty).1));
}
