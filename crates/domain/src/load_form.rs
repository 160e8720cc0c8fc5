//! The classic "product load form" as a table: one row per product listing, with the columns a
//! seller used to fill in (marketing, regions, instance types, version, delivery, pricing, legal).
//! Pure: the `loadform` crate writes this table as XLSX and CSV.

use crate::spec::ProductSpec;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "Product Slug",
    "Product ID",
    "Product Title",
    "SKU",
    "Short Description",
    "Long Description",
    "Highlight 1",
    "Highlight 2",
    "Highlight 3",
    "Category 1",
    "Category 2",
    "Category 3",
    "Search Keywords",
    "Logo URL",
    "Video URL",
    "Support Description",
    "Additional Resources",
    "Architecture",
    "Regions",
    "Future Region Support",
    "GovCloud",
    "Instance Types",
    "Recommended Instance Type",
    "Version Title",
    "AMI ID",
    "Release Notes",
    "Operating System",
    "Operating System Version",
    "OS User Name",
    "Scanning Port",
    "Usage Instructions",
    "Security Groups",
    "Access Endpoint",
    "Pricing Model",
    "Hourly Prices (USD)",
    "Usage Dimensions",
    "EULA",
    "Refund Policy",
    "Availability",
    "Allowlisted Accounts",
];

/// The latest version of a product, when one is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionColumns {
    /// Version title.
    pub title: String,
    /// AMI id.
    pub ami_id: String,
    /// Release notes.
    pub release_notes: String,
}

/// One row for `spec`.
pub fn row(spec: &ProductSpec, version: Option<&VersionColumns>) -> Vec<String> {
    let l = &spec.listing;
    let d = &spec.delivery;
    let nth = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let version = version.cloned().unwrap_or_default();
    let regions = if spec.regions.all {
        format!("All ({})", spec.region_codes().join(", "))
    } else {
        spec.region_codes().join(", ")
    };
    let groups = d
        .security_groups
        .iter()
        .map(|s| {
            format!(
                "{} {}-{} {}",
                s.protocol,
                s.from_port,
                s.to_port,
                s.cidrs.join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let endpoint = d
        .access_endpoint
        .as_ref()
        .map(|e| format!("{}://<instance>:{}/{}", e.protocol, e.port, e.relative_path))
        .unwrap_or_default();
    let hourly = spec
        .pricing
        .hourly
        .iter()
        .map(|(t, p)| format!("{t}={p}"))
        .collect::<Vec<_>>()
        .join("; ");
    let dims = spec
        .pricing
        .dimensions
        .iter()
        .map(|x| format!("{} ({}, {} at {} USD)", x.key, x.name, x.unit, x.price))
        .collect::<Vec<_>>()
        .join("; ");
    let availability = if !spec.availability.include.is_empty() {
        format!("Only: {}", spec.availability.include.join(", "))
    } else if !spec.availability.exclude.is_empty() {
        format!("All except: {}", spec.availability.exclude.join(", "))
    } else {
        "All countries".to_owned()
    };
    let eula = if spec.legal.eula == "standard" {
        format!(
            "Standard Contract for AWS Marketplace ({})",
            crate::changeset::offer::STANDARD_EULA_VERSION
        )
    } else {
        spec.legal.eula.clone()
    };
    vec![
        spec.product.slug.clone(),
        spec.product.id.clone().unwrap_or_default(),
        l.title.clone(),
        l.sku.clone().unwrap_or_default(),
        l.short_description.clone(),
        l.long_description.clone(),
        nth(&l.highlights, 0),
        nth(&l.highlights, 1),
        nth(&l.highlights, 2),
        nth(&l.categories, 0),
        nth(&l.categories, 1),
        nth(&l.categories, 2),
        l.keywords.join(", "),
        l.logo_url.clone(),
        l.video_url.clone().unwrap_or_default(),
        l.support_description.clone(),
        l.additional_resources
            .iter()
            .map(|r| format!("{} <{}>", r.text, r.url))
            .collect::<Vec<_>>()
            .join("; "),
        spec.product.architecture.clone(),
        regions,
        spec.regions.future.clone(),
        if spec.regions.govcloud { "Yes" } else { "No" }.to_owned(),
        spec.instance_types.available.join(", "),
        spec.instance_types.recommended.clone(),
        version.title,
        version.ami_id,
        version.release_notes,
        d.os_name.clone(),
        d.os_version.clone(),
        d.os_user.clone(),
        d.scanning_port.to_string(),
        d.usage_instructions.clone(),
        groups,
        endpoint,
        if spec.is_paid() { "Paid" } else { "Free" }.to_owned(),
        hourly,
        dims,
        eula,
        spec.legal.refund_policy.clone(),
        availability,
        spec.allowlist.buyer_accounts.join(", "),
    ]
}
