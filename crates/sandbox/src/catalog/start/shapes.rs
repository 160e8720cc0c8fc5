//! The synchronous shape of each change type: which change types each entity type has, the
//! top-level members of each DetailsDocument (and which are required), the nested members of
//! UpdateDeliveryOptions, and the pattern of a change-set name. A member a change type does not
//! document is refused with the "No additional properties are allowed" ValidationException.
//!
//! Sources: the change types of AMI products
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>)
//! and of offers
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>),
//! and the `ChangeSetName` constraint of StartChangeSet
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>).

use serde_json::Value;

use super::super::validation;
use crate::error::AwsResult;

/// (entity type, change type, allowed top-level keys, required keys). `None` for keys: the
/// document is an array.
type Shape = (
    &'static str,
    &'static str,
    Option<&'static [&'static str]>,
    &'static [&'static str],
);

const PRODUCT: &str = "AmiProduct@1.0";
const OFFER: &str = "Offer@1.0";

const PRODUCT_INFORMATION: &[&str] = &[
    "ProductTitle",
    "ShortDescription",
    "LongDescription",
    "Sku",
    "LogoUrl",
    "VideoUrls",
    "Highlights",
    "AdditionalResources",
    "SupportDescription",
    "Categories",
    "SearchKeywords",
    "AssociatedProducts",
];

const SHAPES: &[Shape] = &[
    (PRODUCT, "CreateProduct", Some(&["ProductTitle"]), &[]),
    (PRODUCT, "UpdateInformation", Some(PRODUCT_INFORMATION), &[]),
    (
        PRODUCT,
        "AddDeliveryOptions",
        Some(&["Version", "DeliveryOptions"]),
        &["Version", "DeliveryOptions"],
    ),
    (
        PRODUCT,
        "UpdateDeliveryOptions",
        Some(&["Version", "DeliveryOptions"]),
        &[],
    ),
    (
        PRODUCT,
        "RestrictDeliveryOptions",
        Some(&["DeliveryOptionIds"]),
        &["DeliveryOptionIds"],
    ),
    (PRODUCT, "AddRegions", Some(&["Regions"]), &["Regions"]),
    (PRODUCT, "RestrictRegions", Some(&["Regions"]), &["Regions"]),
    (
        PRODUCT,
        "UpdateFutureRegionSupport",
        Some(&["FutureRegionSupport"]),
        &["FutureRegionSupport"],
    ),
    (
        PRODUCT,
        "AddInstanceTypes",
        Some(&["InstanceTypes"]),
        &["InstanceTypes"],
    ),
    (
        PRODUCT,
        "RestrictInstanceTypes",
        Some(&["InstanceTypes"]),
        &["InstanceTypes"],
    ),
    (PRODUCT, "AddDimensions", None, &[]),
    (PRODUCT, "UpdateDimensions", None, &[]),
    (PRODUCT, "RestrictDimensions", None, &[]),
    (
        PRODUCT,
        "UpdateTargeting",
        Some(&["PositiveTargeting"]),
        &["PositiveTargeting"],
    ),
    (
        PRODUCT,
        "UpdateVisibility",
        Some(&["TargetVisibility", "ReplacementProductId"]),
        &["TargetVisibility"],
    ),
    (PRODUCT, "ReleaseProduct", Some(&[]), &[]),
    (
        OFFER,
        "CreateOffer",
        Some(&["ProductId", "Name", "OfferSetId"]),
        &["ProductId"],
    ),
    (
        OFFER,
        "UpdateInformation",
        Some(&["Name", "Description", "PreExistingAgreement"]),
        &[],
    ),
    (
        OFFER,
        "UpdatePricingTerms",
        Some(&["PricingModel", "Terms"]),
        &["Terms"],
    ),
    (OFFER, "UpdateLegalTerms", Some(&["Terms"]), &["Terms"]),
    (OFFER, "UpdateSupportTerms", Some(&["Terms"]), &["Terms"]),
    (
        OFFER,
        "UpdateTargeting",
        Some(&["PositiveTargeting", "NegativeTargeting"]),
        &[],
    ),
    (
        OFFER,
        "UpdateAvailability",
        Some(&["AvailabilityEndDate"]),
        &["AvailabilityEndDate"],
    ),
    (OFFER, "UpdateValidityTerms", Some(&["Terms"]), &["Terms"]),
    (
        OFFER,
        "UpdatePaymentScheduleTerms",
        Some(&["Terms"]),
        &["Terms"],
    ),
    (OFFER, "UpdateRenewalTerms", Some(&["Terms"]), &["Terms"]),
    (OFFER, "ReleaseOffer", Some(&[]), &[]),
];

