//! The planner: which change sets creating a product, or adding a version to it, submits.
//!
//! A new product is created in one change set in the order of the official sample
//! (<https://docs.aws.amazon.com/code-library/latest/ug/marketplace-catalog_example_marketplace-catalog_CreateLimitedAmiProductAndPublicOfferWithHourlyPricing_section.html>):
//! product, listing, Regions, instance types, first version, dimensions, allowlist, release; then
//! the public offer with pricing, legal and support terms, countries and release. Without a first
//! version the product stays a Draft, because `ReleaseProduct` requires a version (its
//! `VALIDATION_FAILED` error,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>).
//!
//! Names and tokens are derived from the content, so planning twice gives the same
//! `ClientRequestToken` and a resubmission is recognised as the same request.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::product::{self, VersionInput};
use super::{Change, ChangeSet, offer, split_changes};
use crate::limits::{CHANGE_SET_NAME_MAX_CHARS, CHANGES_PER_CHANGE_SET_MAX};
use crate::spec::ProductSpec;
use crate::template::{self, TemplateError};

/// `ChangeName` of the CreateProduct change in a creation set.
pub const CREATE_PRODUCT_CHANGE: &str = "CreateProductChange";
/// `ChangeName` of the CreateOffer change in a creation set.
pub const CREATE_OFFER_CHANGE: &str = "CreateOfferChange";

/// The change sets to submit, in order, with notes for the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// In submission order.
    pub change_sets: Vec<ChangeSet>,
    /// Things the reader should know (what is deferred and why).
    pub notes: Vec<String>,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Changes that must stay together exceed the 20-change limit.
    #[error(
        "the changes that must go together number more than {CHANGES_PER_CHANGE_SET_MAX}, the limit of one change set"
    )]
    TooManyChanges,
    /// A version was planned for a product without an id.
    #[error(
        "product.id is not set: create the product first (amipub plan without --ami shows how)"
    )]
    NoProductId,
}

/// The change sets that create the product described by `spec`, with its first version when
/// given.
pub fn plan_create(
    spec: &ProductSpec,
    first_version: Option<&VersionInput>,
) -> Result<Plan, PlanError> {
    let product_ref = format!("${CREATE_PRODUCT_CHANGE}.Entity.Identifier");
    let offer_ref = format!("${CREATE_OFFER_CHANGE}.Entity.Identifier");
    let p = product_ref.as_str();
    let o = offer_ref.as_str();

    let mut changes = vec![
        product::create_product(spec, CREATE_PRODUCT_CHANGE),
        product::update_information(spec, p),
    ];
    changes.extend(product::add_regions(&spec.region_codes(), p));
    changes.push(product::future_region_support(&spec.regions.future, p));
    changes.push(product::add_instance_types(
        &spec.instance_types.available,
        p,
    ));
    if let Some(v) = first_version {
        changes.push(product::add_delivery_options(
            &spec.delivery,
            &spec.instance_types.recommended,
            v,
            p,
        ));
    }
    changes.extend(product::add_dimensions(spec, p));
    if !spec.allowlist.buyer_accounts.is_empty() {
        changes.push(product::update_targeting(&spec.allowlist.buyer_accounts, p));
    }
    if first_version.is_some() {
        changes.push(product::release_product(p));
    }
    changes.push(offer::create_offer(spec, p, CREATE_OFFER_CHANGE));
    changes.push(offer::update_information(spec, o));
    changes.push(offer::update_pricing_terms(spec, o));
    changes.push(offer::update_legal_terms(spec, o));
    changes.push(offer::update_support_terms(spec, o));
    changes.extend(offer::update_country_targeting(spec, o));
    if first_version.is_some() {
        changes.push(offer::release_offer(o));
    }
    if changes.len() > CHANGES_PER_CHANGE_SET_MAX {
        // Every change references the new product or offer, so they cannot be split.
        return Err(PlanError::TooManyChanges);
    }

    let mut notes = Vec::new();
    let purpose = match first_version {
        Some(v) => format!(
            "create {} with version {} and release it to Limited",
            spec.product.slug, v.title
        ),
        None => {
            notes.push(
                "The product stays a Draft: Marketplace releases a product to Limited only together with its first version. Add --ami and --version to plan both at once."
                    .to_owned(),
            );
            format!("create {} as a Draft", spec.product.slug)
        }
    };
    notes.push(
        "Going from Limited to Public is a separate UpdateVisibility request, reviewed by AWS."
            .to_owned(),
    );
    let name = change_set_name(&format!("amipub create {}", spec.product.slug));
    Ok(Plan {
        change_sets: vec![ChangeSet {
            token: token(&name, &changes),
            name,
            purpose,
            changes,
        }],
        notes,
    })
}

