//! Checks of where and how the product runs: `[regions]`, `[instance_types]` and `[delivery]`:
//! the AddRegions, AddInstanceTypes and AddDeliveryOptions limits
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>),
//! and the AMI requirements that concern them: an architecture every instance type can run
//! (`INCOMPATIBLE_AMI` on the same page), and SSH open on the scanning port
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html>).

use std::net::Ipv4Addr;

use super::{Findings, TextRule, count, duplicates, port, text};
use crate::catalog_data::region;
use crate::ids::InstanceType;
use crate::limits::*;
use crate::spec::path::FieldPath;
use crate::spec::{Delivery, ProductSpec};

pub(super) fn regions(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let r = &spec.regions;
    if r.all != r.include.is_empty() {
        f.error(
            p,
            "regions.choice",
            if r.all {
                "sets both `all = true` and an `include` list"
            } else {
                "lists no Regions"
            },
            "either `all = true` or a non-empty `include` list",
            "keep exactly one of `all = true` and `include = [...]`",
        );
    }
    let ip = p.key("include");
    count(
        f,
        &ip,
        r.include.len(),
        0,
        REGIONS_PER_CHANGE_MAX,
        "regions.count",
        "Regions",
    );
    for (i, code) in r.include.iter().enumerate() {
        match region(code) {
            None => f.error(
                &ip.index(i),
                "regions.unknown",
                format!("{code:?} is not a Region where Marketplace lists AMI products"),
                "a code from crates/domain/data/regions.toml",
                "check the spelling (e.g. eu-west-1); add new Regions to regions.toml",
            ),
            Some(info) if info.partition != "aws" => f.error(
                &ip.index(i),
                "regions.govcloud-in-include",
                format!("{code:?} is a GovCloud Region"),
                "`include` holds commercial Regions only",
                "remove it from `include` and set `govcloud = true`",
            ),
            Some(info) if info.opt_in => f.warning(
                &ip.index(i),
                "regions.opt-in",
                format!("{code} ({}) is an opt-in Region", info.name),
                "the seller account must enable opt-in Regions",
                "enable the Region in the seller account before the first release",
            ),
            Some(_) => {}
        }
    }
    duplicates(
        f,
        &ip,
        r.include.iter().map(String::as_str),
        "regions.duplicate",
        "Region",
    );
    if !matches!(r.future.as_str(), "All" | "US" | "None") {
        f.error(
            &p.key("future"),
            "regions.future.value",
            format!("{:?} is not a future-region setting", r.future),
            "exactly one of All, US, None",
            "write \"All\" to join new Regions automatically, \"US\" for US Regions only, or \"None\"",
        );
    }
}

pub(super) fn instance_types(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let it = &spec.instance_types;
    let ap = p.key("available");
    count(
        f,
        &ap,
        it.available.len(),
        usize::from(!it.all_current),
        INSTANCE_TYPES_MAX,
        "instance-types.count",
        "instance types",
    );
    all_current(f, p, spec);
    let arm = spec.product.architecture == "arm64";
    for (i, t) in it.available.iter().enumerate() {
        match t.parse::<InstanceType>() {
            Err(e) => f.error(
                &ap.index(i),
                "instance-types.format",
                format!("{t:?} is not an instance type"),
                e.expected,
                "write it as the console does, e.g. m5.large",
            ),
            Ok(ty)
                if ty.is_arm64() != arm
                    && matches!(spec.product.architecture.as_str(), "x86_64" | "arm64") =>
            {
                f.error(
                    &ap.index(i),
                    "instance-types.architecture",
                    format!(
                        "{t} is {} but the product is {}",
                        if ty.is_arm64() { "arm64" } else { "x86_64" },
                        spec.product.architecture
                    ),
                    "every instance type must run the product's architecture",
                    "remove it, or list it in a product of the other architecture",
                )
            }
            Ok(_) => {}
        }
    }
    duplicates(
        f,
        &ap,
        it.available.iter().map(String::as_str),
        "instance-types.duplicate",
        "instance type",
    );
    let rp = p.key("recommended");
    if it.recommended.parse::<InstanceType>().is_err() {
        f.error(
            &rp,
            "instance-types.format",
            format!("{:?} is not an instance type", it.recommended),
            "family, generation and size such as m5.large",
            "write it as the console does, e.g. m5.large",
        );
    } else if !it.all_current && !it.available.contains(&it.recommended) {
        f.error(
            &rp,
            "instance-types.recommended-not-available",
            format!("{} is not in `available`", it.recommended),
            "the recommended type must be an available type",
            format!(
                "add {} to `available` or recommend one of them",
                it.recommended
            ),
        );
    }
}

/// `all_current`: excluded names must be instance types, and a product priced per instance type
/// cannot take types nobody priced.
fn all_current(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let it = &spec.instance_types;
    for (i, t) in it.exclude.iter().enumerate() {
        if t.parse::<InstanceType>().is_err() {
            f.error(
                &p.key("exclude").index(i),
                "instance-types.format",
                format!("{t:?} is not an instance type"),
                "family, generation and size such as m5.large",
                "write it as the console does, e.g. m5.large",
            );
        }
    }
    if it.all_current && !spec.pricing.hourly.is_empty() {
        f.error(
            &p.key("all_current"),
            "instance-types.all-current-priced",
            "takes every current instance type, but the product has hourly prices per type",
            "all_current only for products without [pricing.hourly]",
            "list the types in `available` (each with its price), or make the product free",
        );
    }
}

