//! DetailsDocuments of the `AmiProduct@1.0` change types, built from a product spec
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>).
//! Input field names differ from what DescribeEntity returns (compare the change-type and
//! entity-type shapes AWS publishes,
//! <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>); these are the
//! input names.

use serde::Serialize;
use serde_json::{Value, json};

use super::{AMI_PRODUCT, Change, doc};
use crate::spec::{Delivery, Dimension, ProductSpec};
use crate::tags::PRODUCT_TAG;

/// `CreateProduct`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateProduct<'a> {
    /// Title of the new draft product.
    pub product_title: &'a str,
}

/// `UpdateInformation` on a product.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateInformation<'a> {
    /// Title.
    pub product_title: &'a str,
    /// Short description.
    pub short_description: &'a str,
    /// Long description.
    pub long_description: &'a str,
    /// SKU (omitted when the spec has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<&'a str>,
    /// Logo.
    pub logo_url: &'a str,
    /// 0–1 videos.
    pub video_urls: Vec<&'a str>,
    /// 1–3 highlights.
    pub highlights: &'a [String],
    /// 0–3 links.
    pub additional_resources: Vec<AdditionalResource<'a>>,
    /// Support description.
    pub support_description: &'a str,
    /// 1–3 categories.
    pub categories: &'a [String],
    /// 1–15 keywords.
    pub search_keywords: &'a [String],
}

/// A link of `UpdateInformation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdditionalResource<'a> {
    /// Link text.
    pub text: &'a str,
    /// URL.
    pub url: &'a str,
}

/// `AddDeliveryOptions`: one new version with its AMI.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddDeliveryOptions<'a> {
    /// Title and notes.
    pub version: VersionInfo<'a>,
    /// Exactly one AMI delivery option.
    pub delivery_options: Vec<DeliveryOption<'a>>,
}

/// `Version` of `AddDeliveryOptions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo<'a> {
    /// Unique within the product.
    pub version_title: &'a str,
    /// Markdown.
    pub release_notes: &'a str,
}

/// One element of `DeliveryOptions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryOption<'a> {
    /// `{"AmiDeliveryOptionDetails": …}`.
    pub details: DeliveryDetails<'a>,
}

/// `Details` of a delivery option.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryDetails<'a> {
    /// The standalone-AMI option.
    pub ami_delivery_option_details: AmiDeliveryOptionDetails<'a>,
}

/// `AmiDeliveryOptionDetails`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmiDeliveryOptionDetails<'a> {
    /// The AMI and how Marketplace reads it.
    pub ami_source: AmiSource<'a>,
    /// How to use the product.
    pub usage_instructions: &'a str,
    /// Pre-selected instance type.
    pub recommended_instance_type: &'a str,
    /// Recommended inbound rules.
    pub security_groups: Vec<SecurityGroupRule<'a>>,
    /// Optional endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_endpoint_url: Option<AccessEndpointUrl<'a>>,
}

/// `AmiSource`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmiSource<'a> {
    /// AMI in us-east-1 of the seller account.
    pub ami_id: &'a str,
    /// The ingestion role.
    pub access_role_arn: &'a str,
    /// Login user.
    pub user_name: &'a str,
    /// OS name.
    pub operating_system_name: &'a str,
    /// OS version.
    pub operating_system_version: &'a str,
    /// Port the scan connects to.
    pub scanning_port: i64,
}

/// A recommended security-group rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule<'a> {
    /// tcp or udp.
    pub ip_protocol: &'a str,
    /// First port.
    pub from_port: i64,
    /// Last port.
    pub to_port: i64,
    /// CIDR blocks.
    pub ip_ranges: &'a [String],
}

/// `AccessEndpointUrl`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessEndpointUrl<'a> {
    /// Port.
    pub port: i64,
    /// http or https.
    pub protocol: &'a str,
    /// Path without leading '/'.
    pub relative_path: &'a str,
}

