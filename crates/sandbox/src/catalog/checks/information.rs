//! Asynchronous checks of a product's UpdateInformation: lengths, categories, keywords, media and
//! the fields a first population must carry (catalog-api.md §3.3).

use serde_json::Value;

use super::{len, project};
use crate::world::World;
use crate::world::catalog::ChangeSet;

pub(super) fn check(
    world: &World,
    cs: &ChangeSet,
    product: &str,
    d: &Value,
    err: &mut impl FnMut(&str, String),
) {
    let limits = [
        ("ProductTitle", 72),
        ("ShortDescription", 1000),
        ("LongDescription", 5000),
        ("SupportDescription", 2000),
        ("Sku", 100),
    ];
    for (field, max) in limits {
        if let Some(s) = d[field].as_str()
            && (s.chars().count() > max || s.starts_with(char::is_whitespace))
        {
            err(
                "INVALID_INPUT",
                format!("{field} must be at most {max} characters with no leading whitespace."),
            );
        }
    }
    if let Some(h) = d["Highlights"].as_array() {
        if h.is_empty() {
            err("INVALID_INPUT", "Provide at least one highlight".into());
        } else if h.len() > 3 || h.iter().any(|x| len(x) > 500) {
            err(
                "INVALID_INPUT",
                "Provide at most 3 highlights of at most 500 characters".into(),
            );
        }
    }
    if let Some(cats) = d["Categories"].as_array() {
        if cats.is_empty() || cats.len() > 3 {
            err(
                "INVALID_INPUT",
                "Provide between 1 and 3 product categories".into(),
            );
        }
        let known = amipub_domain::catalog_data::categories();
        let bad: Vec<&str> = cats
            .iter()
            .filter_map(Value::as_str)
            .filter(|c| !known.iter().any(|k| k == c))
            .collect();
        if !bad.is_empty() {
            err(
                "INVALID_CATEGORY_NAMES",
                format!("Invalid category names: {}", bad.join(", ")),
            );
        }
    }
    if let Some(k) = d["SearchKeywords"].as_array() {
        if k.is_empty() {
            err(
                "INVALID_INPUT",
                "Provide at least one search keyword".into(),
            );
        }
        if k.len() > 15 || k.iter().any(|x| len(x) > 50) {
            err(
                "INVALID_INPUT",
                "Provide at most 15 search keywords of at most 50 characters".into(),
            );
        }
        if k.iter().map(len).sum::<usize>() > 250 {
            err(
                "INVALID_INPUT",
                "Search keywords must be no more than 250 combined characters".into(),
            );
        }
    }
    if let Some(url) = d["LogoUrl"].as_str() {
        let lower = url.to_ascii_lowercase();
        if !url.starts_with("https://")
            || url.len() > 2048
            || ![".png", ".jpg", ".jpeg", ".gif"]
                .iter()
                .any(|e| lower.ends_with(e))
        {
            err(
                "INVALID_MEDIA",
                "LogoUrl must be a public https URL of a png, jpg or gif image.".into(),
            );
        }
    }
    if d["VideoUrls"].as_array().is_some_and(|v| v.len() > 1) {
        err("TOO_MANY_MEDIA", "Provide at most one video.".into());
    }
    if d["AdditionalResources"].as_array().is_some_and(|v| {
        v.len() > 3
            || v.iter()
                .any(|r| !r["Url"].as_str().is_some_and(|u| u.starts_with("http")))
    }) {
        err(
            "INVALID_ADDITIONAL_RESOURCES",
            "Provide at most 3 additional resources with http(s) URLs.".into(),
        );
    }
    let p = project(world, cs, product);
    let first_population = world
        .catalog
        .entities
        .get(product)
        .is_none_or(|e| !e.doc["Description"]["ShortDescription"].is_string());
    if first_population && !p.has_description {
        err(
            "MISSING_DATA",
            "Provide ShortDescription for the product.".into(),
        );
    }
    if first_population {
        for f in [
            "LongDescription",
            "LogoUrl",
            "Highlights",
            "SupportDescription",
            "Categories",
            "SearchKeywords",
        ] {
            if d[f].is_null() {
                err("INVALID_INPUT", format!("Provide {f}"));
            }
        }
    }
}
