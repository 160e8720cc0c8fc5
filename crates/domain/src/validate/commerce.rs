//! Checks of what buyers pay and agree to: `[pricing]`, `[legal]`, `[availability]`,
//! `[allowlist]` and `[approval]`. The limits are those of AddDimensions and UpdateTargeting
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>)
//! and of the offer change types
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-private-offers.html>).

use super::{Findings, TextRule, account, count, duplicates, https_url, text};
use crate::catalog_data::region;
use crate::limits::*;
use crate::spec::path::FieldPath;
use crate::spec::{Legal, ProductSpec};

/// Dimension categories of custom metering
/// (<https://docs.aws.amazon.com/marketplace/latest/userguide/custom-metering-pricing-ami-products.html>)
/// and the units AddDimensions accepts for each
/// (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>).
pub const DIMENSION_UNITS: &[(&str, &[&str])] = &[
    ("users", &["Users", "UserHrs"]),
    ("hosts", &["Hosts", "HostHrs"]),
    ("data", &["MB", "GB", "TB"]),
    ("bandwidth", &["Mbps", "Gbps"]),
    ("requests", &["Requests"]),
    ("tiers", &["TierHrs"]),
    ("units", &["Units", "UnitHrs"]),
];

pub(super) fn pricing(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let pr = &spec.pricing;
    match pr.model.as_str() {
        "free" => {
            if !pr.hourly.is_empty() || !pr.dimensions.is_empty() {
                f.error(
                    p,
                    "pricing.free-has-prices",
                    "is free but lists hourly prices or usage dimensions",
                    "a free product has no prices",
                    "remove `hourly` and `dimensions`, or set model = \"paid\"",
                );
            }
        }
        "paid" => {
            if pr.hourly.is_empty() && pr.dimensions.is_empty() {
                f.error(
                    p,
                    "pricing.paid-without-prices",
                    "is paid but has neither hourly prices nor usage dimensions",
                    "a paid product needs at least one price",
                    "add `[pricing.hourly]` prices per instance type or `[[pricing.dimensions]]`",
                );
            }
        }
        other => f.error(
            &p.key("model"),
            "pricing.model.value",
            format!("{other:?} is not a pricing model"),
            "free or paid",
            "write model = \"free\" or model = \"paid\"",
        ),
    }
    hourly(f, &p.key("hourly"), spec);
    dimensions(f, &p.key("dimensions"), spec);
}

fn hourly(f: &mut Findings, hp: &FieldPath, spec: &ProductSpec) {
    let pr = &spec.pricing;
    for (ty, price) in &pr.hourly {
        let tp = hp.key(ty);
        price_check(f, &tp, price);
        if !spec.instance_types.available.contains(ty) {
            f.error(
                &tp,
                "pricing.hourly.unknown-type",
                format!("prices {ty}, which is not an available instance type"),
                "prices only for types in instance_types.available",
                format!("add {ty} to instance_types.available or remove its price"),
            );
        }
    }
    if !pr.hourly.is_empty() {
        for (i, ty) in spec.instance_types.available.iter().enumerate() {
            if !pr.hourly.contains_key(ty) {
                f.error(
                    &FieldPath::root()
                        .key("instance_types")
                        .key("available")
                        .index(i),
                    "pricing.hourly.missing-type",
                    format!("{ty} has no hourly price"),
                    "an hourly product prices every available instance type",
                    format!("add \"{ty}\" = \"0.00\" (or its price) under [pricing.hourly]"),
                );
            }
        }
    }
    count(
        f,
        hp,
        pr.hourly.len(),
        0,
        RATE_CARD_MAX,
        "pricing.rate-card.count",
        "prices",
    );
}

fn dimensions(f: &mut Findings, dp: &FieldPath, spec: &ProductSpec) {
    let dims = &spec.pricing.dimensions;
    count(
        f,
        dp,
        dims.len(),
        0,
        CUSTOM_DIMENSIONS_MAX,
        "pricing.dimensions.count",
        "usage dimensions",
    );
    for (i, d) in dims.iter().enumerate() {
        let ip = dp.index(i);
        let key_ok = !d.key.is_empty()
            && d.key.len() <= DIMENSION_KEY_MAX_CHARS
            && d.key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !key_ok {
            f.error(
                &ip.key("key"),
                "dimension.key.format",
                format!("{:?} is not a dimension key", d.key),
                "1–100 letters, digits, '_', '.', '-'",
                "use a short machine name such as active_users",
            );
        }
        if spec.instance_types.available.contains(&d.key) {
            f.error(
                &ip.key("key"),
                "dimension.key.collides",
                format!(
                    "{:?} is also an instance type, whose hourly dimension has that key",
                    d.key
                ),
                "custom dimension keys differ from instance types",
                "choose another key",
            );
        }
        text(
            f,
            &ip.key("name"),
            &d.name,
            TextRule {
                min: 1,
                max: DIMENSION_NAME_MAX_CHARS,
            },
        );
        text(
            f,
            &ip.key("description"),
            &d.description,
            TextRule {
                min: 1,
                max: DIMENSION_DESCRIPTION_MAX_CHARS,
            },
        );
        match DIMENSION_UNITS.iter().find(|(c, _)| *c == d.category) {
            None => f.error(
                &ip.key("category"),
                "dimension.category.value",
                format!("{:?} is not a dimension category", d.category),
                "users, hosts, data, bandwidth, requests, tiers or units",
                "pick the category that matches what is measured",
            ),
            Some((cat, units)) if !units.contains(&d.unit.as_str()) => f.error(
                &ip.key("unit"),
                "dimension.unit.value",
                format!("{:?} is not a unit of the {cat} category", d.unit),
                format!("one of {}", units.join(", ")),
                format!("write unit = \"{}\"", units[0]),
            ),
            Some(_) => {}
        }
        price_check(f, &ip.key("price"), &d.price);
    }
    duplicates(
        f,
        dp,
        dims.iter().map(|d| d.key.as_str()),
        "dimension.key.duplicate",
        "dimension key",
    );
    if !dims.is_empty() {
        let no_meter: Vec<String> = spec
            .region_codes()
            .into_iter()
            .filter(|c| region(c).is_some_and(|r| !r.metering))
            .collect();
        if !no_meter.is_empty() {
            f.warning(
                &FieldPath::root().key("regions"),
                "pricing.metering-regions",
                format!(
                    "usage dimensions are priced, but MeterUsage is not available in {}",
                    no_meter.join(", ")
                ),
                "custom metering works only where the Metering Service runs",
                "list those Regions only if instances there can report usage elsewhere",
            );
        }
    }
}

