//! The rules of AddDeliveryOptions (a new version), in three tables run in turn: the version
//! (title, release notes), its one AMI delivery option (login name, operating system, scanning
//! port, usage instructions, recommended instance type, security groups, access endpoint, and the
//! ingestion role Marketplace assumes, which must exist, trust `assets.marketplace.amazonaws.com`
//! and carry the ingestion policy), and the AMI itself (the seller's, in us-east-1, available,
//! HVM, EBS-backed, of a supported architecture, without product code, unencrypted, with ENA).
//! A version missing its one option, or naming no usable AMI, stops before the later tables, as
//! there is nothing for them to read.
//!
//! Sources: adding a version
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>),
//! giving Marketplace access to the AMI
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-marketplace-ami-access.html>)
//! and the AMI requirements
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html>).

use serde_json::Value;

use super::instance_type::{architecture, is_instance_type};
use super::{Ctx, Errors, Projected, len, strings};
use crate::world::ec2::Image;
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam};

/// What the option and image rules see: the change, its product as it will be, and the
/// option's `AmiDeliveryOptionDetails`.
struct Version<'a> {
    ctx: &'a Ctx<'a>,
    p: &'a Projected,
    details: &'a Value,
}

impl Version<'_> {
    fn source(&self) -> &Value {
        &self.details["AmiSource"]
    }

    fn ami(&self) -> &str {
        self.source()["AmiId"].as_str().unwrap_or("")
    }
}

/// Rules of the version as a whole, before its delivery option is read.
const VERSION_RULES: &[fn(&Value, &Projected, &mut Errors)] = &[version_title, release_notes];

/// Rules of the one AMI delivery option.
const OPTION_RULES: &[fn(&Version, &mut Errors)] = &[
    login_name,
    operating_system,
    scanning_port,
    usage_instructions,
    recommended_instance_type,
    security_groups,
    access_endpoint,
    ingestion_role,
];

/// Rules of the seller's AMI, once found.
const IMAGE_RULES: &[fn(&Version, &Image, &mut Errors)] = &[
    image_state,
    virtualization,
    root_device,
    image_architecture,
    product_codes,
    encryption,
    ena,
];

/// Runs the three tables over an AddDeliveryOptions change.
pub(super) fn check(ctx: &Ctx, errs: &mut Errors) {
    let p = ctx.project();
    for rule in VERSION_RULES {
        rule(ctx.details(), &p, errs);
    }
    let Some(details) = only_option(ctx.details(), errs) else {
        return;
    };
    let v = Version {
        ctx,
        p: &p,
        details,
    };
    for rule in OPTION_RULES {
        rule(&v, errs);
    }
    let Some(image) = seller_image(&v, errs) else {
        return;
    };
    for rule in IMAGE_RULES {
        rule(&v, image, errs);
    }
}

fn version_title(d: &Value, p: &Projected, errs: &mut Errors) {
    let title = d["Version"]["VersionTitle"].as_str().unwrap_or("");
    if title.is_empty()
        || title.chars().count() > 64
        || title.starts_with(' ')
        || title.contains(" ™")
    {
        errs.push(
            "INVALID_VERSION_TITLE",
            "VersionTitle must be 1-64 characters, no leading space, no space before a trademark sign.",
        );
    }
    if p.titles.contains(title) {
        errs.push(
            "DUPLICATE_VERSION_TITLE",
            format!("Version title {title} already exists for this product."),
        );
    }
}

fn release_notes(d: &Value, _: &Projected, errs: &mut Errors) {
    let notes = len(&d["Version"]["ReleaseNotes"]);
    if notes == 0 || notes > 30000 {
        errs.push(
            "INVALID_RELEASE_NOTES",
            "ReleaseNotes must be 1-30000 characters.",
        );
    }
}

/// The `AmiDeliveryOptionDetails` of the version's only delivery option (read from `Details` or
/// `DetailsDocument`); none, with an error, when there is not exactly one option.
fn only_option<'a>(d: &'a Value, errs: &mut Errors) -> Option<&'a Value> {
    let options = d["DeliveryOptions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let [o] = options else {
        errs.push("INVALID_INPUT", "Provide exactly one AMI delivery option.");
        return None;
    };
    let inner = if o["Details"].is_object() {
        &o["Details"]
    } else {
        &o["DetailsDocument"]
    };
    Some(&inner["AmiDeliveryOptionDetails"])
}

