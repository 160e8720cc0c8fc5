//! The product spec: one TOML file per Marketplace listing, holding everything the classic
//! product load form held plus amipub's automation rules (intake, templates, retention, SSM,
//! announcements). The field reference is `docs/usage/product-spec.md`.
//!
//! The model is deliberately permissive in its types (strings for identifiers, wide integers for
//! ports) so that a spec with many mistakes still parses and `validate` can report every problem
//! at once with its line. Unknown keys are refused at parse time (`deny_unknown_fields`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole product spec file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSpec {
    /// Identity of the listing.
    pub product: ProductSection,
    /// What buyers read: titles, descriptions, media, categories.
    pub listing: Listing,
    /// Where the product is sold.
    pub regions: Regions,
    /// Instance types buyers may launch.
    pub instance_types: InstanceTypes,
    /// How each version is delivered and scanned.
    pub delivery: Delivery,
    /// Free or paid, and how.
    pub pricing: Pricing,
    /// Contract and refund policy.
    pub legal: Legal,
    /// Which countries may buy.
    #[serde(default)]
    pub availability: Availability,
    /// Buyer accounts that see the product while it is Limited.
    #[serde(default)]
    pub allowlist: Allowlist,
    /// The marketing approval that covers the listing content.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// Which build announcements become releases of this product.
    #[serde(default)]
    pub intake: Option<Intake>,
    /// How version titles and release notes are written.
    pub versions: Versions,
    /// Which old versions are restricted and cleaned up.
    #[serde(default)]
    pub retention: Retention,
    /// SSM parameters written for each release.
    #[serde(default)]
    pub ssm: Option<Ssm>,
    /// Announcements of each release.
    #[serde(default)]
    pub announce: Announce,
}

/// `[product]`: who the listing is.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSection {
    /// amipub's own short name for the product: lower-case letters, digits and '-'.
    pub slug: String,
    /// The Marketplace entity id, once the listing exists.
    #[serde(default)]
    pub id: Option<String>,
    /// The public offer's entity id, once it exists.
    #[serde(default)]
    pub offer_id: Option<String>,
    /// The Marketplace product code, once the listing exists.
    #[serde(default)]
    pub product_code: Option<String>,
    /// `x86_64` or `arm64`; every version of the listing has this architecture.
    pub architecture: String,
    /// How versions reach the Marketplace: `catalog` (the seller's own change sets, the default)
    /// or `second-party` (AWS is the seller of record: clones, shares and the load form).
    #[serde(default)]
    pub delivery_path: DeliveryPath,
}

/// How a product's versions reach the Marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum DeliveryPath {
    /// Self-service: the seller's Catalog API change sets.
    #[default]
    #[serde(rename = "catalog")]
    Catalog,
    /// "Provided by AWS": clones in every Region shared with the Marketplace, and the second-party
    /// load form, which the Marketplace's catalog team publishes.
    #[serde(rename = "second-party")]
    SecondParty,
}

/// `[listing]`: the marketing information.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Product title, 1–72 characters.
    pub title: String,
    /// Short description, up to 1000 characters.
    pub short_description: String,
    /// Long description, up to 5000 characters.
    pub long_description: String,
    /// Public HTTPS URL of the logo (png, jpg or gif).
    pub logo_url: String,
    /// Optional HTTPS URL of a product video.
    #[serde(default)]
    pub video_url: Option<String>,
    /// 1–3 highlights, each up to 500 characters.
    pub highlights: Vec<String>,
    /// 1–3 category names from the Marketplace list.
    pub categories: Vec<String>,
    /// 1–15 search keywords, each up to 50 characters, 250 in total.
    pub keywords: Vec<String>,
    /// How buyers get support, up to 2000 characters.
    pub support_description: String,
    /// Optional seller SKU, up to 72 characters.
    #[serde(default)]
    pub sku: Option<String>,
    /// Up to 3 links shown with the listing.
    #[serde(default)]
    pub additional_resources: Vec<Resource>,
}

/// A link shown with the listing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Link text, up to 500 characters.
    pub text: String,
    /// http(s) URL.
    pub url: String,
}

