//! The asynchronous part of a change set: new entity ids, the per-change validators that fill
//! `ErrorDetailList` (documented error codes, catalog-api.md §3), the AMI ingestion checks (the
//! access role must exist, trust `assets.marketplace.amazonaws.com` and carry the ingestion
//! policy; the AMI must be the seller's, in us-east-1, available, HVM, EBS, 64-bit, unencrypted,
//! without a product code), and the security scan's verdict.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam};

/// Gives each Create change its new entity id and resolves `$Name.Entity.Identifier` targets.
pub fn assign_new_ids(world: &mut World, cs: &mut ChangeSet) {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for c in cs
        .changes
        .iter_mut()
        .filter(|c| c.change_type.starts_with("Create"))
    {
        let id = if c.entity_type == "Offer@1.0" {
            format!("offer-{}", world.ids.alnum(13))
        } else {
            format!("prod-{}", world.ids.alnum(13))
        };
        c.entity_id = Some(id.clone());
        if let Some(n) = &c.change_name {
            names.insert(n.clone(), id);
        }
    }
    for c in cs.changes.iter_mut() {
        if let Some(r) = c
            .identifier
            .as_deref()
            .and_then(|i| i.strip_prefix('$'))
            .and_then(|i| i.strip_suffix(".Entity.Identifier"))
        {
            c.entity_id = names.get(r).cloned();
        }
        resolve(&mut c.details, &names);
    }
}

fn resolve(v: &mut Value, names: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s
                .strip_prefix('$')
                .and_then(|x| x.strip_suffix(".Entity.Identifier"))
                .and_then(|n| names.get(n))
            {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| resolve(x, names)),
        _ => {}
    }
}

/// What a product will look like if this change set applies: its current document plus the
/// relevant changes of the set.
#[derive(Debug, Default)]
struct Projected {
    visibility: String,
    instance_types: BTreeSet<String>,
    titles: BTreeSet<String>,
    delivery_ids: BTreeMap<String, bool>,
    dimensions: BTreeSet<String>,
    has_description: bool,
    adds_version: bool,
}