fn login_name(v: &Version, errs: &mut Errors) {
    let user = v.source()["UserName"].as_str().unwrap_or("");
    if !(user.len() <= 32
        && user.starts_with(|c: char| c.is_ascii_alphabetic())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)))
    {
        errs.push(
            "INVALID_INPUT",
            format!("UserName '{user}' is not a valid login name."),
        );
    }
}

fn operating_system(v: &Version, errs: &mut Errors) {
    for (f, code) in [
        ("OperatingSystemName", "INCOMPATIBLE_OPERATING_SYSTEM_NAME"),
        (
            "OperatingSystemVersion",
            "INCOMPATIBLE_OPERATING_SYSTEM_VERSION",
        ),
    ] {
        let n = len(&v.source()[f]);
        if n == 0 || n > 100 {
            errs.push(code, format!("{f} must be 1-100 characters."));
        }
    }
}

fn scanning_port(v: &Version, errs: &mut Errors) {
    let port = v.source()["ScanningPort"].as_i64().unwrap_or(22);
    if !(1..=65535).contains(&port) {
        errs.push(
            "INVALID_SCANNING_PORT",
            format!("ScanningPort {port} is out of range."),
        );
    }
}

fn usage_instructions(v: &Version, errs: &mut Errors) {
    let usage = len(&v.details["UsageInstructions"]);
    if usage == 0 || usage > 4000 {
        errs.push(
            "INVALID_USAGE_INSTRUCTIONS",
            "UsageInstructions must be 1-4000 characters.",
        );
    }
}

fn recommended_instance_type(v: &Version, errs: &mut Errors) {
    let rec = v.details["RecommendedInstanceType"].as_str().unwrap_or("");
    if !is_instance_type(rec) {
        errs.push(
            "INVALID_RECOMMENDED_INSTANCE_TYPE",
            format!("'{rec}' is not an instance type."),
        );
    } else if !v.p.instance_types.contains(rec) {
        errs.push(
            "RECOMMENDED_INSTANCE_TYPE_NOT_AVAILABLE",
            format!("{rec} is not an available instance type of the product."),
        );
    }
}

fn security_groups(v: &Version, errs: &mut Errors) {
    let groups = v.details["SecurityGroups"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if groups.is_empty() || groups.len() > 25 {
        errs.push(
            "INVALID_SECURITY_GROUP",
            "Provide 1-25 security group rules.",
        );
    }
    for g in groups {
        security_group(g, errs);
    }
}

fn security_group(g: &Value, errs: &mut Errors) {
    if !matches!(g["IpProtocol"].as_str(), Some("tcp" | "udp")) {
        errs.push(
            "INVALID_SECURITY_GROUP_PROTOCOL",
            "IpProtocol must be tcp or udp.",
        );
    }
    let (from, to) = (
        g["FromPort"].as_i64().unwrap_or(0),
        g["ToPort"].as_i64().unwrap_or(0),
    );
    if !(1..=65535).contains(&from) || !(1..=65535).contains(&to) || from > to {
        errs.push(
            "INVALID_SECURITY_GROUP",
            format!("Ports {from}-{to} are not a valid range."),
        );
    }
    let cidrs = strings(&g["IpRanges"]);
    if cidrs.is_empty() || cidrs.len() > 5 || cidrs.iter().any(|c| !cidr(c)) {
        errs.push(
            "INVALID_CIDR_IP",
            format!("IpRanges {cidrs:?} must be 1-5 IPv4 CIDR blocks."),
        );
    }
}

fn access_endpoint(v: &Version, errs: &mut Errors) {
    let Some(ep) = v.details["AccessEndpointUrl"].as_object() else {
        return;
    };
    if !ep
        .get("Port")
        .and_then(Value::as_i64)
        .is_some_and(|p| (1..=65535).contains(&p))
        || !matches!(
            ep.get("Protocol").and_then(Value::as_str),
            Some("http" | "https")
        )
    {
        errs.push(
            "INVALID_ACCESS_ENDPOINT_PORT",
            "AccessEndpointUrl needs a port 1-65535 and protocol http or https.",
        );
    }
    let path = ep.get("RelativePath").and_then(Value::as_str).unwrap_or("");
    if path.starts_with('/') || path.contains(' ') {
        errs.push(
            "INVALID_ACCESS_ENDPOINT_RELATIVE_PATH",
            "RelativePath must not start with '/' or contain spaces.",
        );
    }
}

/// The role Marketplace assumes to read the AMI: the seller's, trusting the ingestion service,
/// with the ingestion policy attached.
fn ingestion_role(v: &Version, errs: &mut Errors) {
    let (world, account) = (v.ctx.world, &v.ctx.cs.account);
    let role = v.source()["AccessRoleArn"].as_str().unwrap_or("");
    let found = crate::sts::parse_role_arn(role).and_then(|(acct, name)| {
        world
            .iam
            .roles
            .get(&Iam::key(&acct, &name))
            .filter(|_| acct == *account)
    });
    let problem = match found {
        None => format!(
            "AWS Marketplace could not assume {role}: the role does not exist in account {account}."
        ),
        Some(r) if !r.trusts(INGESTION_PRINCIPAL) => format!(
            "AWS Marketplace could not assume {role}: its trust policy does not allow {INGESTION_PRINCIPAL}."
        ),
        Some(r) if !r.attached.contains(INGESTION_POLICY_ARN) => format!(
            "{role} lacks the AWSMarketplaceAmiIngestion policy, so AWS Marketplace cannot copy the AMI."
        ),
        Some(_) => return,
    };
    errs.push("ASSET_ACCESS_EXCEPTION", problem);
}

/// The AMI the option names, when its id is well formed and it is the seller's, in us-east-1
/// and not deregistered; none, with the error that says why, otherwise.
fn seller_image<'a>(v: &Version<'a>, errs: &mut Errors) -> Option<&'a Image> {
    let ami = v.ami();
    let ok_id = ami.strip_prefix("ami-").is_some_and(|r| {
        (r.len() == 8 || r.len() == 17) && r.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !ok_id {
        errs.push("INVALID_AMI_ID", format!("'{ami}' is not an AMI id."));
        return None;
    }
    let account = &v.ctx.cs.account;
    let image = v
        .ctx
        .world
        .ec2
        .images
        .get(ami)
        .filter(|i| i.region == "us-east-1" && i.owner == *account && !i.deregistered);
    if image.is_none() {
        errs.push(
            "ASSET_NOT_FOUND",
            format!(
                "{ami} was not found in us-east-1 of account {account}; the AMI must be in us-east-1 and owned by the seller."
            ),
        );
    }
    image
}

fn image_state(v: &Version, image: &Image, errs: &mut Errors) {
    let state = image.state(v.ctx.world.clock.elapsed());
    if state != "available" {
        errs.push(
            "ASSET_NOT_FOUND",
            format!("{} is {state}, not available.", v.ami()),
        );
    }
}

fn virtualization(v: &Version, image: &Image, errs: &mut Errors) {
    if image.virtualization != "hvm" {
        errs.push(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{} uses {} virtualization; only hvm is supported.",
                v.ami(),
                image.virtualization
            ),
        );
    }
}