/// `[regions]`: where the product is sold.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// Every commercial Marketplace Region (exclusive with `include`).
    #[serde(default)]
    pub all: bool,
    /// An explicit list of commercial Region codes (exclusive with `all`).
    #[serde(default)]
    pub include: Vec<String>,
    /// Future-region support: `All`, `US` or `None`.
    #[serde(default = "default_future")]
    pub future: String,
    /// Also list the product in the GovCloud (US) Regions.
    #[serde(default)]
    pub govcloud: bool,
}

fn default_future() -> String {
    "None".to_owned()
}

/// `[instance_types]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypes {
    /// Types buyers may launch (with `all_current`, besides the current ones).
    #[serde(default)]
    pub available: Vec<String>,
    /// The type pre-selected for buyers; must be one of `available`.
    pub recommended: String,
    /// Every current-generation instance type of the product's architecture, as EC2's
    /// DescribeInstanceTypes lists it when a plan is made (new types are added as they appear).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_current: bool,
    /// Types `all_current` leaves out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl InstanceTypes {
    /// The types a listing offers when EC2's current-generation types of the product's
    /// architecture are `current`: `available`, and with `all_current` every current type not
    /// excluded; sorted, without repeats.
    pub fn resolved(&self, current: &[String]) -> Vec<String> {
        let mut out = self.available.clone();
        if self.all_current {
            out.extend(
                current
                    .iter()
                    .filter(|t| !self.exclude.contains(t))
                    .cloned(),
            );
        }
        out.sort();
        out.dedup();
        out
    }
}

/// `[delivery]`: per-version delivery details (the AddDeliveryOptions fields).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Operating system name, e.g. `AMAZONLINUX`, `FEDORA`.
    pub os_name: String,
    /// Operating system version, e.g. `41`.
    pub os_version: String,
    /// The user buyers log in as, e.g. `fedora`, `ec2-user`.
    pub os_user: String,
    /// The port the security scan connects to (22 for SSH, 3389 for RDP).
    #[serde(default = "default_scanning_port")]
    pub scanning_port: i64,
    /// How to use the product once launched.
    pub usage_instructions: String,
    /// Recommended security-group rules, 1–25.
    pub security_groups: Vec<SecurityGroup>,
    /// Optional endpoint buyers open after launch.
    #[serde(default)]
    pub access_endpoint: Option<AccessEndpoint>,
}

fn default_scanning_port() -> i64 {
    22
}

/// A recommended inbound rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    /// `tcp` or `udp`.
    pub protocol: String,
    /// First port, 1–65535.
    pub from_port: i64,
    /// Last port, from_port–65535.
    pub to_port: i64,
    /// 1–5 IPv4 CIDR blocks.
    pub cidrs: Vec<String>,
}

/// The endpoint buyers open after launch.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEndpoint {
    /// `http` or `https`.
    pub protocol: String,
    /// 1–65535.
    pub port: i64,
    /// Path without a leading '/'.
    pub relative_path: String,
}

/// `[pricing]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// `free` or `paid`.
    pub model: String,
    /// Paid: USD per instance-hour for each available instance type.
    #[serde(default)]
    pub hourly: BTreeMap<String, String>,
    /// Paid: custom usage dimensions reported by the metering agent.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Paid with dimensions: the `amipub-meter` configuration shipped in the AMI (a path
    /// relative to the spec file), so `validate` can check that it measures every dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_config: Option<String>,
}

/// A custom usage dimension (`ExternallyMetered`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// API key, immutable once published: letters, digits, '_', '.', '-'.
    pub key: String,
    /// Name shown to buyers.
    pub name: String,
    /// Description shown to buyers.
    pub description: String,
    /// One of users, hosts, data, bandwidth, requests, tiers, units.
    pub category: String,
    /// The unit; must suit the category (e.g. `Users`, `GB`).
    pub unit: String,
    /// USD per unit, up to 8 decimals.
    pub price: String,
}

/// `[legal]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Legal {
    /// `standard` (the Standard Contract for AWS Marketplace) or an HTTPS URL of a custom EULA.
    pub eula: String,
    /// The refund policy shown to buyers, 1–500 characters.
    pub refund_policy: String,
}

