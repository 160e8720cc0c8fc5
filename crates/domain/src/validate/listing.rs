//! Checks of `[listing]`: the marketing text, media and categories, as UpdateInformation limits
//! them (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>).

use std::sync::OnceLock;

use regex::Regex;

use super::{Findings, TextRule, count, duplicates, https_url, regex, text};
use crate::catalog_data::categories;
use crate::limits::*;
use crate::spec::Listing;
use crate::spec::path::FieldPath;

/// The LogoUrl pattern of UpdateInformation (the AmiProduct shapes,
/// <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>).
const LOGO_PATTERN: &str =
    r"^https://(www\.)?[-a-zA-Z0-9@._]{1,256}\.[a-zA-Z0-9()]{2,63}\b([-a-zA-Z0-9@_+./]*)";
/// The AdditionalResources Url pattern (the AmiProduct shapes,
/// <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>).
const RESOURCE_URL_PATTERN: &str = r"^https?://(www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{2,63}\b([-a-zA-Z0-9()@:%_+.~#?&/=, ]*)$";

pub(super) fn check(f: &mut Findings, p: &FieldPath, l: &Listing) {
    text(
        f,
        &p.key("title"),
        &l.title,
        TextRule {
            min: 1,
            max: TITLE_MAX_CHARS,
        },
    );
    text(
        f,
        &p.key("short_description"),
        &l.short_description,
        TextRule {
            min: 1,
            max: SHORT_DESCRIPTION_MAX_CHARS,
        },
    );
    text(
        f,
        &p.key("long_description"),
        &l.long_description,
        TextRule {
            min: 1,
            max: LONG_DESCRIPTION_MAX_CHARS,
        },
    );
    text(
        f,
        &p.key("support_description"),
        &l.support_description,
        TextRule {
            min: 1,
            max: SUPPORT_DESCRIPTION_MAX_CHARS,
        },
    );
    if let Some(sku) = &l.sku {
        text(
            f,
            &p.key("sku"),
            sku,
            TextRule {
                min: 1,
                max: SKU_MAX_CHARS,
            },
        );
    }
    logo(f, &p.key("logo_url"), &l.logo_url);
    if let Some(video) = &l.video_url {
        https_url(f, &p.key("video_url"), video, MEDIA_URL_MAX_CHARS);
    }

    let hp = p.key("highlights");
    count(
        f,
        &hp,
        l.highlights.len(),
        1,
        HIGHLIGHTS_MAX,
        "listing.highlights.count",
        "highlights",
    );
    for (i, h) in l.highlights.iter().enumerate() {
        text(
            f,
            &hp.index(i),
            h,
            TextRule {
                min: 1,
                max: HIGHLIGHT_MAX_CHARS,
            },
        );
    }

    categories_check(f, &p.key("categories"), &l.categories);
    keywords(f, &p.key("keywords"), &l.keywords);

    let rp = p.key("additional_resources");
    count(
        f,
        &rp,
        l.additional_resources.len(),
        0,
        RESOURCES_MAX,
        "listing.additional-resources.count",
        "additional resources",
    );
    static RES: OnceLock<Option<Regex>> = OnceLock::new();
    for (i, r) in l.additional_resources.iter().enumerate() {
        let ip = rp.index(i);
        text(
            f,
            &ip.key("text"),
            &r.text,
            TextRule {
                min: 1,
                max: RESOURCE_TEXT_MAX_CHARS,
            },
        );
        if !regex(&RES, RESOURCE_URL_PATTERN).is_some_and(|re| re.is_match(&r.url)) {
            f.error(
                &ip.key("url"),
                "url.format",
                format!("{:?} is not a URL Marketplace accepts", r.url),
                "http(s)://<host>.<tld>/<path>",
                "use a full http:// or https:// address",
            );
        }
    }
}

fn logo(f: &mut Findings, path: &FieldPath, url: &str) {
    static LOGO: OnceLock<Option<Regex>> = OnceLock::new();
    if !regex(&LOGO, LOGO_PATTERN).is_some_and(|re| re.is_match(url)) {
        f.error(
            path,
            "url.https",
            format!("{url:?} is not an https:// URL Marketplace accepts for a logo"),
            "https://<host>.<tld>/<path>",
            "host the logo at a public HTTPS address (an S3 URL works)",
        );
        return;
    }
    let lower = url.to_ascii_lowercase();
    let file = lower.split(['?', '#']).next().unwrap_or("");
    if ![".png", ".jpg", ".jpeg", ".gif"]
        .iter()
        .any(|e| file.ends_with(e))
    {
        f.error(
            path,
            "listing.logo.format",
            "does not name a png, jpg or gif file",
            "png, jpg or gif, up to 5 MB",
            "convert the logo to PNG and link the .png file",
        );
    }
    if url.chars().count() > MEDIA_URL_MAX_CHARS {
        f.error(
            path,
            "url.max-length",
            "is too long",
            format!("at most {MEDIA_URL_MAX_CHARS} characters"),
            "use a shorter URL",
        );
    }
}

fn categories_check(f: &mut Findings, path: &FieldPath, cats: &[String]) {
    count(
        f,
        path,
        cats.len(),
        1,
        CATEGORIES_MAX,
        "listing.categories.count",
        "categories",
    );
    let known = categories();
    for (i, c) in cats.iter().enumerate() {
        if !known.iter().any(|k| k == c) {
            let hint = known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(c))
                .map(|k| format!("did you mean {k:?}?"))
                .unwrap_or_else(|| {
                    "use a name from crates/domain/data/categories.txt, e.g. \"Operating Systems\""
                        .to_owned()
                });
            f.error(
                &path.index(i),
                "listing.categories.unknown",
                format!("{c:?} is not a Marketplace category"),
                "one of the Marketplace category names",
                hint,
            );
        }
    }
    duplicates(
        f,
        path,
        cats.iter().map(String::as_str),
        "listing.categories.duplicate",
        "category",
    );
}

fn keywords(f: &mut Findings, path: &FieldPath, words: &[String]) {
    count(
        f,
        path,
        words.len(),
        1,
        KEYWORDS_MAX,
        "listing.keywords.count",
        "keywords",
    );
    for (i, w) in words.iter().enumerate() {
        text(
            f,
            &path.index(i),
            w,
            TextRule {
                min: 1,
                max: KEYWORD_MAX_CHARS,
            },
        );
    }
    let total: usize = words.iter().map(|w| w.chars().count()).sum();
    if total > KEYWORDS_TOTAL_MAX_CHARS {
        f.error(
            path,
            "listing.keywords.total-length",
            format!("the keywords add up to {total} characters"),
            format!("at most {KEYWORDS_TOTAL_MAX_CHARS} characters together"),
            format!(
                "drop or shorten keywords by {} characters; title, seller and categories are searchable already",
                total - KEYWORDS_TOTAL_MAX_CHARS
            ),
        );
    }
    duplicates(
        f,
        path,
        words.iter().map(String::as_str),
        "listing.keywords.duplicate",
        "keyword",
    );
}