fn root_device(v: &Version, image: &Image, errs: &mut Errors) {
    if image.root_device_type != "ebs" {
        errs.push(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{} has an unexpected root volume type {}; only EBS-backed AMIs are supported.",
                v.ami(),
                image.root_device_type
            ),
        );
    }
}

/// The AMI's architecture must be one Marketplace supports and that of every instance type of
/// the product.
fn image_architecture(v: &Version, image: &Image, errs: &mut Errors) {
    let arch = image.architecture.as_str();
    if !matches!(arch, "x86_64" | "arm64") {
        errs.push(
            "INVALID_AMI_ARCHITECTURE",
            format!(
                "{} is {arch}; only x86_64 and arm64 are supported.",
                v.ami()
            ),
        );
    } else if v
        .p
        .instance_types
        .iter()
        .any(|t| architecture(t).is_some_and(|a| a != arch))
    {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} is {arch} but some instance types of the product run another architecture.",
                v.ami()
            ),
        );
    }
}

fn product_codes(v: &Version, image: &Image, errs: &mut Errors) {
    if !image.product_codes.is_empty() {
        errs.push(
            "EXISTING_AMI_PRODUCT_CODE",
            format!("{} already carries a product code.", v.ami()),
        );
    }
}

fn encryption(v: &Version, image: &Image, errs: &mut Errors) {
    let snapshots = &v.ctx.world.ec2.snapshots;
    if image
        .snapshots
        .iter()
        .any(|s| snapshots.get(s).is_some_and(|s| s.encrypted))
    {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} has encrypted snapshots; AWS Marketplace needs unencrypted ones.",
                v.ami()
            ),
        );
    }
}

fn ena(v: &Version, image: &Image, errs: &mut Errors) {
    if !image.ena_support {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} lacks ENA support, which the product's instance types require.",
                v.ami()
            ),
        );
    }
}

/// An IPv4 CIDR block such as `10.0.0.0/16`.
fn cidr(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        a.parse::<std::net::Ipv4Addr>().is_ok() && b.parse::<u8>().is_ok_and(|n| n <= 32)
    })
}