/// `[availability]`: the countries that may buy.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    /// Only these ISO 3166 alpha-2 codes (exclusive with `exclude`).
    #[serde(default)]
    pub include: Vec<String>,
    /// Every country except these (exclusive with `include`).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[allowlist]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// 12-digit buyer account ids.
    #[serde(default)]
    pub buyer_accounts: Vec<String>,
}

/// `[approval]`: the marketing sign-off for the listing content.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Where the approval was given (a ticket URL or id).
    pub reference: String,
    /// `sha256:<64 hex>` content hash the approval covers.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// Who recorded it (a login name or the console's identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `[intake]`: which build announcements belong to this product.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// AMQP topic pattern (`*` one word, `#` any words).
    pub topic: String,
    /// Required subvariant, e.g. `Cloud_Base`.
    #[serde(default)]
    pub subvariant: Option<String>,
    /// Required release: a number, `*`, or `rawhide`.
    #[serde(default = "default_any")]
    pub release: String,
    /// Build architecture as the distribution names it (`x86_64`, `aarch64`).
    pub arch: String,
    /// Glob on the image name (`*` any characters, `?` one).
    #[serde(default = "default_any")]
    pub image_name: String,
    /// Region whose AMI is copied into the seller account.
    #[serde(default = "default_source_region")]
    pub source_region: String,
    /// A Fedora CoreOS stream (`stable`, `testing`, `next`): the product takes its builds from
    /// that stream's metadata when `coreos.stream.metadata.update` says it changed, and a
    /// stream that goes back to an older release rolls the aliases back.
    #[serde(default)]
    pub stream: Option<String>,
}

fn default_any() -> String {
    "*".to_owned()
}

fn default_source_region() -> String {
    "us-east-1".to_owned()
}

/// `[versions]`: templates for each release.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// Version title template, e.g. `{release}.{compose_date}`.
    pub title_template: String,
    /// Release notes template (Markdown).
    pub release_notes_template: String,
}

/// `[retention]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Keep this many newest versions public; older ones are restricted.
    #[serde(default = "default_keep")]
    pub keep_latest: i64,
    /// Days after restriction before seller-side AMIs and snapshots are removed.
    #[serde(default = "default_grace")]
    pub grace_days: i64,
    /// Days a retired seller-side AMI must have gone without a launch before it is deleted:
    /// one still launched is kept (and deleted once it has rested that long).
    #[serde(default = "default_idle")]
    pub idle_days: i64,
    /// Releases whose versions are restricted after a date.
    #[serde(default)]
    pub end_of_life: Vec<EndOfLife>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            keep_latest: default_keep(),
            grace_days: default_grace(),
            idle_days: default_idle(),
            end_of_life: Vec::new(),
        }
    }
}

fn default_keep() -> i64 {
    3
}

fn default_idle() -> i64 {
    30
}

fn default_grace() -> i64 {
    30
}

/// One release's end of life.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndOfLife {
    /// The release, as in the build announcements.
    pub release: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

/// `[ssm]`: parameter name templates.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ssm {
    /// Immutable per-version name; must use `{version}`.
    pub versioned: String,
    /// Alias name → template (e.g. `latest`), promoted after verification.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

/// `[announce]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Announce {
    /// Whether releases are announced at all.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The topic (without the environment prefix), a template.
    #[serde(default = "default_topic")]
    pub topic: String,
    /// Whether the product appears in the JSON feed file.
    #[serde(default = "default_true")]
    pub feed: bool,
}

impl Default for Announce {
    fn default() -> Self {
        Self {
            enabled: true,
            topic: default_topic(),
            feed: true,
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_topic() -> String {
    "amipub.release.published.v1".to_owned()
}

impl ProductSpec {
    /// The Region codes the listing covers, commercial first, then GovCloud when enabled.
    pub fn region_codes(&self) -> Vec<String> {
        let mut out: Vec<String> = if self.regions.all {
            crate::catalog_data::commercial_regions()
                .map(|r| r.code.clone())
                .collect()
        } else {
            self.regions.include.clone()
        };
        if self.regions.govcloud {
            out.extend(crate::catalog_data::govcloud_regions().map(|r| r.code.clone()));
        }
        out
    }

    /// Whether buyers pay for the product.
    pub fn is_paid(&self) -> bool {
        self.pricing.model == "paid"
    }
}
