//! Documented AWS Marketplace limits, in one place. Every number names the change type or request
//! it limits, so a reader can check it against the page that documents it:
//!
//! - product change types (UpdateInformation, AddDimensions, product UpdateTargeting):
//!   <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>
//! - AddDeliveryOptions, AddRegions, AddInstanceTypes:
//!   <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>
//! - offer change types (offer UpdateInformation and UpdateTargeting, UpdatePricingTerms,
//!   UpdateLegalTerms, UpdateSupportTerms):
//!   <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>
//! - StartChangeSet and each change in it:
//!   <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_StartChangeSet.html>,
//!   <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_Change.html>
//! - custom metering:
//!   <https://docs.aws.amazon.com/marketplace/latest/userguide/custom-metering-pricing-ami-products.html>
//!
//! The DetailsDocument shapes AWS publishes
//! (<https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>) state most of
//! these lengths in code as well. Where two sources disagree the stricter number is kept; those
//! choices are in `docs/development/decisions.md`.

/// ProductTitle: 1–72 characters (UpdateInformation).
pub const TITLE_MAX_CHARS: usize = 72;
/// ShortDescription: up to 1000 characters (UpdateInformation).
pub const SHORT_DESCRIPTION_MAX_CHARS: usize = 1000;
/// LongDescription: up to 5000 characters (UpdateInformation).
pub const LONG_DESCRIPTION_MAX_CHARS: usize = 5000;
/// Sku: the API allows 100 but the portal only 72, so 72 keeps both happy (UpdateInformation;
/// `docs/development/decisions.md`).
pub const SKU_MAX_CHARS: usize = 72;
/// Highlights: 1–3 items (UpdateInformation).
pub const HIGHLIGHTS_MAX: usize = 3;
/// Each highlight: up to 500 characters (UpdateInformation).
pub const HIGHLIGHT_MAX_CHARS: usize = 500;
/// Categories: 1–3 items (UpdateInformation).
pub const CATEGORIES_MAX: usize = 3;
/// SearchKeywords: 1–15 items (UpdateInformation).
pub const KEYWORDS_MAX: usize = 15;
/// Each keyword: up to 50 characters (UpdateInformation).
pub const KEYWORD_MAX_CHARS: usize = 50;
/// All keywords together: up to 250 characters (UpdateInformation, `INVALID_INPUT`).
pub const KEYWORDS_TOTAL_MAX_CHARS: usize = 250;
/// SupportDescription: up to 2000 characters (UpdateInformation).
pub const SUPPORT_DESCRIPTION_MAX_CHARS: usize = 2000;
/// VideoUrls: 0–1 items (UpdateInformation).
pub const VIDEOS_MAX: usize = 1;
/// AdditionalResources: 0–3 items, Text up to 500 characters (UpdateInformation).
pub const RESOURCES_MAX: usize = 3;
/// AdditionalResources Text: up to 500 characters (UpdateInformation).
pub const RESOURCE_TEXT_MAX_CHARS: usize = 500;
/// Media URLs: up to 2048 characters (UpdateInformation, `INVALID_MEDIA`).
pub const MEDIA_URL_MAX_CHARS: usize = 2048;
/// VersionTitle: 1–64 characters (AddDeliveryOptions).
pub const VERSION_TITLE_MAX_CHARS: usize = 64;
/// ReleaseNotes: 1–30000 characters (AddDeliveryOptions).
pub const RELEASE_NOTES_MAX_CHARS: usize = 30000;
/// UsageInstructions: up to 4000 characters (AddDeliveryOptions).
pub const USAGE_INSTRUCTIONS_MAX_CHARS: usize = 4000;
/// OperatingSystemName / OperatingSystemVersion: up to 100 characters (AddDeliveryOptions).
pub const OS_FIELD_MAX_CHARS: usize = 100;
/// SecurityGroups: 1–25 rules (AddDeliveryOptions).
pub const SECURITY_GROUPS_MAX: usize = 25;
/// IpRanges per rule: 1–5 CIDRs (AddDeliveryOptions).
pub const CIDRS_MAX: usize = 5;
/// AccessEndpointUrl.RelativePath: up to 2000 characters (AddDeliveryOptions).
pub const RELATIVE_PATH_MAX_CHARS: usize = 2000;
/// InstanceTypes per AddInstanceTypes: 1–1500.
pub const INSTANCE_TYPES_MAX: usize = 1500;
/// Regions per AddRegions: 1–100.
pub const REGIONS_PER_CHANGE_MAX: usize = 100;
/// Product allowlist: 0–100 accounts (product UpdateTargeting: the stricter of shapes 100 / docs
/// 5000).
pub const ALLOWLIST_MAX: usize = 100;
/// Custom usage dimensions on an AMI product: at most 24 (custom metering).
pub const CUSTOM_DIMENSIONS_MAX: usize = 24;
/// Dimensions per product: at most 200 (AddDimensions).
pub const DIMENSIONS_MAX: usize = 200;
/// Dimension Key: up to 100 characters (AddDimensions).
pub const DIMENSION_KEY_MAX_CHARS: usize = 100;
/// Dimension Name: up to 500 characters (AddDimensions).
pub const DIMENSION_NAME_MAX_CHARS: usize = 500;
/// Dimension Description: up to 1000 characters (AddDimensions).
pub const DIMENSION_DESCRIPTION_MAX_CHARS: usize = 1000;
/// Dimension Unit: up to 20 characters (AddDimensions).
pub const DIMENSION_UNIT_MAX_CHARS: usize = 20;
/// RateCard entries per term: 1–800 (UpdatePricingTerms).
pub const RATE_CARD_MAX: usize = 800;
/// Usage prices: up to 8 decimals, at most 100000000 (UpdatePricingTerms).
pub const PRICE_MAX_DECIMALS: usize = 8;
/// RefundPolicy: 1–500 characters (UpdateSupportTerms).
pub const REFUND_POLICY_MAX_CHARS: usize = 500;
/// Custom EULA URL: up to 32000 characters (UpdateLegalTerms).
pub const EULA_URL_MAX_CHARS: usize = 32000;
/// Offer country targeting: 1–244 codes (offer UpdateTargeting).
pub const COUNTRIES_MAX: usize = 244;
/// Offer Name: 1–150 characters (offer UpdateInformation).
pub const OFFER_NAME_MAX_CHARS: usize = 150;
/// Offer Description: 1–255 characters (offer UpdateInformation).
pub const OFFER_DESCRIPTION_MAX_CHARS: usize = 255;
/// Changes per change set: 1–20 (StartChangeSet).
pub const CHANGES_PER_CHANGE_SET_MAX: usize = 20;
/// ChangeSetName: 1–100 characters of `[\w\s+=.:@-]` (StartChangeSet).
pub const CHANGE_SET_NAME_MAX_CHARS: usize = 100;
/// ClientRequestToken: 1–64 printable ASCII characters (StartChangeSet).
pub const CLIENT_REQUEST_TOKEN_MAX_CHARS: usize = 64;
/// ChangeName: 1–72 letters (the Change in StartChangeSet).
pub const CHANGE_NAME_MAX_CHARS: usize = 72;
/// SSM parameter names: up to 1011 characters and 15 levels (SSM PutParameter documentation).
pub const SSM_NAME_MAX_CHARS: usize = 1011;
/// SSM parameter hierarchy depth.
pub const SSM_NAME_MAX_LEVELS: usize = 15;
/// Product slug: short enough to leave room in change-set names and tokens.
pub const SLUG_MAX_CHARS: usize = 40;
