//! Diffs and sync changes against a DescribeEntity-shaped listing built from the spec itself
//! (the sandbox's output names), then edited.

use serde_json::{Value, json};

use super::*;
use crate::lifecycle::approval::{check_approval, content_hash, record_approval};
use crate::spec::parse_spec;

const SPEC: &str = include_str!("../../../../../examples/products/fedora-cloud-base.toml");

fn spec() -> ProductSpec {
    parse_spec(SPEC).unwrap()
}

/// A product document and an offer document that match `s` exactly.
fn listing_of(s: &ProductSpec) -> (Value, Value) {
    let l = &s.listing;
    let rates: Vec<Value> = offer::rate_card(s);
    let dims: Vec<Value> = product::dimension_docs(s)
        .into_iter()
        .map(|d| json!({ "Key": d["Key"], "Name": d["Name"] }))
        .collect();
    let product = json!({
        "Description": {
            "ProductTitle": l.title, "ShortDescription": l.short_description,
            "LongDescription": l.long_description, "Sku": l.sku, "Highlights": l.highlights,
            "Categories": l.categories, "SearchKeywords": l.keywords, "Visibility": "Limited",
            "ProductCode": "code1"
        },
        "PromotionalResources": {
            "LogoUrl": l.logo_url,
            "Videos": l.video_url.iter().map(|u| json!({ "Type": "Link", "Url": u })).collect::<Vec<_>>(),
            "AdditionalResources": l.additional_resources.iter().map(|r| json!({ "Text": r.text, "Url": r.url })).collect::<Vec<_>>()
        },
        "SupportInformation": { "Description": l.support_description },
        "RegionAvailability": { "Regions": s.region_codes(), "FutureRegionSupport": s.regions.future },
        "Compatibility": { "AvailableInstanceTypes": s.instance_types.available },
        "Dimensions": dims,
        "Targeting": { "PositiveTargeting": { "BuyerAccounts": [] } },
        "Versions": [{ "Id": "v1", "VersionTitle": "41.1", "CreationDate": "2026-01-01T00:00:00Z",
                       "Sources": [{ "Image": "ami-11111111" }],
                       "DeliveryOptions": [{ "Id": "opt1", "Visibility": "Limited" }] }]
    });
    let offer = json!({
        "State": "Released", "PricingModel": "Free",
        "Terms": [
            { "Type": "UsageBasedPricingTerm", "RateCards": [{ "RateCard": rates }] },
            { "Type": "LegalTerm", "Documents": [{ "Type": "CustomEula", "Url": s.legal.eula }] },
            { "Type": "SupportTerm", "RefundPolicy": s.legal.refund_policy }
        ],
        "Rules": []
    });
    (product, offer)
}

#[test]
fn a_listing_made_from_the_spec_has_no_differences() {
    let s = spec();
    let (p, o) = listing_of(&s);
    let live = LiveListing::read(&p, Some(&o));
    assert_eq!(diff(&s, &live), Vec::new());
    assert_eq!(live.versions.len(), 1);
    assert_eq!(live.versions[0].option_id.as_deref(), Some("opt1"));
    assert_eq!(live.product_code.as_deref(), Some("code1"));
}

#[test]
fn edits_show_exactly_the_edited_fields_and_fix_them_with_few_changes() {
    let live_spec = spec();
    let (p, o) = listing_of(&live_spec);
    let live = LiveListing::read(&p, Some(&o));
    let mut s = spec();
    s.listing.title = "Fedora Cloud Base (x86_64), edited".into();
    s.regions.all = false;
    s.regions.include = crate::catalog_data::commercial_regions()
        .map(|r| r.code.clone())
        .filter(|c| c != "eu-west-3")
        .collect();
    s.instance_types.available.push("m6i.large".into());
    let d = diff(&s, &live);
    let names: Vec<&str> = d.iter().map(|x| x.field).collect();
    assert_eq!(
        names,
        [
            "instance_types.available",
            "listing.title",
            "pricing.rates",
            "regions"
        ]
    );
    let regions = d.iter().find(|x| x.field == "regions").unwrap();
    assert_eq!(regions.lines(), ["- eu-west-3"]);
    let rates = d.iter().find(|x| x.field == "pricing.rates").unwrap();
    assert_eq!(rates.lines(), ["~ m6i.large: (none) → 0"]);
    let sync = sync_changes(&s, &live, &d, "prod-1", Some("offer-1"));
    let types: Vec<&str> = sync
        .changes
        .iter()
        .map(|c| c.change_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "UpdateInformation",
            "RestrictRegions",
            "AddInstanceTypes",
            "AddDimensions",
            "UpdatePricingTerms"
        ]
    );
    assert_eq!(
        sync.changes[3].details_document[0]["Key"], "m6i.large",
        "only the new dimension is added"
    );
    // Content changed: the approval must cover it.
    assert!(d.iter().any(FieldDiff::is_content));
}

#[test]
fn a_draft_with_a_version_is_released_with_its_offer() {
    let s = spec();
    let (mut p, mut o) = listing_of(&s);
    p["Description"]["Visibility"] = json!("Draft");
    o["State"] = json!("Draft");
    let live = LiveListing::read(&p, Some(&o));
    let sync = sync_changes(&s, &live, &[], "prod-1", Some("offer-1"));
    let types: Vec<&str> = sync
        .changes
        .iter()
        .map(|c| c.change_type.as_str())
        .collect();
    assert_eq!(types, ["ReleaseProduct", "ReleaseOffer"]);
}

#[test]
fn approval_covers_one_content_hash_and_names_what_changed() {
    let mut s = spec();
    let (p, o) = listing_of(&s);
    let live = LiveListing::read(&p, Some(&o));
    let hash = content_hash(&s);
    assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    // Not content: no approval needed.
    s.regions.future = "US".into();
    assert_eq!(content_hash(&s), hash, "regions are not listing content");
    assert!(check_approval(&s, &diff(&s, &live), false, "x.toml").is_ok());
    // Content with an outdated approval: refused, naming the fields.
    s.listing.title = "Another title".into();
    s.legal.refund_policy = "Ask us.".into();
    let err = check_approval(&s, &diff(&s, &live), false, "x.toml").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("changed: legal.refund_policy, listing.title"),
        "{msg}"
    );
    assert!(msg.contains("amipub approve --product x.toml"), "{msg}");
    // Recording the approval makes it pass, and leaves the rest of the file alone.
    let text = record_approval(SPEC, "https://example.org/t/1", &content_hash(&s), "ops").unwrap();
    assert!(text.contains("# Fedora Cloud Base (x86_64): the Fedora Project"));
    let mut approved = parse_spec(&text).unwrap();
    approved.listing.title = "Another title".into();
    approved.legal.refund_policy = "Ask us.".into();
    assert!(check_approval(&approved, &diff(&approved, &live), false, "x.toml").is_ok());
    assert!(check_approval(&approved, &[], true, "x.toml").is_ok());
    approved.listing.keywords.push("more".into());
    assert!(check_approval(&approved, &[], true, "x.toml").is_err());
}
