//! The rules of one AMI delivery option: login name, operating system, scanning port, usage
//! instructions, recommended instance type, security groups, access endpoint, and the ingestion
//! role Marketplace assumes (it must exist, trust `assets.marketplace.amazonaws.com` and carry the
//! ingestion policy). Limits and error codes are those of "Work with AMI products"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>)
//! and of giving Marketplace access to the AMI
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-marketplace-ami-access.html>).

use serde_json::Value;

use super::super::instance_type::is_instance_type;
use super::super::{Errors, len, strings};
use super::Version;
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam};

pub(super) fn login_name(v: &Version, errs: &mut Errors) {
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

pub(super) fn operating_system(v: &Version, errs: &mut Errors) {
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

pub(super) fn scanning_port(v: &Version, errs: &mut Errors) {
    let port = v.source()["ScanningPort"].as_i64().unwrap_or(22);
    if !(1..=65535).contains(&port) {
        errs.push(
            "INVALID_SCANNING_PORT",
            format!("ScanningPort {port} is out of range."),
        );
    }
}

pub(super) fn usage_instructions(v: &Version, errs: &mut Errors) {
    let usage = len(&v.details["UsageInstructions"]);
    if usage == 0 || usage > 4000 {
        errs.push(
            "INVALID_USAGE_INSTRUCTIONS",
            "UsageInstructions must be 1-4000 characters.",
        );
    }
}

pub(super) fn recommended_instance_type(v: &Version, errs: &mut Errors) {
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

pub(super) fn security_groups(v: &Version, errs: &mut Errors) {
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

pub(super) fn access_endpoint(v: &Version, errs: &mut Errors) {
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
pub(super) fn ingestion_role(v: &Version, errs: &mut Errors) {
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

/// An IPv4 CIDR block such as `10.0.0.0/16`.
fn cidr(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        a.parse::<std::net::Ipv4Addr>().is_ok() && b.parse::<u8>().is_ok_and(|n| n <= 32)
    })
}