fn project(world: &World, cs: &ChangeSet, product: &str) -> Projected {
    let mut p = Projected {
        visibility: "Draft".into(),
        ..Default::default()
    };
    if let Some(e) = world.catalog.entities.get(product) {
        let d = &e.doc;
        p.visibility = d["Description"]["Visibility"]
            .as_str()
            .unwrap_or("Draft")
            .to_owned();
        p.instance_types = strings(&d["Compatibility"]["AvailableInstanceTypes"])
            .into_iter()
            .collect();
        for v in d["Versions"].as_array().into_iter().flatten() {
            p.titles
                .insert(v["VersionTitle"].as_str().unwrap_or("").to_owned());
            for o in v["DeliveryOptions"].as_array().into_iter().flatten() {
                p.delivery_ids.insert(
                    o["Id"].as_str().unwrap_or("").to_owned(),
                    o["Visibility"] != "Restricted",
                );
            }
        }
        p.dimensions = d["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["Key"].as_str().map(str::to_owned))
            .collect();
        p.has_description = d["Description"]["ShortDescription"].is_string();
    }
    for c in cs
        .changes
        .iter()
        .filter(|c| c.entity_id.as_deref() == Some(product))
    {
        match c.change_type.as_str() {
            "AddInstanceTypes" => p
                .instance_types
                .extend(strings(&c.details["InstanceTypes"])),
            "AddDimensions" => p.dimensions.extend(
                c.details
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x["Key"].as_str().map(str::to_owned)),
            ),
            "UpdateInformation" => p.has_description |= c.details["ShortDescription"].is_string(),
            "AddDeliveryOptions" => p.adds_version = true,
            _ => {}
        }
    }
    p
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// Runs the validators, filling each change's errors.
pub fn validate(world: &World, cs: &mut ChangeSet) {
    let snapshot = cs.clone();
    for c in cs.changes.iter_mut() {
        let mut errs: Vec<(String, String)> = Vec::new();
        let mut err = |code: &str, msg: String| errs.push((code.to_owned(), msg));
        let d = &c.details;
        let product = c.entity_id.clone().unwrap_or_default();
        match (c.entity_type.as_str(), c.change_type.as_str()) {
            ("AmiProduct@1.0", "CreateProduct") if len(&d["ProductTitle"]) > 72 => {
                err(
                    "INVALID_INPUT",
                    "ProductTitle must be at most 72 characters.".into(),
                );
            }
            ("AmiProduct@1.0", "UpdateInformation") => {
                information(world, &snapshot, &product, d, &mut err)
            }
            ("AmiProduct@1.0", "AddRegions" | "RestrictRegions") => {
                let regions = strings(&d["Regions"]);
                if regions.is_empty() || regions.len() > 100 {
                    err("INVALID_INPUT", "Provide between 1 and 100 Regions.".into());
                }
                let bad: Vec<String> = regions
                    .into_iter()
                    .filter(|r| amipub_domain::catalog_data::region(r).is_none())
                    .collect();
                if !bad.is_empty() {
                    let allowed: Vec<String> = amipub_domain::catalog_data::regions()
                        .iter()
                        .map(|r| r.code.clone())
                        .collect();
                    err(
                        "INVALID_REGIONS",
                        format!(
                            "Invalid Regions: {}. Allowed values: {}",
                            bad.join(", "),
                            allowed.join(", ")
                        ),
                    );
                }
            }
            ("AmiProduct@1.0", "UpdateFutureRegionSupport") => {
                let s = strings(&d["FutureRegionSupport"]["SupportedRegions"]);
                if s.len() != 1 || !matches!(s[0].as_str(), "All" | "US" | "None") {
                    err(
                        "INVALID_INPUT",
                        "SupportedRegions must hold exactly one of All, US, None.".into(),
                    );
                }
            }
            ("AmiProduct@1.0", "AddInstanceTypes" | "RestrictInstanceTypes") => {
                let types = strings(&d["InstanceTypes"]);
                let bad: Vec<&String> = types
                    .iter()
                    .filter(|t| t.parse::<amipub_domain::ids::InstanceType>().is_err())
                    .collect();
                if types.is_empty() || !bad.is_empty() {
                    err(
                        "INVALID_INSTANCE_TYPES",
                        format!(
                            "Invalid instance types: {}",
                            bad.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            ("AmiProduct@1.0", "AddDeliveryOptions") => {
                delivery(world, &snapshot, &product, d, &mut err)
            }
            ("AmiProduct@1.0", "RestrictDeliveryOptions") => {
                let p = project(world, &snapshot, &product);
                let ids = strings(&d["DeliveryOptionIds"]);
                let unknown: Vec<&String> = ids
                    .iter()
                    .filter(|i| !p.delivery_ids.contains_key(*i))
                    .collect();
                if ids.is_empty() {
                    err(
                        "MISSING_DELIVERY_OPTION_IDS",
                        "Provide at least one delivery option id.".into(),
                    );
                } else if !unknown.is_empty() {
                    err(
                        "INVALID_DELIVERY_OPTION_IDS",
                        format!(
                            "Delivery options not found: {}",
                            unknown
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                } else {
                    let remaining = p
                        .delivery_ids
                        .iter()
                        .filter(|(id, public)| **public && !ids.contains(id))
                        .count();
                    if remaining == 0 && !p.adds_version {
                        err(
                            "ALL_DELIVERY_OPTIONS_RESTRICTED",
                            "At least one version must remain available.".into(),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "UpdateDeliveryOptions") => {
                let p = project(world, &snapshot, &product);
                for o in d["DeliveryOptions"].as_array().into_iter().flatten() {
                    if !p.delivery_ids.contains_key(o["Id"].as_str().unwrap_or("")) {
                        err(
                            "INVALID_DELIVERY_OPTION_IDS",
                            format!("Delivery option {} was not found.", o["Id"]),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "AddDimensions") => {
                let dims = d.as_array().cloned().unwrap_or_default();
                let mut seen = BTreeSet::new();
                if dims.is_empty() {
                    err("MISSING_DATA", "Provide at least one dimension.".into());
                }
                if dims.len() > 200 {
                    err(
                        "INVALID_DIMENSION",
                        "Provide no more than 200 dimensions.".into(),
                    );
                }
                for x in &dims {
                    let key = x["Key"].as_str().unwrap_or("");
                    let types = strings(&x["Types"]);
                    if key.is_empty()
                        || key.len() > 100
                        || !key
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
                        || !seen.insert(key.to_owned())
                    {
                        err(
                            "INVALID_DIMENSION",
                            format!("Dimension key '{key}' is empty, invalid or duplicated."),
                        );
                    }
                    if types.is_empty()
                        || !types.iter().all(|t| {
                            matches!(t.as_str(), "Metered" | "ExternallyMetered" | "Entitled")
                        })
                    {
                        err(
                            "IINVALID_TYPE",
                            format!("Dimension '{key}' has invalid Types."),
                        );
                    }
                    let unit = x["Unit"].as_str().unwrap_or("");
                    let units = [
                        "Hrs", "GB", "Gbps", "HostHrs", "Hosts", "MB", "Mbps", "Requests",
                        "TaskHrs", "TB", "TierHrs", "UnitHrs", "Units", "UserHrs", "Users",
                    ];
                    if !units.contains(&unit) {
                        err(
                            "INVALID_UNIT",
                            format!(
                                "Dimension '{key}' has unit '{unit}', which is not one of {}.",
                                units.join(", ")
                            ),
                        );
                    }
                }
            }
            ("AmiProduct@1.0", "UpdateTargeting") => {
                let accounts = strings(&d["PositiveTargeting"]["BuyerAccounts"]);
                if accounts
                    .iter()
                    .any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
                {
                    err(
                        "INVALID_AWS_ACCOUNT_IDS",
                        "Buyer accounts must be 12-digit AWS account ids.".into(),
                    );
                }
            }
            ("AmiProduct@1.0", "UpdateVisibility") => {
                let p = project(world, &snapshot, &product);
                let target = d["TargetVisibility"].as_str().unwrap_or("");
                let ok = match target {
                    "Public" => matches!(p.visibility.as_str(), "Limited" | "Restricted"),
                    "Limited" => matches!(p.visibility.as_str(), "Public" | "Restricted"),
                    "Restricted" => matches!(p.visibility.as_str(), "Public" | "Limited"),
                    _ => {
                        err(
                            "INVALID_TARGET_VISIBILITY",
                            format!("'{target}' is not a visibility."),
                        );
                        true
                    }
                };
                if !ok {
                    err(
                        "INVALID_PRODUCT_STATE",
                        format!("A {} product cannot become {target}.", p.visibility),
                    );
                }
            }
            ("AmiProduct@1.0", "ReleaseProduct") => {
                let p = project(world, &snapshot, &product);
                if p.visibility != "Draft" {
                    err(
                        "INVALID_PRODUCT_STATE",
                        format!(
                            "Only Draft products can be released; this one is {}.",
                            p.visibility
                        ),
                    );
                }
                if !p.has_description {
                    err(
                        "VALIDATION_FAILED",
                        "Provide Description information.".into(),
                    );
                }
                if p.titles.is_empty() && !p.adds_version {
                    err("VALIDATION_FAILED", "Provide Versions information.".into());
                }
                if p.dimensions.is_empty() {
                    err(
                        "VALIDATION_FAILED",
                        "Provide Dimensions information.".into(),
                    );
                }
                if !snapshot
                    .changes
                    .iter()
                    .any(|x| x.change_type == "ReleaseOffer")
                {
                    err("VALIDATION_FAILED", "ReleaseProduct must be accompanied by ReleaseOffer on the product's draft public offer.".into());
                }
            }
            ("Offer@1.0", _) => offer(world, &snapshot, c, &mut err),
            _ => {}
        }
        c.errors.extend(errs);
    }
}

fn information(
    world: &World,
    cs: &ChangeSet,
    product: &str,
    d: &Value,
    err: &mut impl FnMut(&str, String),
) {
    let limits = [
        ("ProductTitle", 72),
        ("ShortDescription", 1000),
        ("LongDescription", 5000),
        ("SupportDescription", 2000),
        ("Sku", 100),
    ];
    for (field, max) in limits {
        if let Some(s) = d[field].as_str()
            && (s.chars().count() > max || s.starts_with(char::is_whitespace))
        {
            err(
                "INVALID_INPUT",
                format!("{field} must be at most {max} characters with no leading whitespace."),
            );
        }
    }
    if let Some(h) = d["Highlights"].as_array() {
        if h.is_empty() {
            err("INVALID_INPUT", "Provide at least one highlight".into());
        } else if h.len() > 3 || h.iter().any(|x| len(x) > 500) {
            err(
                "INVALID_INPUT",
                "Provide at most 3 highlights of at most 500 characters".into(),
            );
        }
    }
    if let Some(cats) = d["Categories"].as_array() {
        if cats.is_empty() || cats.len() > 3 {
            err(
                "INVALID_INPUT",
                "Provide between 1 and 3 product categories".into(),
            );
        }
        let known = amipub_domain::catalog_data::categories();
        let bad: Vec<&str> = cats
            .iter()
            .filter_map(Value::as_str)
            .filter(|c| !known.iter().any(|k| k == c))
            .collect();
        if !bad.is_empty() {
            err(
                "INVALID_CATEGORY_NAMES",
                format!("Invalid category names: {}", bad.join(", ")),
            );
        }
    }
    if let Some(k) = d["SearchKeywords"].as_array() {
        if k.is_empty() {
            err(
                "INVALID_INPUT",
                "Provide at least one search keyword".into(),
            );
        }
        if k.len() > 15 || k.iter().any(|x| len(x) > 50) {
            err(
                "INVALID_INPUT",
                "Provide at most 15 search keywords of at most 50 characters".into(),
            );
        }
        if k.iter().map(len).sum::<usize>() > 250 {
            err(
                "INVALID_INPUT",
                "Search keywords must be no more than 250 combined characters".into(),
            );
        }
    }
    if let Some(url) = d["LogoUrl"].as_str() {
        let lower = url.to_ascii_lowercase();
        if !url.starts_with("https://")
            || url.len() > 2048
            || ![".png", ".jpg", ".jpeg", ".gif"]
                .iter()
                .any(|e| lower.ends_with(e))
        {
            err(
                "INVALID_MEDIA",
                "LogoUrl must be a public https URL of a png, jpg or gif image.".into(),
            );
        }
    }
    if d["VideoUrls"].as_array().is_some_and(|v| v.len() > 1) {
        err("TOO_MANY_MEDIA", "Provide at most one video.".into());
    }
    if d["AdditionalResources"].as_array().is_some_and(|v| {
        v.len() > 3
            || v.iter()
                .any(|r| !r["Url"].as_str().is_some_and(|u| u.starts_with("http")))
    }) {
        err(
            "INVALID_ADDITIONAL_RESOURCES",
            "Provide at most 3 additional resources with http(s) URLs.".into(),
        );
    }
    let p = project(world, cs, product);
    let first_population = world
        .catalog
        .entities
        .get(product)
        .is_none_or(|e| !e.doc["Description"]["ShortDescription"].is_string());
    if first_population && !p.has_description {
        err(
            "MISSING_DATA",
            "Provide ShortDescription for the product.".into(),
        );
    }
    if first_population {
        for f in [
            "LongDescription",
            "LogoUrl",
            "Highlights",
            "SupportDescription",
            "Categories",
            "SearchKeywords",
        ] {
            if d[f].is_null() {
                err("INVALID_INPUT", format!("Provide {f}"));
            }
        }
    }
}

fn delivery(
    world: &World,
    cs: &ChangeSet,
    product: &str,
    d: &Value,
    err: &mut impl FnMut(&str, String),
) {
    let p = project(world, cs, product);
    let title = d["Version"]["VersionTitle"].as_str().unwrap_or("");
    if title.is_empty()
        || title.chars().count() > 64
        || title.starts_with(' ')
        || title.contains(" ™")
    {
        err("INVALID_VERSION_TITLE", "VersionTitle must be 1-64 characters, no leading space, no space before a trademark sign.".into());
    }
    if p.titles.contains(title) {
        err(
            "DUPLICATE_VERSION_TITLE",
            format!("Version title {title} already exists for this product."),
        );
    }
    let notes = len(&d["Version"]["ReleaseNotes"]);
    if notes == 0 || notes > 30000 {
        err(
            "INVALID_RELEASE_NOTES",
            "ReleaseNotes must be 1-30000 characters.".into(),
        );
    }
    let options = d["DeliveryOptions"].as_array().cloned().unwrap_or_default();
    if options.len() != 1 {
        err(
            "INVALID_INPUT",
            "Provide exactly one AMI delivery option.".into(),
        );
        return;
    }
    let details = {
        let o = &options[0];
        let inner = if o["Details"].is_object() {
            &o["Details"]
        } else {
            &o["DetailsDocument"]
        };
        inner["AmiDeliveryOptionDetails"].clone()
    };
    let src = &details["AmiSource"];
    let ami = src["AmiId"].as_str().unwrap_or("");
    let role = src["AccessRoleArn"].as_str().unwrap_or("");
    let user = src["UserName"].as_str().unwrap_or("");
    if !(user.len() <= 32
        && user.starts_with(|c: char| c.is_ascii_alphabetic())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)))
    {
        err(
            "INVALID_INPUT",
            format!("UserName '{user}' is not a valid login name."),
        );
    }
    for (f, code) in [
        ("OperatingSystemName", "INCOMPATIBLE_OPERATING_SYSTEM_NAME"),
        (
            "OperatingSystemVersion",
            "INCOMPATIBLE_OPERATING_SYSTEM_VERSION",
        ),
    ] {
        let n = len(&src[f]);
        if n == 0 || n > 100 {
            err(code, format!("{f} must be 1-100 characters."));
        }
    }
    let port = src["ScanningPort"].as_i64().unwrap_or(22);
    if !(1..=65535).contains(&port) {
        err(
            "INVALID_SCANNING_PORT",
            format!("ScanningPort {port} is out of range."),
        );
    }
    let usage = len(&details["UsageInstructions"]);
    if usage == 0 || usage > 4000 {
        err(
            "INVALID_USAGE_INSTRUCTIONS",
            "UsageInstructions must be 1-4000 characters.".into(),
        );
    }
    let rec = details["RecommendedInstanceType"].as_str().unwrap_or("");
    if rec.parse::<amipub_domain::ids::InstanceType>().is_err() {
        err(
            "INVALID_RECOMMENDED_INSTANCE_TYPE",
            format!("'{rec}' is not an instance type."),
        );
    } else if !p.instance_types.contains(rec) {
        err(
            "RECOMMENDED_INSTANCE_TYPE_NOT_AVAILABLE",
            format!("{rec} is not an available instance type of the product."),
        );
    }
    let groups = details["SecurityGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if groups.is_empty() || groups.len() > 25 {
        err(
            "INVALID_SECURITY_GROUP",
            "Provide 1-25 security group rules.".into(),
        );
    }
    for g in &groups {
        if !matches!(g["IpProtocol"].as_str(), Some("tcp" | "udp")) {
            err(
                "INVALID_SECURITY_GROUP_PROTOCOL",
                "IpProtocol must be tcp or udp.".into(),
            );
        }
        let (from, to) = (
            g["FromPort"].as_i64().unwrap_or(0),
            g["ToPort"].as_i64().unwrap_or(0),
        );
        if !(1..=65535).contains(&from) || !(1..=65535).contains(&to) || from > to {
            err(
                "INVALID_SECURITY_GROUP",
                format!("Ports {from}-{to} are not a valid range."),
            );
        }
        let cidrs = strings(&g["IpRanges"]);
        if cidrs.is_empty() || cidrs.len() > 5 || cidrs.iter().any(|c| !cidr(c)) {
            err(
                "INVALID_CIDR_IP",
                format!("IpRanges {cidrs:?} must be 1-5 IPv4 CIDR blocks."),
            );
        }
    }
    if let Some(ep) = details["AccessEndpointUrl"].as_object() {
        if !ep
            .get("Port")
            .and_then(Value::as_i64)
            .is_some_and(|p| (1..=65535).contains(&p))
            || !matches!(
                ep.get("Protocol").and_then(Value::as_str),
                Some("http" | "https")
            )
        {
            err(
                "INVALID_ACCESS_ENDPOINT_PORT",
                "AccessEndpointUrl needs a port 1-65535 and protocol http or https.".into(),
            );
        }
        let path = ep.get("RelativePath").and_then(Value::as_str).unwrap_or("");
        if path.starts_with('/') || path.contains(' ') {
            err(
                "INVALID_ACCESS_ENDPOINT_RELATIVE_PATH",
                "RelativePath must not start with '/' or contain spaces.".into(),
            );
        }
    }
    // Ingestion: the role Marketplace assumes to read the AMI.
    match crate::sts::parse_role_arn(role).and_then(|(acct, name)| {
        world
            .iam
            .roles
            .get(&Iam::key(&acct, &name))
            .filter(|_| acct == cs.account)
    }) {
        None => err(
            "ASSET_ACCESS_EXCEPTION",
            format!(
                "AWS Marketplace could not assume {role}: the role does not exist in account {}.",
                cs.account
            ),
        ),
        Some(r) if !r.trusts(INGESTION_PRINCIPAL) => err(
            "ASSET_ACCESS_EXCEPTION",
            format!(
                "AWS Marketplace could not assume {role}: its trust policy does not allow {INGESTION_PRINCIPAL}."
            ),
        ),
        Some(r) if !r.attached.contains(INGESTION_POLICY_ARN) => err(
            "ASSET_ACCESS_EXCEPTION",
            format!(
                "{role} lacks the AWSMarketplaceAmiIngestion policy, so AWS Marketplace cannot copy the AMI."
            ),
        ),
        Some(_) => {}
    }
    let ok_id = ami.strip_prefix("ami-").is_some_and(|r| {
        (r.len() == 8 || r.len() == 17) && r.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !ok_id {
        err("INVALID_AMI_ID", format!("'{ami}' is not an AMI id."));
        return;
    }
    let now = world.clock.elapsed();
    let image = world
        .ec2
        .images
        .get(ami)
        .filter(|i| i.region == "us-east-1" && i.owner == cs.account && !i.deregistered);
    let Some(image) = image else {
        err(
            "ASSET_NOT_FOUND",
            format!(
                "{ami} was not found in us-east-1 of account {}; the AMI must be in us-east-1 and owned by the seller.",
                cs.account
            ),
        );
        return;
    };
    if image.state(now) != "available" {
        err(
            "ASSET_NOT_FOUND",
            format!("{ami} is {}, not available.", image.state(now)),
        );
    }
    if image.virtualization != "hvm" {
        err(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{ami} uses {} virtualization; only hvm is supported.",
                image.virtualization
            ),
        );
    }
    if image.root_device_type != "ebs" {
        err(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{ami} has an unexpected root volume type {}; only EBS-backed AMIs are supported.",
                image.root_device_type
            ),
        );
    }
    if !matches!(image.architecture.as_str(), "x86_64" | "arm64") {
        err(
            "INVALID_AMI_ARCHITECTURE",
            format!(
                "{ami} is {}; only x86_64 and arm64 are supported.",
                image.architecture
            ),
        );
    } else if p.instance_types.iter().any(|t| {
        t.parse::<amipub_domain::ids::InstanceType>()
            .is_ok_and(|it| it.is_arm64() != (image.architecture == "arm64"))
    }) {
        err(
            "INCOMPATIBLE_AMI",
            format!(
                "{ami} is {} but some instance types of the product run another architecture.",
                image.architecture
            ),
        );
    }
    if !image.product_codes.is_empty() {
        err(
            "EXISTING_AMI_PRODUCT_CODE",
            format!("{ami} already carries a product code."),
        );
    }
    if image
        .snapshots
        .iter()
        .any(|s| world.ec2.snapshots.get(s).is_some_and(|s| s.encrypted))
    {
        err(
            "INCOMPATIBLE_AMI",
            format!("{ami} has encrypted snapshots; AWS Marketplace needs unencrypted ones."),
        );
    }
    if !image.ena_support {
        err(
            "INCOMPATIBLE_AMI",
            format!("{ami} lacks ENA support, which the product's instance types require."),
        );
    }
}

fn cidr(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        a.parse::<std::net::Ipv4Addr>().is_ok() && b.parse::<u8>().is_ok_and(|n| n <= 32)
    })
}

fn offer(world: &World, cs: &ChangeSet, c: &Change, err: &mut impl FnMut(&str, String)) {
    let d = &c.details;
    let offer_id = c.entity_id.clone().unwrap_or_default();
    let product_of = |id: &str| -> Option<String> {
        cs.changes
            .iter()
            .find(|x| x.change_type == "CreateOffer" && x.entity_id.as_deref() == Some(id))
            .and_then(|x| x.details["ProductId"].as_str().map(str::to_owned))
            .or_else(|| {
                world
                    .catalog
                    .entities
                    .get(id)
                    .and_then(|e| e.doc["ProductId"].as_str().map(str::to_owned))
            })
    };
    match c.change_type.as_str() {
        "CreateOffer" => {
            let pid = d["ProductId"].as_str().unwrap_or("");
            let known = world
                .catalog
                .entities
                .get(pid)
                .map(|e| e.kind == "AmiProduct")
                .unwrap_or_else(|| {
                    cs.changes.iter().any(|x| {
                        x.change_type == "CreateProduct" && x.entity_id.as_deref() == Some(pid)
                    })
                });
            if !known {
                err(
                    "INCOMPATIBLE_PRODUCT",
                    format!("{pid} is not an AMI product of this seller."),
                );
            }
            if d["Name"]
                .as_str()
                .is_some_and(|n| n.is_empty() || n.chars().count() > 150)
            {
                err(
                    "INVALID_INPUT",
                    "Offer Name must be 1-150 characters.".into(),
                );
            }
        }
        "UpdateInformation"
            if (d["Name"]
                .as_str()
                .is_some_and(|n| n.is_empty() || n.chars().count() > 150)
                || d["Description"]
                    .as_str()
                    .is_some_and(|n| n.is_empty() || n.chars().count() > 255)) =>
        {
            err(
                "INVALID_INPUT",
                "Offer Name must be 1-150 and Description 1-255 characters.".into(),
            );
        }
        "UpdatePricingTerms" => {
            let model = d["PricingModel"].as_str().unwrap_or("");
            if !matches!(model, "Usage" | "Contract" | "Free" | "Byol") {
                err(
                    "INVALID_INPUT",
                    format!("PricingModel '{model}' is not one of Usage, Contract, Free, Byol."),
                );
            }
            let product = product_of(&offer_id).unwrap_or_default();
            let dims = project(world, cs, &product).dimensions;
            for t in d["Terms"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["Type"] == "UsageBasedPricingTerm")
            {
                let card = t["RateCards"][0]["RateCard"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if card.is_empty() || card.len() > 800 {
                    err("INVALID_RATE_CARD", "A rate card holds 1-800 rates.".into());
                }
                for r in &card {
                    let key = r["DimensionKey"].as_str().unwrap_or("");
                    let price = r["Price"].as_str().unwrap_or("x");
                    if !dims.contains(key) {
                        err(
                            "INVALID_RATE_CARD",
                            format!("Rate for unknown dimension '{key}'."),
                        );
                    }
                    if !price_ok(price) {
                        err(
                            "INVALID_RATE_CARD",
                            format!("Price '{price}' is not a valid USD amount."),
                        );
                    } else if model == "Free" && price.parse::<f64>().unwrap_or(1.0) != 0.0 {
                        err(
                            "INCOMPATIBLE_RATES",
                            "Free pricing requires every rate to be 0.".into(),
                        );
                    }
                }
            }
        }
        "UpdateLegalTerms" => {
            let terms = d["Terms"].as_array().cloned().unwrap_or_default();
            let docs = terms
                .first()
                .and_then(|t| t["Documents"].as_array().cloned())
                .unwrap_or_default();
            let ok = terms.len() == 1
                && terms[0]["Type"] == "LegalTerm"
                && docs.len() == 1
                && match docs[0]["Type"].as_str() {
                    Some("StandardEula") => matches!(
                        docs[0]["Version"].as_str(),
                        Some("2019-04-24" | "2022-07-14")
                    ),
                    Some("CustomEula") => docs[0]["Url"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("https://")),
                    _ => false,
                };
            if !ok {
                err("INVALID_LEGAL_DOCUMENTS", "Provide one LegalTerm with one StandardEula (2019-04-24 or 2022-07-14) or CustomEula https URL.".into());
            }
        }
        "UpdateSupportTerms" => {
            let policy = d["Terms"][0]["RefundPolicy"].as_str().unwrap_or("");
            let ok = !policy.is_empty()
                && policy.chars().count() <= 500
                && policy.trim() == policy
                && policy
                    .chars()
                    .all(|c| (c as u32) <= 0x7e || "©®™¢£¤¥".contains(c));
            if !ok {
                err("INVALID_INPUT", "RefundPolicy must be 1-500 characters of ASCII (plus © ® ™ ¢ £ ¤ ¥), without surrounding spaces.".into());
            }
        }
        "UpdateTargeting" => {
            let codes: Vec<String> = strings(&d["PositiveTargeting"]["CountryCodes"])
                .into_iter()
                .chain(strings(&d["NegativeTargeting"]["CountryCodes"]))
                .collect();
            if codes
                .iter()
                .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                err(
                    "INVALID_INPUT",
                    "CountryCodes must be ISO 3166 alpha-2 codes.".into(),
                );
            }
        }
        "UpdateAvailability" => err(
            "INVALID_AVAILABILITY_END_DATE",
            "AvailabilityEndDate isn't supported for public offers.".into(),
        ),
        "ReleaseOffer" => {
            let has_terms = cs
                .changes
                .iter()
                .any(|x| x.change_type == "UpdatePricingTerms" && x.entity_id == c.entity_id)
                || world
                    .catalog
                    .entities
                    .get(&offer_id)
                    .is_some_and(|e| e.doc["Terms"].as_array().is_some_and(|t| !t.is_empty()));
            if !has_terms {
                err(
                    "MISSING_MANDATORY_TERMS",
                    "Provide pricing terms before releasing the offer.".into(),
                );
            }
            let product = product_of(&offer_id).unwrap_or_default();
            let others = world.catalog.entities.values().any(|e| {
                e.kind == "Offer"
                    && e.id != offer_id
                    && e.doc["ProductId"] == product.as_str()
                    && e.doc["State"] == "Released"
            });
            if others {
                err(
                    "TOO_MANY_OFFERS",
                    format!("{product} already has a released public offer."),
                );
            }
        }
        _ => {}
    }
}

fn price_ok(p: &str) -> bool {
    let (w, f) = p.split_once('.').unwrap_or((p, ""));
    !w.is_empty()
        && w.len() <= 9
        && w.bytes().all(|b| b.is_ascii_digit())
        && f.len() <= 8
        && f.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<f64>().is_ok_and(|v| v <= 100_000_000.0)
}

/// The security scan: `Some(report URL)` when a submitted AMI fails.
pub fn scan(world: &World, cs: &ChangeSet) -> Option<String> {
    cs.changes
        .iter()
        .filter(|c| c.change_type == "AddDeliveryOptions")
        .find_map(|c| {
            let o = &c.details["DeliveryOptions"][0];
            let inner = if o["Details"].is_object() {
                &o["Details"]
            } else {
                &o["DetailsDocument"]
            };
            let ami = inner["AmiDeliveryOptionDetails"]["AmiSource"]["AmiId"]
                .as_str()
                .unwrap_or("");
            let verdict = world
                .catalog
                .scan_overrides
                .get(ami)
                .unwrap_or(&world.config.scan_verdict);
            (verdict == "fail").then(|| {
                format!(
                    "https://scan-reports.sandbox.amipub.invalid/{}/{ami}.json",
                    cs.id
                )
            })
        })
}