/// The members of one delivery option of UpdateDeliveryOptions (`DetailsDocument` is accepted
/// in place of `Details`, as one AWS sample writes it).
const UPDATE_OPTION: &[&str] = &["Id", "Details", "DetailsDocument"];
/// The members of its `AmiDeliveryOptionDetails`: the AMI itself cannot change, a new version
/// is published instead.
const UPDATE_AMI_OPTION: &[&str] = &[
    "UsageInstructions",
    "AccessEndpointUrl",
    "RecommendedInstanceType",
    "SecurityGroups",
];

/// Whether `entity_type` has `change_type`.
pub(super) fn known(entity_type: &str, change_type: &str) -> bool {
    shape(entity_type, change_type).is_some()
}

fn shape(entity_type: &str, change_type: &str) -> Option<&'static Shape> {
    SHAPES
        .iter()
        .find(|(e, c, _, _)| *e == entity_type && *c == change_type)
}

/// Checks the members of a change's DetailsDocument against its change type.
pub(super) fn check(entity_type: &str, change_type: &str, details: &Value) -> AwsResult<()> {
    let Some((_, _, keys, required)) = shape(entity_type, change_type) else {
        return Err(validation(format!(
            "ChangeType {change_type} is not valid for entity type {entity_type}"
        )));
    };
    let Some(allowed) = keys else {
        if !details.is_array() {
            return Err(validation(format!(
                "{change_type}: the DetailsDocument must be an array"
            )));
        }
        return Ok(());
    };
    members(change_type, details, allowed)?;
    if let Some(missing) = required
        .iter()
        .find(|k| details.get(**k).is_none_or(Value::is_null))
    {
        return Err(validation(format!(
            "{change_type}: '{missing}' is a required property"
        )));
    }
    if change_type == "UpdateDeliveryOptions" {
        update_delivery_options(details)?;
    }
    Ok(())
}

/// Refuses an object with a member outside `allowed`.
fn members(change_type: &str, v: &Value, allowed: &[&str]) -> AwsResult<()> {
    let obj = v
        .as_object()
        .ok_or_else(|| validation(format!("{change_type}: expected a JSON object")))?;
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(validation(format!(
            "{change_type}: No additional properties are allowed ('{extra}' was unexpected)"
        ))),
        None => Ok(()),
    }
}

/// The nested members of UpdateDeliveryOptions: `Version` holds only `ReleaseNotes`, each option
/// an `Id` and the four updatable `AmiDeliveryOptionDetails` members.
fn update_delivery_options(d: &Value) -> AwsResult<()> {
    const CHANGE: &str = "UpdateDeliveryOptions";
    if !d["Version"].is_null() {
        members(CHANGE, &d["Version"], &["ReleaseNotes"])?;
    }
    for o in d["DeliveryOptions"].as_array().into_iter().flatten() {
        members(CHANGE, o, UPDATE_OPTION)?;
        for inner in [&o["Details"], &o["DetailsDocument"]] {
            if inner.is_null() {
                continue;
            }
            members(CHANGE, inner, &["AmiDeliveryOptionDetails"])?;
            members(
                CHANGE,
                &inner["AmiDeliveryOptionDetails"],
                UPDATE_AMI_OPTION,
            )?;
        }
    }
    Ok(())
}

/// A change-set name: 1-100 letters, digits, white space and `_+=.:@-` (the
/// `^[\w\s+=.:@-]+$` pattern of `ChangeSetName`).
pub fn change_set_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=.:@-".contains(c))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{change_set_name_ok, check};

    #[test]
    fn change_set_names_follow_the_pattern() {
        assert!(change_set_name_ok("Release 41.1 x86_64"));
        assert!(change_set_name_ok("a+b=c.d:e@f-g_h"));
        assert!(!change_set_name_ok("Fedora (x86_64)"));
        assert!(!change_set_name_ok(""));
        assert!(!change_set_name_ok(&"x".repeat(101)));
    }

    #[test]
    fn update_delivery_options_refuses_the_ami() {
        let ok = json!({"DeliveryOptions": [{"Id": "x", "Details": {"AmiDeliveryOptionDetails": {"UsageInstructions": "u"}}}]});
        assert!(check("AmiProduct@1.0", "UpdateDeliveryOptions", &ok).is_ok());
        let ami = json!({"DeliveryOptions": [{"Id": "x", "Details": {"AmiDeliveryOptionDetails": {"AmiSource": {}}}}]});
        assert!(check("AmiProduct@1.0", "UpdateDeliveryOptions", &ami).is_err());
        let title = json!({"Version": {"VersionTitle": "2"}});
        assert!(check("AmiProduct@1.0", "UpdateDeliveryOptions", &title).is_err());
    }

    #[test]
    fn payment_schedules_are_an_offer_change() {
        let d = json!({"Terms": []});
        assert!(check("Offer@1.0", "UpdatePaymentScheduleTerms", &d).is_ok());
        assert!(check("AmiProduct@1.0", "UpdatePaymentScheduleTerms", &d).is_err());
    }
}
