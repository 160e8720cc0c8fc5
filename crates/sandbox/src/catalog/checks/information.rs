//! The rules of a product's UpdateInformation: field lengths, highlights, categories, search
//! keywords, logo, video and additional resources, and the fields a first population must carry.
//! The fields and their limits are those the developer guide gives for updating product
//! information (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>).

use serde_json::Value;

use super::{Ctx, Errors, len};

/// The rules, in the order they run.
const RULES: &[fn(&Ctx, &Value, &mut Errors)] = &[
    lengths,
    highlights,
    categories,
    keywords,
    logo,
    videos,
    additional_resources,
    first_population,
];

/// Text fields and their longest length in characters.
const LIMITS: [(&str, usize); 5] = [
    ("ProductTitle", 72),
    ("ShortDescription", 1000),
    ("LongDescription", 5000),
    ("SupportDescription", 2000),
    ("Sku", 100),
];

/// Fields the first UpdateInformation of a product must carry besides ShortDescription.
const FIRST_FIELDS: [&str; 6] = [
    "LongDescription",
    "LogoUrl",
    "Highlights",
    "SupportDescription",
    "Categories",
    "SearchKeywords",
];

/// Runs the rules over a product's UpdateInformation change.
pub(super) fn check(ctx: &Ctx, errs: &mut Errors) {
    for rule in RULES {
        rule(ctx, ctx.details(), errs);
    }
}

fn lengths(_: &Ctx, d: &Value, errs: &mut Errors) {
    for (field, max) in LIMITS {
        if let Some(s) = d[field].as_str()
            && (s.chars().count() > max || s.starts_with(char::is_whitespace))
        {
            errs.push(
                "INVALID_INPUT",
                format!("{field} must be at most {max} characters with no leading whitespace."),
            );
        }
    }
}

fn highlights(_: &Ctx, d: &Value, errs: &mut Errors) {
    let Some(h) = d["Highlights"].as_array() else {
        return;
    };
    if h.is_empty() {
        errs.push("INVALID_INPUT", "Provide at least one highlight");
    } else if h.len() > 3 || h.iter().any(|x| len(x) > 500) {
        errs.push(
            "INVALID_INPUT",
            "Provide at most 3 highlights of at most 500 characters",
        );
    }
}

fn categories(_: &Ctx, d: &Value, errs: &mut Errors) {
    let Some(cats) = d["Categories"].as_array() else {
        return;
    };
    if cats.is_empty() || cats.len() > 3 {
        errs.push(
            "INVALID_INPUT",
            "Provide between 1 and 3 product categories",
        );
    }
    let known = amipub_domain::catalog_data::categories();
    let bad: Vec<&str> = cats
        .iter()
        .filter_map(Value::as_str)
        .filter(|c| !known.iter().any(|k| k == c))
        .collect();
    if !bad.is_empty() {
        errs.push(
            "INVALID_CATEGORY_NAMES",
            format!("Invalid category names: {}", bad.join(", ")),
        );
    }
}

fn keywords(_: &Ctx, d: &Value, errs: &mut Errors) {
    let Some(k) = d["SearchKeywords"].as_array() else {
        return;
    };
    if k.is_empty() {
        errs.push("INVALID_INPUT", "Provide at least one search keyword");
    }
    if k.len() > 15 || k.iter().any(|x| len(x) > 50) {
        errs.push(
            "INVALID_INPUT",
            "Provide at most 15 search keywords of at most 50 characters",
        );
    }
    if k.iter().map(len).sum::<usize>() > 250 {
        errs.push(
            "INVALID_INPUT",
            "Search keywords must be no more than 250 combined characters",
        );
    }
}

fn logo(_: &Ctx, d: &Value, errs: &mut Errors) {
    let Some(url) = d["LogoUrl"].as_str() else {
        return;
    };
    let lower = url.to_ascii_lowercase();
    if !url.starts_with("https://")
        || url.len() > 2048
        || ![".png", ".jpg", ".jpeg", ".gif"]
            .iter()
            .any(|e| lower.ends_with(e))
    {
        errs.push(
            "INVALID_MEDIA",
            "LogoUrl must be a public https URL of a png, jpg or gif image.",
        );
    }
}

fn videos(_: &Ctx, d: &Value, errs: &mut Errors) {
    if d["VideoUrls"].as_array().is_some_and(|v| v.len() > 1) {
        errs.push("TOO_MANY_MEDIA", "Provide at most one video.");
    }
}

fn additional_resources(_: &Ctx, d: &Value, errs: &mut Errors) {
    if d["AdditionalResources"].as_array().is_some_and(|v| {
        v.len() > 3
            || v.iter()
                .any(|r| !r["Url"].as_str().is_some_and(|u| u.starts_with("http")))
    }) {
        errs.push(
            "INVALID_ADDITIONAL_RESOURCES",
            "Provide at most 3 additional resources with http(s) URLs.",
        );
    }
}

/// A product whose current document has no ShortDescription is being populated for the first
/// time, so the change must bring the whole description.
fn first_population(ctx: &Ctx, d: &Value, errs: &mut Errors) {
    let first = ctx
        .world
        .catalog
        .entities
        .get(&ctx.entity)
        .is_none_or(|e| !e.doc["Description"]["ShortDescription"].is_string());
    if !first {
        return;
    }
    if !ctx.project().has_description {
        errs.push("MISSING_DATA", "Provide ShortDescription for the product.");
    }
    for f in FIRST_FIELDS {
        if d[f].is_null() {
            errs.push("INVALID_INPUT", format!("Provide {f}"));
        }
    }
}
