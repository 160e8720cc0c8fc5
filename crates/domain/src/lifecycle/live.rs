//! The live listing: the comparable fields of a product and its public offer as DescribeEntity
//! returns them (output names, which differ from the change types' input names; see the
//! entity-type shapes AWS publishes,
//! <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>), and the product's
//! versions with their delivery options.
//!
//! Every field is turned into a canonical `Value` (text, sorted list for sets, object for maps),
//! the same shape `diff::desired` makes from a spec, so the two compare with `==`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One version of the product as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveVersion {
    /// The version's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `CreationDate` (ISO 8601, so it sorts as text).
    pub created: String,
    /// The delivery option's id (what RestrictDeliveryOptions takes).
    pub option_id: Option<String>,
    /// Whether that option is restricted (no longer offered to new buyers).
    pub restricted: bool,
    /// The AMI submitted for it (`Sources[].Image`, in the seller account).
    pub source_ami: Option<String>,
}

/// What the Catalog says about a product and its public offer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveListing {
    /// Comparable fields by name (the names `diff` prints).
    pub fields: BTreeMap<&'static str, Value>,
    /// `Draft`, `Limited`, `Public`, `Restricted`.
    pub visibility: String,
    /// The product code Marketplace assigned.
    pub product_code: Option<String>,
    /// `Draft` or `Released`, when the offer was read.
    pub offer_state: Option<String>,
    /// Every version, restricted ones included.
    pub versions: Vec<LiveVersion>,
    /// Each version's operating system as the Catalog records it, by title: (name, version).
    pub os: BTreeMap<String, (String, String)>,
}

fn text(v: &Value) -> Value {
    match v {
        Value::String(s) => json!(s),
        _ => json!(""),
    }
}

/// The strings of a JSON array (nothing for anything else).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// A rate card (`DimensionKey`/`Price` objects) as the canonical map of dimension → price.
pub fn rates<'a>(card: impl IntoIterator<Item = &'a Value>) -> Value {
    let mut out = serde_json::Map::new();
    for r in card {
        if let (Some(k), Some(p)) = (r["DimensionKey"].as_str(), r["Price"].as_str()) {
            out.insert(k.to_owned(), json!(price(p)));
        }
    }
    Value::Object(out)
}

/// An additional resource as one text.
pub fn resource(text: &str, url: &str) -> String {
    format!("{text} <{url}>")
}

/// A set as a sorted list.
pub fn set(mut items: Vec<String>) -> Value {
    items.sort();
    items.dedup();
    json!(items)
}

/// A price without trailing zeros (`0.00` → `0`, `0.120` → `0.12`), so equal amounts compare
/// equal whatever their spelling.
pub fn price(p: &str) -> String {
    let p = p.trim();
    if !p.contains('.') {
        return p.to_owned();
    }
    p.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl LiveListing {
    /// Reads the product's DetailsDocument and, when the product has one, its offer's.
    pub fn read(product: &Value, offer: Option<&Value>) -> Self {
        let d = &product["Description"];
        let promo = &product["PromotionalResources"];
        let mut f: BTreeMap<&'static str, Value> = BTreeMap::new();
        f.insert("listing.title", text(&d["ProductTitle"]));
        f.insert("listing.short_description", text(&d["ShortDescription"]));
        f.insert("listing.long_description", text(&d["LongDescription"]));
        f.insert("listing.sku", text(&d["Sku"]));
        f.insert("listing.logo_url", text(&promo["LogoUrl"]));
        let video = promo["Videos"]
            .as_array()
            .and_then(|v| v.first())
            .map_or(json!(""), |v| text(&v["Url"]));
        f.insert("listing.video_url", video);
        f.insert("listing.highlights", json!(strings(&d["Highlights"])));
        f.insert("listing.categories", json!(strings(&d["Categories"])));
        f.insert("listing.keywords", json!(strings(&d["SearchKeywords"])));
        let resources: Vec<String> = promo["AdditionalResources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                resource(
                    r["Text"].as_str().unwrap_or(""),
                    r["Url"].as_str().unwrap_or(""),
                )
            })
            .collect();
        f.insert("listing.additional_resources", json!(resources));
        f.insert(
            "listing.support_description",
            text(&product["SupportInformation"]["Description"]),
        );
        let ra = &product["RegionAvailability"];
        f.insert("regions", set(strings(&ra["Regions"])));
        f.insert("regions.future", text(&ra["FutureRegionSupport"]));
        f.insert(
            "instance_types.available",
            set(strings(&product["Compatibility"]["AvailableInstanceTypes"])),
        );
        let dims: Vec<String> = product["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["Key"].as_str().map(str::to_owned))
            .collect();
        f.insert("dimensions", set(dims));
        f.insert(
            "allowlist.buyer_accounts",
            set(strings(
                &product["Targeting"]["PositiveTargeting"]["BuyerAccounts"],
            )),
        );
        if let Some(o) = offer {
            read_offer(o, &mut f);
        }
        Self {
            fields: f,
            visibility: d["Visibility"].as_str().unwrap_or("").to_owned(),
            product_code: d["ProductCode"].as_str().map(str::to_owned),
            offer_state: offer.and_then(|o| o["State"].as_str().map(str::to_owned)),
            versions: versions(product),
            os: super::buyer::catalog_os(product),
        }
    }

    /// The versions still offered to new buyers.
    pub fn live_versions(&self) -> impl Iterator<Item = &LiveVersion> {
        self.versions.iter().filter(|v| !v.restricted)
    }
}

