//! Tags on what amipub creates: the operator's (`[tags]` in amipub.toml, such as
//! `FedoraGroup = "cloud"`) and amipub's provenance tags, which say where a copy came from
//! (`amipub:compose-id`, `amipub:source-ami`, `amipub:source-owner`). The limits are EC2's
//! (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions>):
//! at most 50 tags per resource, keys of 1–128 and values of at most 256 characters, no key
//! starting with `aws:`.

use std::collections::BTreeMap;

use crate::release::Release;
use crate::spec::path::FieldPath;
use crate::validate::Findings;

/// The tag naming the release a resource was made for.
pub const RELEASE_TAG: &str = "amipub:release";
/// The tag naming the product (its slug).
pub const PRODUCT_TAG: &str = "amipub:product";
/// The tag naming the build's compose.
pub const COMPOSE_TAG: &str = "amipub:compose-id";
/// The tag naming the source AMI.
pub const SOURCE_AMI_TAG: &str = "amipub:source-ami";
/// The tag naming the account that owns the source AMI.
pub const SOURCE_OWNER_TAG: &str = "amipub:source-owner";
/// The most configured tags: EC2 takes 50 per resource, and amipub adds up to 5 of its own.
pub const MAX_CONFIGURED: usize = 40;

/// The provenance tags of a release's copies.
pub fn provenance(r: &Release) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    t.insert(SOURCE_AMI_TAG.to_owned(), r.source_ami.clone());
    if let Some(owner) = &r.source_owner {
        t.insert(SOURCE_OWNER_TAG.to_owned(), owner.clone());
    }
    if let Some(c) = r.vars.get("compose_id") {
        t.insert(COMPOSE_TAG.to_owned(), c.clone());
    }
    t
}

/// The tags of a release's copies: the configured ones, then amipub's (which win on a clash).
pub fn of_copy(configured: &BTreeMap<String, String>, r: &Release) -> BTreeMap<String, String> {
    let mut t = configured.clone();
    t.extend(provenance(r));
    t
}

/// What a release's seller-side copy should hold, as `verify` and `apply --tags` judge it: the
/// tags of its copies and the product (which the copy is found by).
pub fn of_mirror(configured: &BTreeMap<String, String>, r: &Release) -> BTreeMap<String, String> {
    let mut t = of_copy(configured, r);
    t.insert(PRODUCT_TAG.to_owned(), r.product.clone());
    t
}

/// The tags of a product's SSM parameters: the configured ones and the product (aliases move
/// between releases, so no release's provenance).
pub fn of_parameter(
    configured: &BTreeMap<String, String>,
    product: &str,
) -> BTreeMap<String, String> {
    let mut t = configured.clone();
    t.insert(PRODUCT_TAG.to_owned(), product.to_owned());
    t
}

/// The tags of a release's versioned SSM parameter, which only that release ever writes: a
/// parameter's, with the release (`amipub:release`) and its provenance.
pub fn of_versioned_parameter(
    configured: &BTreeMap<String, String>,
    r: &Release,
) -> BTreeMap<String, String> {
    let mut t = of_parameter(configured, &r.product);
    t.extend(provenance(r));
    t.insert(RELEASE_TAG.to_owned(), r.id.to_string());
    t
}

