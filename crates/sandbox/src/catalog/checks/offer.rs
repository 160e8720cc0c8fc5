//! Asynchronous checks of the Offer@1.0 changes: product, name, pricing terms and rate cards,
//! legal and support terms, targeting, availability and release (catalog-api.md §3.12–§3.16).

use super::{project, strings};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

pub(super) fn check(world: &World, cs: &ChangeSet, c: &Change, err: &mut impl FnMut(&str, String)) {
    let d = &c.details;
    let offer_id = c.entity_id.clone().unwrap_or_default();
    let product_of = |id: &str| -> Option<String> {
        cs.changes
            .iter()
            .find(|x| x.change_type == "CreateOffer" && x.entity_id.as_deref() == Some(id))
            .and_then(|x| x.details["ProductId"].as_str().map(str::to_owned))
            .or_else(|| {
                world
                    .catalog
                    .entities
                    .get(id)
                    .and_then(|e| e.doc["ProductId"].as_str().map(str::to_owned))
            })
    };
    match c.change_type.as_str() {
        "CreateOffer" => {
            let pid = d["ProductId"].as_str().unwrap_or("");
            let known = world
                .catalog
                .entities
                .get(pid)
                .map(|e| e.kind == "AmiProduct")
                .unwrap_or_else(|| {
                    cs.changes.iter().any(|x| {
                        x.change_type == "CreateProduct" && x.entity_id.as_deref() == Some(pid)
                    })
                });
            if !known {
                err(
                    "INCOMPATIBLE_PRODUCT",
                    format!("{pid} is not an AMI product of this seller."),
                );
            }
            if d["Name"]
                .as_str()
                .is_some_and(|n| n.is_empty() || n.chars().count() > 150)
            {
                err(
                    "INVALID_INPUT",
                    "Offer Name must be 1-150 characters.".into(),
                );
            }
        }
        "UpdateInformation"
            if (d["Name"]
                .as_str()
                .is_some_and(|n| n.is_empty() || n.chars().count() > 150)
                || d["Description"]
                    .as_str()
                    .is_some_and(|n| n.is_empty() || n.chars().count() > 255)) =>
        {
            err(
                "INVALID_INPUT",
                "Offer Name must be 1-150 and Description 1-255 characters.".into(),
            );
        }
        "UpdatePricingTerms" => {
            let model = d["PricingModel"].as_str().unwrap_or("");
            if !matches!(model, "Usage" | "Contract" | "Free" | "Byol") {
                err(
                    "INVALID_INPUT",
                    format!("PricingModel '{model}' is not one of Usage, Contract, Free, Byol."),
                );
            }
            let product = product_of(&offer_id).unwrap_or_default();
            let dims = project(world, cs, &product).dimensions;
            for t in d["Terms"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["Type"] == "UsageBasedPricingTerm")
            {
                let card = t["RateCards"][0]["RateCard"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if card.is_empty() || card.len() > 800 {
                    err("INVALID_RATE_CARD", "A rate card holds 1-800 rates.".into());
                }
                for r in &card {
                    let key = r["DimensionKey"].as_str().unwrap_or("");
                    let price = r["Price"].as_str().unwrap_or("x");
                    if !dims.contains(key) {
                        err(
                            "INVALID_RATE_CARD",
                            format!("Rate for unknown dimension '{key}'."),
                        );
                    }
                    if !price_ok(price) {
                        err(
                            "INVALID_RATE_CARD",
                            format!("Price '{price}' is not a valid USD amount."),
                        );
                    } else if model == "Free" && price.parse::<f64>().unwrap_or(1.0) != 0.0 {
                        err(
                            "INCOMPATIBLE_RATES",
                            "Free pricing requires every rate to be 0.".into(),
                        );
                    }
                }
            }
        }
        "UpdateLegalTerms" => {
            let terms = d["Terms"].as_array().cloned().unwrap_or_default();
            let docs = terms
                .first()
                .and_then(|t| t["Documents"].as_array().cloned())
                .unwrap_or_default();
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
                err("INVALID_LEGAL_DOCUMENTS", "Provide one LegalTerm with one StandardEula (2019-04-24 or 2022-07-14) or CustomEula https URL.".into());
            }
        }
        "UpdateSupportTerms" => {
            let policy = d["Terms"][0]["RefundPolicy"].as_str().unwrap_or("");
            let ok = !policy.is_empty()
                && policy.chars().count() <= 500
                && policy.trim() == policy
                && policy
                    .chars()
                    .all(|c| (c as u32) <= 0x7e || "©®™¢£¤¥".contains(c));
            if !ok {
                err("INVALID_INPUT", "RefundPolicy must be 1-500 characters of ASCII (plus © ® ™ ¢ £ ¤ ¥), without surrounding spaces.".into());
            }
        }
        "UpdateTargeting" => {
            let codes: Vec<String> = strings(&d["PositiveTargeting"]["CountryCodes"])
                .into_iter()
                .chain(strings(&d["NegativeTargeting"]["CountryCodes"]))
                .collect();
            if codes
                .iter()
                .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                err(
                    "INVALID_INPUT",
                    "CountryCodes must be ISO 3166 alpha-2 codes.".into(),
                );
            }
        }
        "UpdateAvailability" => err(
            "INVALID_AVAILABILITY_END_DATE",
            "AvailabilityEndDate isn't supported for public offers.".into(),
        ),
        "ReleaseOffer" => {
            let has_terms = cs
                .changes
                .iter()
                .any(|x| x.change_type == "UpdatePricingTerms" && x.entity_id == c.entity_id)
                || world
                    .catalog
                    .entities
                    .get(&offer_id)
                    .is_some_and(|e| e.doc["Terms"].as_array().is_some_and(|t| !t.is_empty()));
            if !has_terms {
                err(
                    "MISSING_MANDATORY_TERMS",
                    "Provide pricing terms before releasing the offer.".into(),
                );
            }
            let product = product_of(&offer_id).unwrap_or_default();
            let others = world.catalog.entities.values().any(|e| {
                e.kind == "Offer"
                    && e.id != offer_id
                    && e.doc["ProductId"] == product.as_str()
                    && e.doc["State"] == "Released"
            });
            if others {
                err(
                    "TOO_MANY_OFFERS",
                    format!("{product} already has a released public offer."),
                );
            }
        }
        _ => {}
    }
}

fn price_ok(p: &str) -> bool {
    let (w, f) = p.split_once('.').unwrap_or((p, ""));
    !w.is_empty()
        && w.len() <= 9
        && w.bytes().all(|b| b.is_ascii_digit())
        && f.len() <= 8
        && f.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<f64>().is_ok_and(|v| v <= 100_000_000.0)
}
