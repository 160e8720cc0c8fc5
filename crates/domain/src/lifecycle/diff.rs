//! Spec versus live listing, field by field, and the smallest set of changes that brings the
//! listing in line: listing text as one `UpdateInformation`; Regions and instance types added
//! and restricted by difference; future-Region support; missing dimensions; the allowlist; and on
//! the offer pricing, legal and support terms and country targeting. A Draft product that has a
//! version is released to Limited with its offer.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::live::{LiveListing, countries, rates, resource, set, strings};
use crate::changeset::{Change, offer, product};
use crate::spec::ProductSpec;

/// One field that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    /// The field's name, as in the spec where it has one (`listing.title`, `regions`, …).
    pub field: &'static str,
    /// What the listing has.
    pub live: Value,
    /// What the spec wants.
    pub spec: Value,
}

impl FieldDiff {
    /// Whether the field is listing content that needs marketing approval (text, media,
    /// categories, support, pricing, legal terms and refund policy).
    pub fn is_content(&self) -> bool {
        is_content(self.field)
    }

    /// The difference as diff lines: `- live` / `+ spec` for values, only the members that
    /// differ for sets and lists, `key: old → new` for maps.
    pub fn lines(&self) -> Vec<String> {
        match (&self.live, &self.spec) {
            (Value::Array(l), Value::Array(s)) => {
                let mut out: Vec<String> = l
                    .iter()
                    .filter(|x| !s.contains(x))
                    .map(|x| format!("- {}", show(x)))
                    .collect();
                out.extend(
                    s.iter()
                        .filter(|x| !l.contains(x))
                        .map(|x| format!("+ {}", show(x))),
                );
                if out.is_empty() {
                    // Same members, another order.
                    out.push(format!("- {}", show(&self.live)));
                    out.push(format!("+ {}", show(&self.spec)));
                }
                out
            }
            (Value::Object(l), Value::Object(s)) => {
                let mut keys: Vec<&String> = l.keys().chain(s.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .filter(|k| l.get(*k) != s.get(*k))
                    .map(|k| {
                        let old = l.get(k).map_or("(none)".to_owned(), show);
                        let new = s.get(k).map_or("(none)".to_owned(), show);
                        format!("~ {k}: {old} → {new}")
                    })
                    .collect()
            }
            (l, s) => vec![format!("- {}", show(l)), format!("+ {}", show(s))],
        }
    }
}

/// Whether a field name is approval-gated listing content.
pub fn is_content(field: &str) -> bool {
    field.starts_with("listing.") || field.starts_with("pricing.") || field.starts_with("legal.")
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn opt(s: &Option<String>) -> Value {
    json!(s.clone().unwrap_or_default())
}

/// The spec's side of every field `LiveListing` reads, in the same canonical shapes.
pub fn desired(spec: &ProductSpec) -> BTreeMap<&'static str, Value> {
    let l = &spec.listing;
    let mut f: BTreeMap<&'static str, Value> = BTreeMap::new();
    f.insert("listing.title", json!(l.title));
    f.insert("listing.short_description", json!(l.short_description));
    f.insert("listing.long_description", json!(l.long_description));
    f.insert("listing.sku", opt(&l.sku));
    f.insert("listing.logo_url", json!(l.logo_url));
    f.insert("listing.video_url", opt(&l.video_url));
    f.insert("listing.highlights", json!(l.highlights));
    f.insert("listing.categories", json!(l.categories));
    f.insert("listing.keywords", json!(l.keywords));
    let resources: Vec<String> = l
        .additional_resources
        .iter()
        .map(|r| resource(&r.text, &r.url))
        .collect();
    f.insert("listing.additional_resources", json!(resources));
    f.insert("listing.support_description", json!(l.support_description));
    f.insert("regions", set(spec.region_codes()));
    f.insert("regions.future", json!(spec.regions.future));
    f.insert(
        "instance_types.available",
        set(spec.instance_types.available.clone()),
    );
    f.insert(
        "allowlist.buyer_accounts",
        set(spec.allowlist.buyer_accounts.clone()),
    );
    f.insert("pricing.rates", rates(&offer::rate_card(spec)));
    f.insert(
        "pricing.model",
        json!(offer::pricing_model(spec).to_lowercase()),
    );
    f.insert("legal.eula", json!(spec.legal.eula));
    f.insert("legal.refund_policy", json!(spec.legal.refund_policy));
    f.insert(
        "availability",
        countries(&spec.availability.include, &spec.availability.exclude),
    );
    f
}

/// Every field where the listing differs from the spec, in field-name order. Offer fields are
/// compared only when the offer was read.
pub fn diff(spec: &ProductSpec, live: &LiveListing) -> Vec<FieldDiff> {
    desired(spec)
        .into_iter()
        .filter_map(|(field, want)| {
            let have = live.fields.get(field)?;
            (have != &want).then(|| FieldDiff {
                field,
                live: have.clone(),
                spec: want,
            })
        })
        .collect()
}

/// What bringing the listing in line submits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sync {
    /// Changes on the product first, then on the offer.
    pub changes: Vec<Change>,
    /// What the changes cannot do, for the reader.
    pub notes: Vec<String>,
}