/// Which of `wanted` a resource's `held` tags lack or hold another value for, by key.
pub fn missing<'a>(
    wanted: &'a BTreeMap<String, String>,
    held: &BTreeMap<String, String>,
) -> Vec<&'a str> {
    wanted
        .iter()
        .filter(|(k, v)| held.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// Checks `[tags]` against EC2's limits.
pub fn check(f: &mut Findings, p: &FieldPath, tags: &BTreeMap<String, String>) {
    if tags.len() > MAX_CONFIGURED {
        f.error(
            p,
            "settings.tags.count",
            format!("{} tags", tags.len()),
            format!("at most {MAX_CONFIGURED} (EC2 takes 50 per resource; amipub adds its own)"),
            "drop some",
        );
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (k, v) in tags {
        let bad_key = k.is_empty()
            || k.chars().count() > 128
            || !k.chars().all(allowed)
            || k.to_ascii_lowercase().starts_with("aws:")
            || k.starts_with("amipub:");
        if bad_key {
            f.error(
                &p.key(k),
                "settings.tags.key",
                format!("{k:?} cannot be a tag key"),
                "1–128 letters, digits, spaces and _ . : / = + - @, not starting with aws: or amipub:",
                "rename the tag",
            );
        }
        if v.chars().count() > 256 || !v.chars().all(allowed) {
            f.error(
                &p.key(k),
                "settings.tags.value",
                format!("the value of {k} ({v:?}) cannot be a tag value"),
                "at most 256 letters, digits, spaces and _ . : / = + - @",
                "write it with those characters only",
            );
        }
        // IAM compares tag keys without case.
        if let Some(other) = seen.insert(k.to_lowercase(), k) {
            f.error(
                &p.key(k),
                "settings.tags.key",
                format!("{k:?} and {other:?} differ only in case"),
                "keys that differ in more than case (IAM does not tell them apart)",
                "keep one of them",
            );
        }
    }
}

/// The characters the AWS services amipub tags (EC2, SSM, IAM, SQS, the Marketplace Catalog)
/// all take in keys and values: letters, digits, spaces and `_ . : / = + - @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_carry_configured_and_provenance_tags_and_lacks_are_named() {
        let mut r = Release::new(
            "r-000000000001",
            "p",
            "1",
            "us-east-1",
            "ami-0123456789abcdef0",
            vec!["125523088429".into()],
            "x86_64",
            vec!["us-east-1".into()],
            0,
        );
        r.source_owner = Some("125523088429".into());
        r.vars
            .insert("compose_id".into(), "Fedora-41-20241027.0".into());
        let configured = BTreeMap::from([("FedoraGroup".to_owned(), "cloud".to_owned())]);
        let t = of_copy(&configured, &r);
        assert_eq!(t["FedoraGroup"], "cloud");
        assert_eq!(t[SOURCE_AMI_TAG], "ami-0123456789abcdef0");
        assert_eq!(t[SOURCE_OWNER_TAG], "125523088429");
        assert_eq!(t[COMPOSE_TAG], "Fedora-41-20241027.0");
        let mut held = t.clone();
        held.remove("FedoraGroup");
        held.insert(SOURCE_AMI_TAG.into(), "ami-other".into());
        assert_eq!(missing(&t, &held), ["FedoraGroup", SOURCE_AMI_TAG]);
        assert!(missing(&t, &t).is_empty());
        // Parameters: an alias names the product only, the versioned one its release too.
        let alias = of_parameter(&configured, "p");
        assert_eq!(alias.len(), 2, "{alias:?}");
        let versioned = of_versioned_parameter(&configured, &r);
        assert_eq!(versioned[RELEASE_TAG], "r-000000000001");
        assert_eq!(versioned[COMPOSE_TAG], "Fedora-41-20241027.0");
        assert_eq!(versioned[PRODUCT_TAG], "p");
    }

    #[test]
    fn tags_the_services_would_refuse_are_named() {
        let bad = |pairs: &[(&str, &str)]| {
            let tags: BTreeMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            let mut f = Findings::default();
            check(&mut f, &FieldPath::root().key("tags"), &tags);
            f.into_problems("").len()
        };
        assert_eq!(
            bad(&[("FedoraGroup", "cloud"), ("Owner", "releng@fedora")]),
            0
        );
        assert_eq!(bad(&[("Team", "releng (fedora)")]), 1);
        assert_eq!(bad(&[("aws:x", "1")]), 1);
        assert_eq!(bad(&[("Team", "a"), ("team", "b")]), 1);
        assert_eq!(bad(&[("amipub:release", "x")]), 1);
    }
}