/// One element of the `AddDimensions` array.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DimensionDoc<'a> {
    /// Immutable key.
    pub key: &'a str,
    /// Name shown to buyers.
    pub name: &'a str,
    /// Description shown to buyers.
    pub description: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// `Metered` (hourly per instance type) or `ExternallyMetered` (custom usage).
    pub types: [&'static str; 1],
}

/// What a new version needs besides the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInput {
    /// Version title, rendered from the spec's template.
    pub title: String,
    /// Release notes, rendered from the spec's template.
    pub release_notes: String,
    /// The AMI in us-east-1 of the seller account.
    pub ami_id: String,
    /// The ingestion role ARN.
    pub access_role_arn: String,
}

/// `CreateProduct`, named so later changes can reference the new product.
pub fn create_product(spec: &ProductSpec, change_name: &str) -> Change {
    Change::new(
        "CreateProduct",
        AMI_PRODUCT,
        None,
        doc(&CreateProduct {
            product_title: &spec.listing.title,
        }),
    )
    .named(change_name)
    .tagged(&[(PRODUCT_TAG, &spec.product.slug)])
}

/// `UpdateInformation` with every listing field.
pub fn update_information(spec: &ProductSpec, product: &str) -> Change {
    let l = &spec.listing;
    let d = UpdateInformation {
        product_title: &l.title,
        short_description: &l.short_description,
        long_description: &l.long_description,
        sku: l.sku.as_deref(),
        logo_url: &l.logo_url,
        video_urls: l.video_url.iter().map(String::as_str).collect(),
        highlights: &l.highlights,
        additional_resources: l
            .additional_resources
            .iter()
            .map(|r| AdditionalResource {
                text: &r.text,
                url: &r.url,
            })
            .collect(),
        support_description: &l.support_description,
        categories: &l.categories,
        search_keywords: &l.keywords,
    };
    Change::new("UpdateInformation", AMI_PRODUCT, Some(product), doc(&d))
}

/// `AddRegions`, one change per 100 Regions (the per-change limit).
pub fn add_regions(regions: &[String], product: &str) -> Vec<Change> {
    regions_changes("AddRegions", regions, product)
}

/// `AddRegions` or `RestrictRegions`, one change per 100 Regions.
fn regions_changes(kind: &str, regions: &[String], product: &str) -> Vec<Change> {
    regions
        .chunks(crate::limits::REGIONS_PER_CHANGE_MAX)
        .map(|chunk| {
            Change::new(
                kind,
                AMI_PRODUCT,
                Some(product),
                json!({ "Regions": chunk }),
            )
        })
        .collect()
}

/// `UpdateFutureRegionSupport`.
pub fn future_region_support(setting: &str, product: &str) -> Change {
    Change::new(
        "UpdateFutureRegionSupport",
        AMI_PRODUCT,
        Some(product),
        json!({ "FutureRegionSupport": { "SupportedRegions": [setting] } }),
    )
}

/// `AddInstanceTypes`.
pub fn add_instance_types(types: &[String], product: &str) -> Change {
    Change::new(
        "AddInstanceTypes",
        AMI_PRODUCT,
        Some(product),
        json!({ "InstanceTypes": types }),
    )
}

/// `AddDeliveryOptions` for one version.
pub fn add_delivery_options(
    d: &Delivery,
    recommended: &str,
    v: &VersionInput,
    product: &str,
) -> Change {
    let details = AmiDeliveryOptionDetails {
        ami_source: AmiSource {
            ami_id: &v.ami_id,
            access_role_arn: &v.access_role_arn,
            user_name: &d.os_user,
            operating_system_name: &d.os_name,
            operating_system_version: &d.os_version,
            scanning_port: d.scanning_port,
        },
        usage_instructions: &d.usage_instructions,
        recommended_instance_type: recommended,
        security_groups: d
            .security_groups
            .iter()
            .map(|s| SecurityGroupRule {
                ip_protocol: &s.protocol,
                from_port: s.from_port,
                to_port: s.to_port,
                ip_ranges: &s.cidrs,
            })
            .collect(),
        access_endpoint_url: d.access_endpoint.as_ref().map(|e| AccessEndpointUrl {
            port: e.port,
            protocol: &e.protocol,
            relative_path: &e.relative_path,
        }),
    };
    let body = AddDeliveryOptions {
        version: VersionInfo {
            version_title: &v.title,
            release_notes: &v.release_notes,
        },
        delivery_options: vec![DeliveryOption {
            details: DeliveryDetails {
                ami_delivery_option_details: details,
            },
        }],
    };
    Change::new("AddDeliveryOptions", AMI_PRODUCT, Some(product), doc(&body))
}

