//! The `GetProduct` document of a shown product
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_GetProduct.html>),
//! from its Catalog `Description`, `PromotionalResources` and `SupportInformation`. Every member
//! the model requires is present: lists the Catalog has nothing for are empty, and descriptions
//! a Catalog document lacks fall back to the title so that no required text is empty.
//! Promotional videos are left out: the Catalog keeps their URL only, while a buyer's
//! `embeddedVideo` needs preview and thumbnail images too.

use serde_json::{Value, json};

use crate::catalog::CATALOG;
use crate::world::catalog::Entity;

/// The product document; `ami_options` says whether any AMI version is shown.
pub fn document(e: &Entity, ami_options: bool) -> Value {
    let d = &e.doc["Description"];
    let title = text(&d["ProductTitle"]).unwrap_or(&e.id);
    let short = text(&d["ShortDescription"]).unwrap_or(title);
    let long = text(&d["LongDescription"]).unwrap_or(short);
    let manufacturer = text(&d["Manufacturer"]).unwrap_or(title);
    let summaries = if ami_options {
        json!([{ "fulfillmentOptionType": "AMAZON_MACHINE_IMAGE", "displayName": "Amazon Machine Image" }])
    } else {
        json!([])
    };
    json!({
        "productId": e.id,
        "catalog": CATALOG,
        "productName": title,
        "manufacturer": { "sellerProfileId": format!("seller-{}", e.owner), "displayName": manufacturer },
        "deployedOnAws": "DEPLOYED",
        "shortDescription": short,
        "longDescription": long,
        "logoThumbnailUrl": text(&e.doc["PromotionalResources"]["LogoUrl"]).unwrap_or("https://aws.amazon.com/marketplace"),
        "fulfillmentOptionSummaries": summaries,
        "categories": categories(&d["Categories"]),
        "highlights": strings(&d["Highlights"]),
        "promotionalMedia": [],
        "resources": resources(e),
        "sellerEngagements": [],
        "listingId": listing_id(&e.id),
        "purchaseIndicators": [],
    })
}

/// The product's default listing: one listing per product, named after it.
pub fn listing_id(product: &str) -> String {
    format!("prodview-{}", product.trim_start_matches("prod-"))
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.trim().is_empty())
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| text(x))
        .collect()
}

/// A category as buyers see it: a machine id made from its name, and the name.
fn categories(v: &Value) -> Vec<Value> {
    strings(v)
        .into_iter()
        .map(|name| {
            let id: String = name
                .to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            json!({ "categoryId": id, "displayName": name })
        })
        .collect()
}

/// The support description, then each additional resource as a link.
fn resources(e: &Entity) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(s) = text(&e.doc["SupportInformation"]["Description"]) {
        out.push(
            json!({ "resourceType": "MANUFACTURER_SUPPORT", "contentType": "OTHER", "value": s }),
        );
    }
    for r in e.doc["PromotionalResources"]["AdditionalResources"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(url) = text(&r["Url"]) {
            let mut link = json!({ "resourceType": "MANUFACTURER_INSTRUCTIONS", "contentType": "LINK", "value": url });
            if let Some(t) = text(&r["Text"]) {
                link["displayName"] = json!(t);
            }
            out.push(link);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_member_is_filled_from_the_catalog() {
        let e = Entity {
            id: "prod-abc".into(),
            kind: "AmiProduct".into(),
            owner: "111122223333".into(),
            revision: 1,
            last_modified: String::new(),
            doc: json!({
                "Description": { "ProductTitle": "Widget OS", "ShortDescription": null,
                                 "Categories": ["Operating Systems"], "Highlights": ["Fast"] },
                "PromotionalResources": { "LogoUrl": "https://example.com/l.png",
                                          "AdditionalResources": [{ "Text": "Docs", "Url": "https://example.com/d" }] },
                "SupportInformation": { "Description": "Email us." },
            }),
        };
        let d = document(&e, true);
        assert_eq!(d["shortDescription"], "Widget OS");
        assert_eq!(d["categories"][0]["categoryId"], "operating-systems");
        assert_eq!(d["resources"][1]["displayName"], "Docs");
        assert_eq!(d["listingId"], "prodview-abc");
        assert_eq!(
            d["fulfillmentOptionSummaries"][0]["fulfillmentOptionType"],
            "AMAZON_MACHINE_IMAGE"
        );
    }
}
