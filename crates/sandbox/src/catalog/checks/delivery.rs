//! Asynchronous checks of AddDeliveryOptions (a new version): version title and notes, the
//! delivery details, the ingestion role Marketplace assumes (it must exist, trust
//! `assets.marketplace.amazonaws.com` and carry the ingestion policy) and the AMI checklist (the
//! seller's, in us-east-1, available, HVM, EBS, 64-bit, unencrypted, ENA, no product code).

use serde_json::Value;

use super::{len, project, strings};
use crate::world::World;
use crate::world::catalog::ChangeSet;
use crate::world::iam::{INGESTION_POLICY_ARN, INGESTION_PRINCIPAL, Iam};

pub(super) fn check(
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
