//! The rows amipub writes into the second-party product load form: the "New AMI Version " row of
//! a release and the "Metadata Update" row of a product, as (header text, value) pairs. The
//! header texts are the workbook's (`docs/development/second-party.md`); the workbook filler
//! matches them with whitespace folded.

use crate::ids::Region;
use crate::release::Release;
use crate::spec::ProductSpec;

/// A cell's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A boolean (`TRUE`/`FALSE` in the workbook).
    Bool(bool),
}

/// One row: (header text, value).
pub type Row = Vec<(String, Value)>;

/// The header of a Region's clone column.
pub fn clone_header(region: &str) -> String {
    format!("{region} Cloned AMI ID")
}

/// The Region a clone column's header names, if it is one.
pub fn region_of_header(header: &str) -> Option<&str> {
    header.strip_suffix(" Cloned AMI ID")
}

fn text(header: &str, value: impl Into<String>) -> (String, Value) {
    (header.to_owned(), Value::Text(value.into()))
}

/// The release's row of the "New AMI Version " sheet: the product, the version title, the
/// rendered release notes, the source AMI and one clone per Region (us-east-1's in its own
/// required column). Fails naming what is missing (no product id, a Region without a clone).
pub fn new_version_row(spec: &ProductSpec, r: &Release) -> Result<Row, String> {
    let id = spec.product.id.clone().ok_or_else(|| {
        format!(
            "product {} has no [product] id; the form's first column needs it",
            r.product
        )
    })?;
    let clones = r
        .second_party
        .as_ref()
        .map(|sp| &sp.clones)
        .ok_or_else(|| format!("release {} is not on the second-party path", r.id))?;
    let clone_of = |g: &Region| -> Result<String, String> {
        clones
            .get(g)
            .filter(|c| c.available)
            .map(|c| c.ami.clone())
            .ok_or_else(|| format!("no available clone in {g}"))
    };
    let east = Region::known("us-east-1");
    let mut row = vec![
        text("Product ID or ASIN or URL", id),
        text("Product Title", spec.listing.title.clone()),
        text("New Version Title", r.version.clone()),
        text("Release Notes", r.notes.clone()),
        text("us-east-1 Cloned AMI ID", clone_of(&east)?),
        text("Source AMI ID", r.source_ami.clone()),
    ];
    for g in r.expected_regions.iter().filter(|g| **g != east) {
        row.push(text(&clone_header(g.as_str()), clone_of(g)?));
    }
    Ok(row)
}

/// The product's row of the "Metadata Update" sheet: the listing as the spec has it, one
/// `<region> Availability` per listed Region and one `<instance type> Availability` per listed
/// instance type.
pub fn metadata_row(spec: &ProductSpec) -> Row {
    let l = &spec.listing;
    let d = &spec.delivery;
    let mut row = vec![
        text(
            "Product ID or ASIN or URL",
            spec.product.id.clone().unwrap_or_default(),
        ),
        text("Product Title", l.title.clone()),
        text(
            "Accessibility",
            if spec.allowlist.buyer_accounts.is_empty() {
                "Public"
            } else {
                "Limited"
            },
        ),
        text(
            "Accessible AWS Accounts",
            spec.allowlist.buyer_accounts.join(","),
        ),
        text("EULA URL", spec.legal.eula.clone()),
        text("Short Description", l.short_description.clone()),
        text("Description", l.long_description.clone()),
        text("Search Keywords", l.keywords.join(",")),
        text("Image URL", l.logo_url.clone()),
        text("Product Video", l.video_url.clone().unwrap_or_default()),
        ("Support Offered".to_owned(), Value::Bool(true)),
        text("Support Information", l.support_description.clone()),
        text("Type", "Single AMI"),
        text("AMI Virtualization Type", "HVM"),
        text("Architecture", spec.product.architecture.clone()),
        text("Operating System", d.os_name.clone()),
        text("Operating System Version", d.os_version.clone()),
        text("Operating System username", d.os_user.clone()),
        text("Usage Instructions", d.usage_instructions.clone()),
    ];
    for (i, h) in l.highlights.iter().take(3).enumerate() {
        row.push(text(&format!("Highlight{}", i + 1), h.clone()));
    }
    for (i, c) in l.categories.iter().take(3).enumerate() {
        row.push(text(&format!("Product Category{}", i + 1), c.clone()));
    }
    for (i, res) in l.additional_resources.iter().take(3).enumerate() {
        row.push(text(&format!("Resource{}_Name", i + 1), res.text.clone()));
        row.push(text(&format!("Resource{}_URL", i + 1), res.url.clone()));
    }
    for g in spec.region_codes() {
        row.push((format!("{g} Availability"), Value::Bool(true)));
    }
    for t in &spec.instance_types.available {
        row.push((format!("{t} Availability"), Value::Bool(true)));
    }
    row
}
