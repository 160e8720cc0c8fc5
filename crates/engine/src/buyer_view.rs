//! The buyer's view of a product against what was published, on the `Buyers` port: the
//! release's final check (words for its timeline, after its parameters are written) and the
//! `amipub verify` rows. Neither ever fails a release: a version is live once the Catalog says
//! so, and what buyers see is reported, Correct or Incorrect, for a person to act on.

use amipub_domain::lifecycle::buyer::{
    Published, final_check_words, judge, shown_though_restricted,
};
use amipub_domain::lifecycle::{LiveListing, Row, Status};
use amipub_domain::release::Release;
use amipub_domain::spec::ProductSpec;

use crate::ports::{Buyers, Ports};
use crate::product::Product;

/// The release's version as buyers see it, in words (never an error: a view that cannot be read
/// is said so).
pub async fn final_check<P: Ports>(ports: &P, product: &Product, r: &Release) -> String {
    let Some(pid) = &product.spec.product.id else {
        return "buyer's view not checked: the product has no id".to_owned();
    };
    let want = Published::of(&product.spec, pid, &r.version);
    match ports.buyers().versions(pid).await {
        Ok(seen) => {
            let words = final_check_words(&want, seen.as_deref());
            if words.contains("Incorrect") {
                tracing::warn!(product = %r.product, version = %r.version, check = %words, "Buyers do not see the version as published");
            }
            words
        }
        Err(e) => format!("buyer's view unreachable: {}", e.detail),
    }
}

/// The `verify` rows of the buyer's view: one per live version (Correct or Incorrect) and one
/// per restricted version buyers are still shown (Unexpected). None for a listing buyers are
/// not meant to see (Draft, or Restricted as a whole).
pub async fn rows<P: Ports>(
    ports: &P,
    spec: &ProductSpec,
    pid: &str,
    live: &LiveListing,
) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    if !matches!(live.visibility.as_str(), "Limited" | "Public") {
        return Vec::new();
    }
    let seen = match ports.buyers().versions(pid).await {
        Ok(seen) => seen,
        Err(e) => {
            let why = e.to_string();
            return vec![Row::new(
                slug,
                "-",
                "buyer view",
                Status::Unreachable,
                "",
                why,
            )];
        }
    };
    let mut rows: Vec<Row> = live
        .live_versions()
        .map(|v| {
            let want = Published::recorded(spec, pid, &v.title, live.os.get(&v.title));
            let verdict = judge(&want, seen.as_deref());
            let item = format!("buyer {}", v.title);
            Row::new(
                slug,
                "-",
                item,
                verdict.status,
                verdict.expected,
                verdict.actual,
            )
        })
        .collect();
    let restricted = live
        .versions
        .iter()
        .filter(|v| v.restricted)
        .map(|v| v.title.as_str());
    for title in shown_though_restricted(restricted, seen.as_deref().unwrap_or_default()) {
        let item = format!("buyer {title}");
        rows.push(Row::new(
            slug,
            "-",
            item,
            Status::Unexpected,
            "restricted: hidden from new buyers",
            "listed",
        ));
    }
    rows
}
