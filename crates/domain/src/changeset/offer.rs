//! DetailsDocuments of the `Offer@1.0` change types amipub uses for a product's public offer:
//! CreateOffer, UpdateInformation, UpdatePricingTerms, UpdateLegalTerms, UpdateSupportTerms,
//! UpdateTargeting (countries) and ReleaseOffer, as the developer guide documents them for offers
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>).
//!
//! Country availability is expressed as offer targeting (`PositiveTargeting.CountryCodes` or
//! `NegativeTargeting.CountryCodes`); `UpdateAvailability` only sets an end date and is refused
//! for public offers (its `INVALID_AVAILABILITY_END_DATE` error, same page).

use serde_json::{Value, json};

use super::{Change, OFFER};
use crate::spec::ProductSpec;
use crate::tags::PRODUCT_TAG;

/// The Standard Contract for AWS Marketplace version used for new offers (UpdateLegalTerms,
/// <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>).
pub const STANDARD_EULA_VERSION: &str = "2022-07-14";

/// `CreateOffer` for `product` (an id or a same-set reference).
pub fn create_offer(spec: &ProductSpec, product: &str, change_name: &str) -> Change {
    Change::new(
        "CreateOffer",
        OFFER,
        None,
        json!({ "ProductId": product, "Name": offer_name(spec) }),
    )
    .named(change_name)
    .tagged(&[(PRODUCT_TAG, &spec.product.slug)])
}

/// The public offer's name: the product title (1–150 characters).
pub fn offer_name(spec: &ProductSpec) -> String {
    spec.listing
        .title
        .chars()
        .take(crate::limits::OFFER_NAME_MAX_CHARS)
        .collect()
}

/// `UpdateInformation` on the offer: name and seller-only description.
pub fn update_information(spec: &ProductSpec, offer: &str) -> Change {
    let description: String = format!("Public offer for {}", spec.listing.title)
        .chars()
        .take(crate::limits::OFFER_DESCRIPTION_MAX_CHARS)
        .collect();
    Change::new(
        "UpdateInformation",
        OFFER,
        Some(offer),
        json!({ "Name": offer_name(spec), "Description": description }),
    )
}

/// The rate card: every dimension with its price (zero for free products).
pub fn rate_card(spec: &ProductSpec) -> Vec<Value> {
    let mut rates: Vec<Value> = Vec::new();
    for t in &spec.instance_types.available {
        if spec.is_paid() {
            if let Some(price) = spec.pricing.hourly.get(t) {
                rates.push(json!({ "DimensionKey": t, "Price": price }));
            }
        } else {
            rates.push(json!({ "DimensionKey": t, "Price": "0.00" }));
        }
    }
    for d in &spec.pricing.dimensions {
        rates.push(json!({ "DimensionKey": d.key, "Price": d.price }));
    }
    rates
}

/// The offer's `PricingModel`: `Usage` for paid products, `Free` otherwise.
pub fn pricing_model(spec: &ProductSpec) -> &'static str {
    if spec.is_paid() { "Usage" } else { "Free" }
}

/// `UpdatePricingTerms`: `Free` with zero rates, or `Usage` with the spec's prices.
pub fn update_pricing_terms(spec: &ProductSpec, offer: &str) -> Change {
    let model = pricing_model(spec);
    Change::new(
        "UpdatePricingTerms",
        OFFER,
        Some(offer),
        json!({
            "PricingModel": model,
            "Terms": [{
                "Type": "UsageBasedPricingTerm",
                "CurrencyCode": "USD",
                "RateCards": [{ "RateCard": rate_card(spec) }]
            }]
        }),
    )
}

/// `UpdateLegalTerms`: the standard contract or a custom EULA.
pub fn update_legal_terms(spec: &ProductSpec, offer: &str) -> Change {
    let document = if spec.legal.eula == "standard" {
        json!({ "Type": "StandardEula", "Version": STANDARD_EULA_VERSION })
    } else {
        json!({ "Type": "CustomEula", "Url": spec.legal.eula })
    };
    Change::new(
        "UpdateLegalTerms",
        OFFER,
        Some(offer),
        json!({ "Terms": [{ "Type": "LegalTerm", "Documents": [document] }] }),
    )
}

/// `UpdateSupportTerms`: the refund policy.
pub fn update_support_terms(spec: &ProductSpec, offer: &str) -> Change {
    Change::new(
        "UpdateSupportTerms",
        OFFER,
        Some(offer),
        json!({ "Terms": [{ "Type": "SupportTerm", "RefundPolicy": spec.legal.refund_policy }] }),
    )
}

/// `UpdateTargeting` on the offer for country availability; `None` when every country may buy.
pub fn update_country_targeting(spec: &ProductSpec, offer: &str) -> Option<Change> {
    let a = &spec.availability;
    let doc = if !a.include.is_empty() {
        json!({ "PositiveTargeting": { "CountryCodes": a.include } })
    } else if !a.exclude.is_empty() {
        json!({ "NegativeTargeting": { "CountryCodes": a.exclude } })
    } else {
        return None;
    };
    Some(Change::new("UpdateTargeting", OFFER, Some(offer), doc))
}

/// `ReleaseOffer`.
pub fn release_offer(offer: &str) -> Change {
    Change::new("ReleaseOffer", OFFER, Some(offer), json!({}))
}