fn read_offer(o: &Value, f: &mut BTreeMap<&'static str, Value>) {
    let terms: Vec<&Value> = o["Terms"].as_array().into_iter().flatten().collect();
    let of_type = |t: &str| terms.iter().copied().find(|x| x["Type"] == t);
    let card = of_type("UsageBasedPricingTerm")
        .and_then(|t| t["RateCards"][0]["RateCard"].as_array())
        .into_iter()
        .flatten();
    f.insert("pricing.rates", rates(card));
    f.insert(
        "pricing.model",
        json!(o["PricingModel"].as_str().unwrap_or("").to_lowercase()),
    );
    let eula = of_type("LegalTerm").map_or(String::new(), |t| {
        let doc = &t["Documents"][0];
        match doc["Type"].as_str() {
            Some("StandardEula") => "standard".to_owned(),
            _ => doc["Url"].as_str().unwrap_or("").to_owned(),
        }
    });
    f.insert("legal.eula", json!(eula));
    f.insert(
        "legal.refund_policy",
        of_type("SupportTerm").map_or(json!(""), |t| text(&t["RefundPolicy"])),
    );
    let rule = o["Rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["Type"] == "TargetingRule");
    f.insert("availability", availability(rule));
}

/// Country availability as one text: `every country`, `only: …` or `every country except: …`.
fn availability(rule: Option<&Value>) -> Value {
    let Some(r) = rule else {
        return json!("every country");
    };
    let only = strings(&r["PositiveTargeting"]["CountryCodes"]);
    let except = strings(&r["NegativeTargeting"]["CountryCodes"]);
    countries(&only, &except)
}

/// The canonical availability text for include/exclude lists.
pub fn countries(only: &[String], except: &[String]) -> Value {
    let mut only = only.to_vec();
    let mut except = except.to_vec();
    only.sort();
    except.sort();
    if !only.is_empty() {
        json!(format!("only: {}", only.join(", ")))
    } else if !except.is_empty() {
        json!(format!("every country except: {}", except.join(", ")))
    } else {
        json!("every country")
    }
}

/// The versions of a product's DetailsDocument.
pub fn versions(product: &Value) -> Vec<LiveVersion> {
    product["Versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let option = v["DeliveryOptions"].as_array().and_then(|o| o.first());
            LiveVersion {
                id: v["Id"].as_str().unwrap_or("").to_owned(),
                title: v["VersionTitle"].as_str().unwrap_or("").to_owned(),
                created: v["CreationDate"].as_str().unwrap_or("").to_owned(),
                option_id: option.and_then(|o| o["Id"].as_str().map(str::to_owned)),
                restricted: option.is_some_and(|o| o["Visibility"] == "Restricted"),
                source_ami: v["Sources"][0]["Image"].as_str().map(str::to_owned),
            }
        })
        .collect()
}