/// `RestrictDeliveryOptions` for retired versions' delivery options (1–50 ids per change).
pub fn restrict_delivery_options(ids: &[String], product: &str) -> Vec<Change> {
    ids.chunks(50)
        .map(|c| {
            Change::new(
                "RestrictDeliveryOptions",
                AMI_PRODUCT,
                Some(product),
                json!({ "DeliveryOptionIds": c }),
            )
        })
        .collect()
}

/// The pricing dimensions: one `Metered` dimension per instance type (hourly, and also for
/// free products, priced at zero) and one `ExternallyMetered` dimension per custom dimension.
pub fn dimension_docs(spec: &ProductSpec) -> Vec<Value> {
    let mut out: Vec<Value> = spec
        .instance_types
        .available
        .iter()
        .filter(|t| !spec.is_paid() || spec.pricing.hourly.contains_key(*t))
        .map(|t| {
            doc(&DimensionDoc {
                key: t,
                name: t,
                description: t,
                unit: "Hrs",
                types: ["Metered"],
            })
        })
        .collect();
    out.extend(spec.pricing.dimensions.iter().map(|d: &Dimension| {
        doc(&DimensionDoc {
            key: &d.key,
            name: &d.name,
            description: &d.description,
            unit: &d.unit,
            types: ["ExternallyMetered"],
        })
    }));
    out
}

/// `AddDimensions` (its document is an array).
pub fn add_dimensions(spec: &ProductSpec, product: &str) -> Option<Change> {
    dimensions_change(dimension_docs(spec), product)
}

/// `AddDimensions` of these dimension documents; `None` for none.
pub fn dimensions_change(dims: Vec<Value>, product: &str) -> Option<Change> {
    (!dims.is_empty()).then(|| {
        Change::new(
            "AddDimensions",
            AMI_PRODUCT,
            Some(product),
            Value::Array(dims),
        )
    })
}

/// `UpdateTargeting`: the allowlist of a Limited product.
pub fn update_targeting(accounts: &[String], product: &str) -> Change {
    Change::new(
        "UpdateTargeting",
        AMI_PRODUCT,
        Some(product),
        json!({ "PositiveTargeting": { "BuyerAccounts": accounts } }),
    )
}

/// `ReleaseProduct`: Draft → Limited.
pub fn release_product(product: &str) -> Change {
    Change::new("ReleaseProduct", AMI_PRODUCT, Some(product), json!({}))
}

/// `UpdateVisibility`: Limited → Public (reviewed by AWS; submitted alone).
pub fn update_visibility(target: &str, product: &str) -> Change {
    Change::new(
        "UpdateVisibility",
        AMI_PRODUCT,
        Some(product),
        json!({ "TargetVisibility": target }),
    )
}

/// `RestrictRegions`: stop offering the product in these Regions (existing buyers keep access).
pub fn restrict_regions(regions: &[String], product: &str) -> Vec<Change> {
    regions_changes("RestrictRegions", regions, product)
}

/// `RestrictInstanceTypes`.
pub fn restrict_instance_types(types: &[String], product: &str) -> Change {
    Change::new(
        "RestrictInstanceTypes",
        AMI_PRODUCT,
        Some(product),
        json!({ "InstanceTypes": types }),
    )
}