/// The changes that fix `diffs` on `product_id` (and `offer_id`, when known); releases a Draft
/// product that already has a version.
pub fn sync_changes(
    spec: &ProductSpec,
    live: &LiveListing,
    diffs: &[FieldDiff],
    product_id: &str,
    offer_id: Option<&str>,
) -> Sync {
    let mut s = Sync::default();
    let p = product_id;
    let has = |name: &str| diffs.iter().find(|d| d.field == name);
    let added_removed = |d: &FieldDiff| {
        let (l, w) = (strings(&d.live), strings(&d.spec));
        let added: Vec<String> = w.iter().filter(|x| !l.contains(x)).cloned().collect();
        let removed: Vec<String> = l.iter().filter(|x| !w.contains(x)).cloned().collect();
        (added, removed)
    };
    if diffs.iter().any(|d| d.field.starts_with("listing.")) {
        s.changes.push(product::update_information(spec, p));
    }
    if let Some(d) = has("regions") {
        let (added, removed) = added_removed(d);
        if !added.is_empty() {
            s.changes.extend(product::add_regions(&added, p));
        }
        if !removed.is_empty() {
            s.changes.extend(product::restrict_regions(&removed, p));
        }
    }
    if has("regions.future").is_some() {
        s.changes
            .push(product::future_region_support(&spec.regions.future, p));
    }
    if let Some(d) = has("instance_types.available") {
        let (added, removed) = added_removed(d);
        if !added.is_empty() {
            s.changes.push(product::add_instance_types(&added, p));
        }
        if !removed.is_empty() {
            s.changes
                .push(product::restrict_instance_types(&removed, p));
        }
    }
    // Dimensions follow from instance types and pricing, so they are not a field of their own:
    // the ones the spec implies and the listing lacks are added.
    let live_dims = live
        .fields
        .get("dimensions")
        .map(strings)
        .unwrap_or_default();
    let (have, missing): (Vec<Value>, Vec<Value>) =
        product::dimension_docs(spec).into_iter().partition(|d| {
            d["Key"]
                .as_str()
                .is_some_and(|k| live_dims.iter().any(|x| x == k))
        });
    s.changes.extend(product::dimensions_change(missing, p));
    let extra: Vec<String> = live_dims
        .iter()
        .filter(|k| !have.iter().any(|d| d["Key"] == k.as_str()))
        .cloned()
        .collect();
    if !extra.is_empty() {
        s.notes.push(format!(
            "dimensions {} stay on the listing: Marketplace keeps the dimensions of a released product (the offer's rates no longer name them)",
            extra.join(", ")
        ));
    }
    if has("allowlist.buyer_accounts").is_some() {
        s.changes
            .push(product::update_targeting(&spec.allowlist.buyer_accounts, p));
    }
    let has_version = !live.versions.is_empty();
    if live.visibility == "Draft" && has_version {
        s.changes.push(product::release_product(p));
    }
    match offer_id {
        Some(o) => {
            if has("pricing.rates").is_some() || has("pricing.model").is_some() {
                s.changes.push(offer::update_pricing_terms(spec, o));
            }
            if has("legal.eula").is_some() {
                s.changes.push(offer::update_legal_terms(spec, o));
            }
            if has("legal.refund_policy").is_some() {
                s.changes.push(offer::update_support_terms(spec, o));
            }
            if has("availability").is_some() {
                match offer::update_country_targeting(spec, o) {
                    Some(c) => s.changes.push(c),
                    None => s.notes.push(
                        "the offer limits its countries but the spec sells everywhere: lift the targeting in the Marketplace console (the API sets only include or exclude lists)"
                            .to_owned(),
                    ),
                }
            }
            if live.offer_state.as_deref() == Some("Draft") && has_version {
                s.changes.push(offer::release_offer(o));
            }
        }
        None => s.notes.push(
            "product.offer_id is not set, so pricing, legal terms and countries were not compared"
                .to_owned(),
        ),
    }
    s
}

#[cfg(test)]
mod tests;
