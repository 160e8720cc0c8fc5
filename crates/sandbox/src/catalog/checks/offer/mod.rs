//! The rule table of Offer@1.0 changes and its rules: the offer's product and name, legal and
//! support terms, country targeting and the release's pricing terms; pricing and rate cards live
//! in `pricing`, and what depends on an offer being private or public (buyer accounts,
//! availability end date and expiry, validity terms, payment schedule, one public offer per
//! product) in `private`. The change types are those AWS documents for offers
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>).

mod pricing;
mod private;

use serde_json::Value;

use super::{Ctx, Errors, Rule, strings};

/// The Offer@1.0 rules, by change type, in the order they run.
pub(super) const RULES: &[(&str, Rule)] = &[
    ("CreateOffer", offer_product),
    ("CreateOffer", offer_name),
    ("UpdateInformation", information),
    ("UpdatePricingTerms", pricing::pricing_model),
    ("UpdatePricingTerms", pricing::rate_cards),
    ("UpdateLegalTerms", legal_terms),
    ("UpdateSupportTerms", support_terms),
    ("UpdateTargeting", country_codes),
    ("UpdateTargeting", private::buyer_accounts),
    ("UpdateAvailability", private::availability),
    ("UpdateValidityTerms", private::validity),
    ("UpdatePaymentScheduleTerms", private::payment_schedule),
    ("ReleaseOffer", release_terms),
    ("ReleaseOffer", private::release_end_date),
    ("ReleaseOffer", private::release_single_public),
];

/// The product of an offer: from its CreateOffer in this set, else from its current document.
pub(super) fn product_of(ctx: &Ctx, id: &str) -> Option<String> {
    ctx.cs
        .changes
        .iter()
        .find(|x| x.change_type == "CreateOffer" && x.entity_id.as_deref() == Some(id))
        .and_then(|x| x.details["ProductId"].as_str().map(str::to_owned))
        .or_else(|| {
            ctx.world
                .catalog
                .entities
                .get(id)
                .and_then(|e| e.doc["ProductId"].as_str().map(str::to_owned))
        })
}

fn name_bad(d: &Value) -> bool {
    d["Name"]
        .as_str()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 150)
}

fn offer_product(ctx: &Ctx, errs: &mut Errors) {
    let pid = ctx.details()["ProductId"].as_str().unwrap_or("");
    let known =
        ctx.world
            .catalog
            .entities
            .get(pid)
            .map(|e| e.kind == "AmiProduct")
            .unwrap_or_else(|| {
                ctx.cs.changes.iter().any(|x| {
                    x.change_type == "CreateProduct" && x.entity_id.as_deref() == Some(pid)
                })
            });
    if !known {
        errs.push(
            "INCOMPATIBLE_PRODUCT",
            format!("{pid} is not an AMI product of this seller."),
        );
    }
}

fn offer_name(ctx: &Ctx, errs: &mut Errors) {
    if name_bad(ctx.details()) {
        errs.push("INVALID_INPUT", "Offer Name must be 1-150 characters.");
    }
}

fn information(ctx: &Ctx, errs: &mut Errors) {
    let d = ctx.details();
    let description_bad = d["Description"]
        .as_str()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 255);
    if name_bad(d) || description_bad {
        errs.push(
            "INVALID_INPUT",
            "Offer Name must be 1-150 and Description 1-255 characters.",
        );
    }
}

/// One LegalTerm holding one document: a StandardEula of a published version, or a CustomEula
/// at an https URL.
fn legal_terms(ctx: &Ctx, errs: &mut Errors) {
    let terms = ctx.details()["Terms"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let docs = terms
        .first()
        .and_then(|t| t["Documents"].as_array())
        .map_or(&[][..], Vec::as_slice);
    let ok = terms.len() == 1
        && terms[0]["Type"] == "LegalTerm"
        && docs.len() == 1
        && match docs[0]["Type"].as_str() {
            Some("StandardEula") => matches!(
                docs[0]["Version"].as_str(),
                Some("2019-04-24" | "2022-07-14")
            ),
            Some("CustomEula") => docs[0]["Url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://")),
            _ => false,
        };
    if !ok {
        errs.push(
            "INVALID_LEGAL_DOCUMENTS",
            "Provide one LegalTerm with one StandardEula (2019-04-24 or 2022-07-14) or CustomEula https URL.",
        );
    }
}

fn support_terms(ctx: &Ctx, errs: &mut Errors) {
    let policy = ctx.details()["Terms"][0]["RefundPolicy"]
        .as_str()
        .unwrap_or("");
    let ok = !policy.is_empty()
        && policy.chars().count() <= 500
        && policy.trim() == policy
        && policy
            .chars()
            .all(|c| (c as u32) <= 0x7e || "©®™¢£¤¥".contains(c));
    if !ok {
        errs.push(
            "INVALID_INPUT",
            "RefundPolicy must be 1-500 characters of ASCII (plus © ® ™ ¢ £ ¤ ¥), without surrounding spaces.",
        );
    }
}

fn country_codes(ctx: &Ctx, errs: &mut Errors) {
    let d = ctx.details();
    let codes: Vec<String> = strings(&d["PositiveTargeting"]["CountryCodes"])
        .into_iter()
        .chain(strings(&d["NegativeTargeting"]["CountryCodes"]))
        .collect();
    if codes
        .iter()
        .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        errs.push(
            "INVALID_INPUT",
            "CountryCodes must be ISO 3166 alpha-2 codes.",
        );
    }
}

fn release_terms(ctx: &Ctx, errs: &mut Errors) {
    let has_terms = ctx
        .cs
        .changes
        .iter()
        .any(|x| x.change_type == "UpdatePricingTerms" && x.entity_id == ctx.change.entity_id)
        || ctx
            .world
            .catalog
            .entities
            .get(&ctx.entity)
            .is_some_and(|e| e.doc["Terms"].as_array().is_some_and(|t| !t.is_empty()));
    if !has_terms {
        errs.push(
            "MISSING_MANDATORY_TERMS",
            "Provide pricing terms before releasing the offer.",
        );
    }
}