/// `^((100000000(\.0{0,8})?)|(\d{1,8}(\.\d{0,8})?))$`, the usage price pattern of
/// UpdatePricingTerms (the offer shapes AWS publishes,
/// <https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>).
pub(crate) fn is_price(s: &str) -> bool {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let frac_ok = frac.len() <= PRICE_MAX_DECIMALS && digits(frac);
    if whole == "100000000" {
        return frac_ok && frac.chars().all(|c| c == '0');
    }
    !whole.is_empty() && whole.len() <= 8 && digits(whole) && frac_ok
}

fn price_check(f: &mut Findings, path: &FieldPath, price: &str) {
    if !is_price(price) {
        f.error(
            path,
            "price.format",
            format!("{price:?} is not a USD price Marketplace accepts"),
            "a decimal string, at most 8 decimals, at most 100000000",
            "write the price as a string such as \"0.125\"",
        );
    }
}

pub(super) fn legal(f: &mut Findings, p: &FieldPath, l: &Legal) {
    if l.eula != "standard" {
        https_url(f, &p.key("eula"), &l.eula, EULA_URL_MAX_CHARS);
    }
    let rp = p.key("refund_policy");
    text(
        f,
        &rp,
        &l.refund_policy,
        TextRule {
            min: 1,
            max: REFUND_POLICY_MAX_CHARS,
        },
    );
    if l.refund_policy.ends_with(char::is_whitespace) {
        f.error(
            &rp,
            "text.trailing-whitespace",
            "ends with whitespace",
            "no leading or trailing spaces",
            "remove the trailing spaces or newline",
        );
    }
    let allowed = |c: char| {
        (c as u32) <= 0x7E || matches!(c, '\u{A9}' | '\u{AE}' | '\u{2122}' | '\u{A2}'..='\u{A5}')
    };
    if let Some(c) = l.refund_policy.chars().find(|c| !allowed(*c)) {
        f.error(
            &rp,
            "legal.refund-policy.charset",
            format!("contains {c:?}, which refund policies may not use"),
            "ASCII plus © ® ™ ¢ £ ¤ ¥",
            "replace typographic quotes and dashes with plain ASCII ones",
        );
    }
}

pub(super) fn availability(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let a = &spec.availability;
    if !a.include.is_empty() && !a.exclude.is_empty() {
        f.error(
            p,
            "availability.choice",
            "sets both `include` and `exclude`",
            "all countries, an include list, or an exclude list",
            "keep one of the two lists",
        );
    }
    for (name, list) in [("include", &a.include), ("exclude", &a.exclude)] {
        let lp = p.key(name);
        count(
            f,
            &lp,
            list.len(),
            0,
            COUNTRIES_MAX,
            "availability.count",
            "countries",
        );
        for (i, c) in list.iter().enumerate() {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                f.error(
                    &lp.index(i),
                    "country.format",
                    format!("{c:?} is not an ISO 3166 country code"),
                    "two upper-case letters (ISO 3166-1 alpha-2)",
                    "write e.g. \"US\", \"DE\", \"JP\"",
                );
            }
        }
        duplicates(
            f,
            &lp,
            list.iter().map(String::as_str),
            "availability.duplicate",
            "country",
        );
    }
}

pub(super) fn allowlist(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let lp = p.key("buyer_accounts");
    let accounts = &spec.allowlist.buyer_accounts;
    count(
        f,
        &lp,
        accounts.len(),
        0,
        ALLOWLIST_MAX,
        "allowlist.count",
        "accounts",
    );
    for (i, a) in accounts.iter().enumerate() {
        account(f, &lp.index(i), a);
    }
    duplicates(
        f,
        &lp,
        accounts.iter().map(String::as_str),
        "allowlist.duplicate",
        "account",
    );
}

pub(super) fn approval(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let Some(a) = &spec.approval else { return };
    text(
        f,
        &p.key("reference"),
        &a.reference,
        TextRule { min: 1, max: 500 },
    );
    if let Some(h) = &a.content_hash {
        let ok = h
            .strip_prefix("sha256:")
            .is_some_and(|x| x.len() == 64 && x.chars().all(|c| c.is_ascii_hexdigit()));
        if !ok {
            f.error(
                &p.key("content_hash"),
                "approval.content-hash.format",
                format!("{h:?} is not a content hash"),
                "sha256: followed by 64 hex digits",
                "let `amipub approve` write this field",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_price;

    #[test]
    fn prices_follow_the_documented_pattern() {
        for ok in [
            "0",
            "0.00",
            "0.12345678",
            "99999999.5",
            "100000000",
            "100000000.00",
        ] {
            assert!(is_price(ok), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "0.123456789",
            "123456789",
            "100000000.01",
            "1,5",
            "abc",
            "$1",
        ] {
            assert!(!is_price(bad), "{bad}");
        }
    }
}
