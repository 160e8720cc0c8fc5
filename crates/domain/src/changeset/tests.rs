//! Pins each change type's document to the field names of the developer guide
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>).

use serde_json::Value;

use super::offer;
use super::product::{self, VersionInput};
use crate::spec::ProductSpec;

const SPEC: &str = include_str!("../../../../examples/products/metered-appliance.toml");

fn spec() -> ProductSpec {
    crate::spec::parse_spec(SPEC).expect("example parses")
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn version() -> VersionInput {
    VersionInput {
        title: "1.4.0".into(),
        release_notes: "Fixes.".into(),
        ami_id: "ami-0123456789abcdef0".into(),
        access_role_arn: "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion".into(),
    }
}

#[test]
fn update_information_uses_the_documented_fields() {
    let c = product::update_information(&spec(), "prod-abcdefghijklm");
    assert_eq!(c.change_type, "UpdateInformation");
    assert_eq!(
        keys(&c.details_document),
        sorted(&[
            "ProductTitle",
            "ShortDescription",
            "LongDescription",
            "Sku",
            "LogoUrl",
            "VideoUrls",
            "Highlights",
            "AdditionalResources",
            "SupportDescription",
            "Categories",
            "SearchKeywords",
        ])
    );
    assert_eq!(
        keys(&c.details_document["AdditionalResources"][0]),
        sorted(&["Text", "Url"])
    );
}

#[test]
fn add_delivery_options_uses_the_documented_fields() {
    let s = spec();
    let c = product::add_delivery_options(
        &s.delivery,
        &s.instance_types.recommended,
        &version(),
        "prod-abcdefghijklm",
    );
    let d = &c.details_document;
    assert_eq!(keys(d), sorted(&["Version", "DeliveryOptions"]));
    assert_eq!(
        keys(&d["Version"]),
        sorted(&["VersionTitle", "ReleaseNotes"])
    );
    let details = &d["DeliveryOptions"][0]["Details"]["AmiDeliveryOptionDetails"];
    assert_eq!(
        keys(details),
        sorted(&[
            "AmiSource",
            "UsageInstructions",
            "RecommendedInstanceType",
            "SecurityGroups",
            "AccessEndpointUrl"
        ])
    );
    assert_eq!(
        keys(&details["AmiSource"]),
        sorted(&[
            "AmiId",
            "AccessRoleArn",
            "UserName",
            "OperatingSystemName",
            "OperatingSystemVersion",
            "ScanningPort"
        ])
    );
    assert_eq!(
        keys(&details["SecurityGroups"][0]),
        sorted(&["IpProtocol", "FromPort", "ToPort", "IpRanges"])
    );
    assert_eq!(
        keys(&details["AccessEndpointUrl"]),
        sorted(&["Port", "Protocol", "RelativePath"])
    );
    assert!(details["AmiSource"]["ScanningPort"].is_i64());
}

#[test]
fn product_change_types_use_the_documented_shapes() {
    let s = spec();
    let p = "prod-abcdefghijklm";
    assert_eq!(
        keys(&product::create_product(&s, "CreateProductChange").details_document),
        sorted(&["ProductTitle"])
    );
    assert_eq!(
        keys(&product::add_regions(&["us-east-1".into()], p)[0].details_document),
        sorted(&["Regions"])
    );
    let fut = product::future_region_support("All", p).details_document;
    assert_eq!(fut["FutureRegionSupport"]["SupportedRegions"][0], "All");
    assert_eq!(
        keys(&product::add_instance_types(&["m5.large".into()], p).details_document),
        sorted(&["InstanceTypes"])
    );
    let dims = product::add_dimensions(&s, p).unwrap().details_document;
    let first = &dims.as_array().unwrap()[0];
    assert_eq!(
        keys(first),
        sorted(&["Key", "Name", "Description", "Unit", "Types"])
    );
    let types: Vec<&str> = dims
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Types"][0].as_str().unwrap())
        .collect();
    assert!(types.contains(&"Metered") && types.contains(&"ExternallyMetered"));
    let t = product::update_targeting(&["111122223333".into()], p).details_document;
    assert_eq!(t["PositiveTargeting"]["BuyerAccounts"][0], "111122223333");
    assert_eq!(
        product::release_product(p).details_document,
        serde_json::json!({})
    );
    let r = product::restrict_delivery_options(&["6a1e4bb0-1111-2222-3333-444455556666".into()], p);
    assert_eq!(keys(&r[0].details_document), sorted(&["DeliveryOptionIds"]));
    assert_eq!(
        keys(&product::update_visibility("Public", p).details_document),
        sorted(&["TargetVisibility"])
    );
}

#[test]
fn offer_change_types_use_the_documented_shapes() {
    let s = spec();
    let o = "offer-abcdefghijklm";
    let create = offer::create_offer(
        &s,
        "$CreateProductChange.Entity.Identifier",
        "CreateOfferChange",
    );
    assert_eq!(create.entity.entity_type, "Offer@1.0");
    assert_eq!(
        keys(&create.details_document),
        sorted(&["ProductId", "Name"])
    );
    assert_eq!(
        keys(&offer::update_information(&s, o).details_document),
        sorted(&["Name", "Description"])
    );
    let pricing = offer::update_pricing_terms(&s, o).details_document;
    assert_eq!(pricing["PricingModel"], "Usage");
    let term = &pricing["Terms"][0];
    assert_eq!(keys(term), sorted(&["Type", "CurrencyCode", "RateCards"]));
    assert_eq!(term["Type"], "UsageBasedPricingTerm");
    assert_eq!(
        keys(&term["RateCards"][0]["RateCard"][0]),
        sorted(&["DimensionKey", "Price"])
    );
    let legal = offer::update_legal_terms(&s, o).details_document;
    assert_eq!(legal["Terms"][0]["Type"], "LegalTerm");
    assert_eq!(
        keys(&legal["Terms"][0]["Documents"][0]),
        sorted(&["Type", "Url"])
    );
    let support = offer::update_support_terms(&s, o).details_document;
    assert_eq!(
        keys(&support["Terms"][0]),
        sorted(&["Type", "RefundPolicy"])
    );
    let countries = offer::update_country_targeting(&s, o)
        .unwrap()
        .details_document;
    assert!(
        countries
            .get("PositiveTargeting")
            .or(countries.get("NegativeTargeting"))
            .is_some()
    );
    assert_eq!(
        offer::release_offer(o).details_document,
        serde_json::json!({})
    );
}

#[test]
fn every_price_in_the_rate_card_has_a_dimension() {
    let s = spec();
    let dims = product::dimension_docs(&s);
    let keys: Vec<&str> = dims.iter().map(|d| d["Key"].as_str().unwrap()).collect();
    for rate in offer::rate_card(&s) {
        assert!(
            keys.contains(&rate["DimensionKey"].as_str().unwrap()),
            "{rate}"
        );
    }
    assert_eq!(dims.len(), offer::rate_card(&s).len());
}

#[test]
fn split_keeps_groups_within_the_limit() {
    let changes: Vec<_> = (0..45)
        .map(|i| {
            super::Change::new(
                "RestrictDeliveryOptions",
                "AmiProduct@1.0",
                Some("prod-abcdefghijklm"),
                serde_json::json!({"N": i}),
            )
        })
        .collect();
    let groups = super::split_changes(changes).unwrap();
    assert_eq!(
        groups.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![20, 20, 5]
    );
}

#[test]
fn creations_tag_their_entity_with_the_product_and_nothing_else_does() {
    let s = spec();
    let tagged = serde_json::to_value(product::create_product(&s, "P")).unwrap_or_default();
    let want = serde_json::json!([{ "Key": "amipub:product", "Value": s.product.slug }]);
    assert_eq!(tagged["EntityTags"], want);
    let offer = serde_json::to_value(offer::create_offer(&s, "$P.Entity.Identifier", "O"))
        .unwrap_or_default();
    assert_eq!(offer["EntityTags"], want);
    let other =
        serde_json::to_value(product::future_region_support("All", "prod-x")).unwrap_or_default();
    assert!(other.get("EntityTags").is_none(), "{other}");
}