pub(super) fn delivery(f: &mut Findings, p: &FieldPath, d: &Delivery) {
    text(
        f,
        &p.key("os_name"),
        &d.os_name,
        TextRule {
            min: 1,
            max: OS_FIELD_MAX_CHARS,
        },
    );
    text(
        f,
        &p.key("os_version"),
        &d.os_version,
        TextRule {
            min: 1,
            max: OS_FIELD_MAX_CHARS,
        },
    );
    let user_ok = d.os_user.len() <= 32
        && d.os_user.starts_with(|c: char| c.is_ascii_alphabetic())
        && d.os_user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !user_ok {
        f.error(
            &p.key("os_user"),
            "delivery.os-user.format",
            format!("{:?} is not a login name Marketplace accepts", d.os_user),
            "a letter, then up to 31 letters, digits, '_' or '-'",
            "use the image's default user, e.g. ec2-user or fedora",
        );
    }
    port(f, &p.key("scanning_port"), d.scanning_port);
    text(
        f,
        &p.key("usage_instructions"),
        &d.usage_instructions,
        TextRule {
            min: 1,
            max: USAGE_INSTRUCTIONS_MAX_CHARS,
        },
    );
    security_groups(f, &p.key("security_groups"), d);
    if let Some(ep) = &d.access_endpoint {
        let ep_path = p.key("access_endpoint");
        if !matches!(ep.protocol.as_str(), "http" | "https") {
            f.error(
                &ep_path.key("protocol"),
                "access-endpoint.protocol",
                format!("{:?} is not a supported protocol", ep.protocol),
                "http or https",
                "write \"https\" (or \"http\")",
            );
        }
        port(f, &ep_path.key("port"), ep.port);
        let rel = &ep.relative_path;
        if rel.starts_with('/') || rel.chars().any(char::is_whitespace) || rel.is_empty() {
            f.error(
                &ep_path.key("relative_path"),
                "access-endpoint.relative-path",
                format!("{rel:?} is not a relative path Marketplace accepts"),
                "no leading '/', no spaces, 1–2000 characters",
                "drop the leading '/' and any spaces, e.g. index.html",
            );
        } else if rel.chars().count() > RELATIVE_PATH_MAX_CHARS {
            f.error(
                &ep_path.key("relative_path"),
                "text.max-length",
                "is too long",
                format!("at most {RELATIVE_PATH_MAX_CHARS} characters"),
                "shorten the path",
            );
        }
    }
}

fn security_groups(f: &mut Findings, p: &FieldPath, d: &Delivery) {
    count(
        f,
        p,
        d.security_groups.len(),
        1,
        SECURITY_GROUPS_MAX,
        "delivery.security-groups.count",
        "security-group rules",
    );
    for (i, sg) in d.security_groups.iter().enumerate() {
        let sp = p.index(i);
        if !matches!(sg.protocol.as_str(), "tcp" | "udp") {
            f.error(
                &sp.key("protocol"),
                "security-group.protocol",
                format!("{:?} is not a protocol Marketplace accepts", sg.protocol),
                "tcp or udp",
                "write \"tcp\" or \"udp\"",
            );
        }
        port(f, &sp.key("from_port"), sg.from_port);
        port(f, &sp.key("to_port"), sg.to_port);
        if sg.from_port > sg.to_port {
            f.error(
                &sp.key("to_port"),
                "security-group.port-order",
                format!("to_port {} is below from_port {}", sg.to_port, sg.from_port),
                "from_port ≤ to_port",
                "swap the two ports",
            );
        }
        let cp = sp.key("cidrs");
        count(
            f,
            &cp,
            sg.cidrs.len(),
            1,
            CIDRS_MAX,
            "security-group.cidrs.count",
            "CIDR blocks",
        );
        for (j, c) in sg.cidrs.iter().enumerate() {
            if !is_ipv4_cidr(c) {
                f.error(
                    &cp.index(j),
                    "cidr.format",
                    format!("{c:?} is not an IPv4 CIDR block"),
                    "a.b.c.d/n with n from 0 to 32",
                    "write e.g. 0.0.0.0/0 or 10.0.0.0/16",
                );
            }
        }
    }
    let scan = d.scanning_port;
    let opened = d
        .security_groups
        .iter()
        .any(|sg| sg.protocol == "tcp" && sg.from_port <= scan && scan <= sg.to_port);
    if !d.security_groups.is_empty() && !opened {
        f.error(
            p,
            "delivery.scanning-port.closed",
            format!("no tcp rule opens the scanning port {scan}"),
            "the security scan connects to the scanning port over TCP",
            format!("add a rule: protocol = \"tcp\", from_port = {scan}, to_port = {scan}"),
        );
    }
}

/// `a.b.c.d/n`, octets 0–255, n 0–32.
pub(crate) fn is_ipv4_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    addr.parse::<Ipv4Addr>().is_ok()
        && !bits.is_empty()
        && bits.len() <= 2
        && bits.chars().all(|c| c.is_ascii_digit())
        && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

#[cfg(test)]
mod tests {
    use super::is_ipv4_cidr;

    #[test]
    fn cidr_blocks() {
        assert!(is_ipv4_cidr("0.0.0.0/0"));
        assert!(is_ipv4_cidr("10.0.0.0/16"));
        assert!(!is_ipv4_cidr("10.0.0.0"));
        assert!(!is_ipv4_cidr("10.0.0.256/8"));
        assert!(!is_ipv4_cidr("10.0.0.0/33"));
        assert!(!is_ipv4_cidr("::/0"));
    }
}