/// The change set that adds a version to an existing product, restricting the delivery options
/// the retention policy retires in the same change set.
pub fn plan_add_version(
    spec: &ProductSpec,
    v: &VersionInput,
    restrict: &[String],
) -> Result<Plan, PlanError> {
    let id = spec.product.id.as_deref().ok_or(PlanError::NoProductId)?;
    let mut changes = vec![product::add_delivery_options(
        &spec.delivery,
        &spec.instance_types.recommended,
        v,
        id,
    )];
    changes.extend(product::restrict_delivery_options(restrict, id));
    let groups = split_changes(changes).ok_or(PlanError::TooManyChanges)?;
    Ok(Plan {
        change_sets: numbered(
            groups,
            &format!("amipub {} version {}", spec.product.slug, v.title),
            &format!("add version {} of {}", v.title, spec.product.slug),
            "",
        ),
        notes: Vec::new(),
    })
}

/// Change sets from groups of changes: named `base` (`base part N` when there are several), each
/// with a token derived from its name, `salt` (what else the request depends on; may be empty)
/// and its changes.
pub fn numbered(groups: Vec<Vec<Change>>, base: &str, purpose: &str, salt: &str) -> Vec<ChangeSet> {
    let total = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, changes)| {
            let name = change_set_name(&if total > 1 {
                format!("{base} part {}", i + 1)
            } else {
                base.to_owned()
            });
            let seed = if salt.is_empty() {
                name.clone()
            } else {
                format!("{name} {salt}")
            };
            ChangeSet {
                token: token(&seed, &changes),
                purpose: purpose.to_owned(),
                name,
                changes,
            }
        })
        .collect()
}

/// Renders a version's title (unless one is given) and release notes from the spec's templates.
pub fn render_version(
    spec: &ProductSpec,
    vars: &BTreeMap<&'static str, String>,
    explicit_title: Option<&str>,
) -> Result<(String, String), TemplateError> {
    let title = match explicit_title {
        Some(t) => t.to_owned(),
        None => template::render(&spec.versions.title_template, vars)?,
    };
    let mut with_version = vars.clone();
    with_version.insert("version", title.clone());
    let notes = template::render(&spec.versions.release_notes_template, &with_version)?;
    Ok((title, notes))
}

/// A `ChangeSetName`: only `[\w\s+=.:@-]`, at most 100 characters.
pub fn change_set_name(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=.:@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(CHANGE_SET_NAME_MAX_CHARS)
        .collect()
}

/// A deterministic `ClientRequestToken` (≤64 printable ASCII): the hash of the name and changes.
pub fn token(name: &str, changes: &[Change]) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(serde_json::to_vec(changes).unwrap_or_default());
    let digest = h.finalize();
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("amipub-{hex}")
}

/// Checks a rendered version against the AddDeliveryOptions limits before it is planned:
/// templates are validated with a typical build, but a real build (or `--version`) can still
/// produce a title that is too long. The limits:
/// <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>.
pub fn check_version(v: &VersionInput) -> Vec<crate::validate::Problem> {
    use crate::limits::{RELEASE_NOTES_MAX_CHARS, VERSION_TITLE_MAX_CHARS};
    use crate::spec::path::FieldPath;
    use crate::validate::{Findings, TextRule, text};
    let mut f = Findings::default();
    let root = FieldPath::root();
    text(
        &mut f,
        &root.key("version_title"),
        &v.title,
        TextRule {
            min: 1,
            max: VERSION_TITLE_MAX_CHARS,
        },
    );
    text(
        &mut f,
        &root.key("release_notes"),
        &v.release_notes,
        TextRule {
            min: 1,
            max: RELEASE_NOTES_MAX_CHARS,
        },
    );
    f.into_unplaced()
}
