//! The rule table of Offer@1.0 changes and its rules: the offer's product and name, pricing
//! terms and rate cards, legal and support terms, country targeting, availability and release.
//! The change types are those the developer guide documents for offers
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Ctx, Errors, Rule, project, strings};

/// The Offer@1.0 rules, by change type, in the order they run.
pub(super) const RULES: &[(&str, Rule)] = &[
    ("CreateOffer", offer_product),
    ("CreateOffer", offer_name),
    ("UpdateInformation", information),
    ("UpdatePricingTerms", pricing_model),
    ("UpdatePricingTerms", rate_cards),
    ("UpdateLegalTerms", legal_terms),
    ("UpdateSupportTerms", support_terms),
    ("UpdateTargeting", country_codes),
    ("UpdateAvailability", availability),
    ("ReleaseOffer", release_terms),
    ("ReleaseOffer", release_single),
];

/// The product of an offer: from its CreateOffer in this set, else from its current document.
fn product_of(ctx: &Ctx, id: &str) -> Option<String> {
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

fn model(d: &Value) -> &str {
    d["PricingModel"].as_str().unwrap_or("")
}

fn pricing_model(ctx: &Ctx, errs: &mut Errors) {
    let model = model(ctx.details());
    if !matches!(model, "Usage" | "Contract" | "Free" | "Byol") {
        errs.push(
            "INVALID_INPUT",
            format!("PricingModel '{model}' is not one of Usage, Contract, Free, Byol."),
        );
    }
}

fn rate_cards(ctx: &Ctx, errs: &mut Errors) {
    let d = ctx.details();
    let product = product_of(ctx, &ctx.entity).unwrap_or_default();
    let dims = project(ctx.world, ctx.cs, &product).dimensions;
    for t in d["Terms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["Type"] == "UsageBasedPricingTerm")
    {
        let card = t["RateCards"][0]["RateCard"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if card.is_empty() || card.len() > 800 {
            errs.push("INVALID_RATE_CARD", "A rate card holds 1-800 rates.");
        }
        for r in card {
            rate(r, model(d), &dims, errs);
        }
    }
}

fn rate(r: &Value, model: &str, dims: &BTreeSet<String>, errs: &mut Errors) {
    let key = r["DimensionKey"].as_str().unwrap_or("");
    let price = r["Price"].as_str().unwrap_or("x");
    if !dims.contains(key) {
        errs.push(
            "INVALID_RATE_CARD",
            format!("Rate for unknown dimension '{key}'."),
        );
    }
    if !price_ok(price) {
        errs.push(
            "INVALID_RATE_CARD",
            format!("Price '{price}' is not a valid USD amount."),
        );
    } else if model == "Free" && price.parse::<f64>().unwrap_or(1.0) != 0.0 {
        errs.push(
            "INCOMPATIBLE_RATES",
            "Free pricing requires every rate to be 0.",
        );
    }
}

/// A USD amount: up to 9 whole digits and 8 decimals, at most 100,000,000.
fn price_ok(p: &str) -> bool {
    let (w, f) = p.split_once('.').unwrap_or((p, ""));
    !w.is_empty()
        && w.len() <= 9
        && w.bytes().all(|b| b.is_ascii_digit())
        && f.len() <= 8
        && f.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<f64>().is_ok_and(|v| v <= 100_000_000.0)
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

fn availability(_: &Ctx, errs: &mut Errors) {
    errs.push(
        "INVALID_AVAILABILITY_END_DATE",
        "AvailabilityEndDate isn't supported for public offers.",
    );
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

fn release_single(ctx: &Ctx, errs: &mut Errors) {
    let offer_id = &ctx.entity;
    let product = product_of(ctx, offer_id).unwrap_or_default();
    let others = ctx.world.catalog.entities.values().any(|e| {
        e.kind == "Offer"
            && e.id != *offer_id
            && e.doc["ProductId"] == product.as_str()
            && e.doc["State"] == "Released"
    });
    if others {
        errs.push(
            "TOO_MANY_OFFERS",
            format!("{product} already has a released public offer."),
        );
    }
}
