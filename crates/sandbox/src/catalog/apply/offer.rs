//! How each Offer@1.0 change edits the offer's DescribeEntity document: information, terms
//! (each Update*Terms change replaces the terms of its kinds), rules (`TargetingRule` from
//! UpdateTargeting, `AvailabilityRule` from UpdateAvailability, each replacing the previous one)
//! and release. An offer whose `AvailabilityRule` date has passed is expired: that is how a
//! private offer is expired, by an UpdateAvailability to a past date
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/marketplace-catalog_example_marketplace-catalog_ExpirePrivateOffer_section.html>).

use serde_json::{Value, json};

use super::list;
use crate::world::World;
use crate::world::catalog::Change;

/// The term types that UpdatePricingTerms replaces.
const PRICING_TERMS: [&str; 6] = [
    "UsageBasedPricingTerm",
    "ConfigurableUpfrontPricingTerm",
    "RecurringPaymentTerm",
    "FixedUpfrontPricingTerm",
    "FreeTrialPricingTerm",
    "ByolPricingTerm",
];

/// The document of a new Draft offer.
pub(super) fn created(id: &str, c: &Change) -> Value {
    json!({
        "Id": id, "State": "Draft", "Name": c.details["Name"], "Description": null, "PreExistingAgreement": null,
        "ProductId": c.details["ProductId"], "OfferSetId": c.details["OfferSetId"], "Terms": [], "Rules": []
    })
}

/// Edits an offer's document.
pub(super) fn edit(world: &mut World, doc: &mut Value, c: &Change, when: &str) {
    let d = &c.details;
    match c.change_type.as_str() {
        "UpdateInformation" => {
            for f in ["Name", "Description", "PreExistingAgreement"] {
                if !d[f].is_null() {
                    doc[f] = d[f].clone();
                }
            }
        }
        "UpdatePricingTerms" => {
            replace_terms(world, doc, &PRICING_TERMS, d);
            if !d["PricingModel"].is_null() {
                doc["PricingModel"] = d["PricingModel"].clone();
            }
        }
        "UpdateLegalTerms" => replace_terms(world, doc, &["LegalTerm"], d),
        "UpdateSupportTerms" => replace_terms(world, doc, &["SupportTerm"], d),
        "UpdateValidityTerms" => replace_terms(world, doc, &["ValidityTerm"], d),
        "UpdateRenewalTerms" => replace_terms(world, doc, &["RenewalTerm"], d),
        "UpdatePaymentScheduleTerms" => replace_terms(world, doc, &["PaymentScheduleTerm"], d),
        "UpdateTargeting" => {
            let mut rule = json!({ "Type": "TargetingRule" });
            for f in ["PositiveTargeting", "NegativeTargeting"] {
                if !d[f].is_null() {
                    rule[f] = d[f].clone();
                }
            }
            replace_rule(doc, rule);
        }
        "UpdateAvailability" => replace_rule(
            doc,
            json!({ "Type": "AvailabilityRule", "AvailabilityEndDate": d["AvailabilityEndDate"] }),
        ),
        "ReleaseOffer" => {
            doc["State"] = json!("Released");
            doc["ReleaseDate"] = json!(when);
        }
        _ => {}
    }
}

/// Replaces the offer's terms of the `kinds` types with the change's `Terms`, each with a new id.
fn replace_terms(world: &mut World, doc: &mut Value, kinds: &[&str], d: &Value) {
    let mut terms: Vec<Value> = list(&doc["Terms"])
        .into_iter()
        .filter(|t| !kinds.iter().any(|k| t["Type"] == *k))
        .collect();
    for mut t in list(&d["Terms"]) {
        t["Id"] = json!(format!("term-{}", world.ids.alnum(13)));
        terms.push(t);
    }
    doc["Terms"] = Value::Array(terms);
}

/// Replaces the offer's rule of `rule`'s type.
fn replace_rule(doc: &mut Value, rule: Value) {
    let mut rules: Vec<Value> = list(&doc["Rules"])
        .into_iter()
        .filter(|r| r["Type"] != rule["Type"])
        .collect();
    rules.push(rule);
    doc["Rules"] = Value::Array(rules);
}
