//! Checks of amipub's own rules in a spec: `[product]` identity, `[intake]`, the templates in
//! `[versions]`, `[ssm]` and `[announce]`, and `[retention]`.
//!
//! Templates are checked twice: their variables must exist for that kind of template, and a
//! rendering with a typical build must satisfy the limits of what it produces (a version title
//! of at most 64 characters, a valid SSM name, a valid topic).

use std::collections::BTreeMap;

use super::{Findings, TextRule, text};
use crate::catalog_data::region;
use crate::ids::{OfferId, ProductCode, ProductId};
use crate::limits::*;
use crate::spec::path::FieldPath;
use crate::spec::{DeliveryPath, ProductSpec};
use crate::template::{self, NOTES_VARS, SSM_VARS, TITLE_VARS, TOPIC_VARS, compose_date};

/// A second-party product is published by AWS into a listing that exists: it needs the
/// listing's id (for the load form's first column) and us-east-1, the Region the form requires.
fn second_party(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    if spec.product.delivery_path != DeliveryPath::SecondParty {
        return;
    }
    if spec.product.id.is_none() {
        f.error(
            &p.key("id"),
            "product.delivery_path.id",
            "a second-party product has no `id`",
            "the Marketplace product id (prod-…) of the listing AWS created",
            "copy the product id from the listing's page or the Marketplace team's answer into [product] id",
        );
    }
    if !spec.region_codes().iter().any(|g| g == "us-east-1") {
        f.error(
            &p.key("delivery_path"),
            "product.delivery_path.us-east-1",
            "a second-party product is not listed in us-east-1",
            "the load form requires the us-east-1 clone",
            "add us-east-1 to [regions] include (or set all = true)",
        );
    }
}

pub(super) fn product(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    second_party(f, p, spec);
    let pr = &spec.product;
    let slug_ok = !pr.slug.is_empty()
        && pr.slug.len() <= SLUG_MAX_CHARS
        && pr.slug.starts_with(|c: char| c.is_ascii_lowercase())
        && pr
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        f.error(
            &p.key("slug"),
            "product.slug.format",
            format!("{:?} is not a product slug", pr.slug),
            format!("a lower-case letter, then lower-case letters, digits and '-', at most {SLUG_MAX_CHARS}"),
            "use a short name such as fedora-cloud-base-x86-64",
        );
    }
    if let Some(id) = &pr.id
        && let Err(e) = id.parse::<ProductId>()
    {
        f.error(
                &p.key("id"),
                "product.id.format",
                e.to_string(),
                e.expected,
                "copy the product id from the Marketplace Management Portal, or remove it for a new product",
            );
    }
    if let Some(id) = &pr.offer_id
        && let Err(e) = id.parse::<OfferId>()
    {
        f.error(
            &p.key("offer_id"),
            "product.offer-id.format",
            e.to_string(),
            e.expected,
            "copy the public offer id, or remove it",
        );
    }
    if let Some(code) = &pr.product_code
        && let Err(e) = code.parse::<ProductCode>()
    {
        f.error(
            &p.key("product_code"),
            "product.product-code.format",
            e.to_string(),
            e.expected,
            "copy Description.ProductCode from DescribeEntity, or remove it",
        );
    }
    if !matches!(pr.architecture.as_str(), "x86_64" | "arm64") {
        f.error(
            &p.key("architecture"),
            "product.architecture.value",
            format!(
                "{:?} is not an architecture Marketplace accepts",
                pr.architecture
            ),
            "x86_64 or arm64 (64-bit only)",
            "write \"x86_64\" or \"arm64\" (aarch64 builds are arm64)",
        );
    }
}

pub(super) fn intake(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let Some(i) = &spec.intake else { return };
    if !is_topic(&i.topic, true) {
        f.error(
            &p.key("topic"),
            "intake.topic.pattern",
            format!("{:?} is not an AMQP topic pattern", i.topic),
            "dot-separated words; '*' and '#' only as whole words",
            "write e.g. org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#",
        );
    }
    let arch_matches = match i.arch.as_str() {
        "x86_64" => spec.product.architecture == "x86_64",
        "aarch64" | "arm64" => spec.product.architecture == "arm64",
        _ => false,
    };
    if !arch_matches {
        f.error(
            &p.key("arch"),
            "intake.arch.mismatch",
            format!(
                "builds for {:?} cannot become versions of a {} product",
                i.arch, spec.product.architecture
            ),
            "x86_64 builds for x86_64 products, aarch64 builds for arm64 products",
            "match intake.arch to product.architecture",
        );
    }
    let release_ok = i.release == "*"
        || i.release == "rawhide"
        || i.release.chars().all(|c| c.is_ascii_digit()) && !i.release.is_empty();
    if !release_ok {
        f.error(
            &p.key("release"),
            "intake.release.format",
            format!("{:?} is not a release filter", i.release),
            "a release number, \"rawhide\" or \"*\"",
            "write e.g. \"41\" or \"*\"",
        );
    }
    let glob_ok = !i.image_name.is_empty()
        && i.image_name.len() <= 128
        && i.image_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "()[] ./-'@_*?".contains(c));
    if !glob_ok {
        f.error(
            &p.key("image_name"),
            "intake.image-name.glob",
            format!("{:?} cannot match an AMI name", i.image_name),
            "up to 128 of the characters AMI names use, plus '*' and '?'",
            "write e.g. \"Fedora-Cloud-Base-AmazonEC2.x86_64-*\"",
        );
    }
    if let Some(s) = &i.stream
        && !crate::messages::coreos::valid_stream(s)
    {
        f.error(
            &p.key("stream"),
            "intake.stream.name",
            format!("{s:?} is not a stream name"),
            "letters, digits, '-' and '_' (Fedora CoreOS: stable, testing, next)",
            "write e.g. \"stable\"",
        );
    }
    if region(&i.source_region).is_none_or(|r| r.partition != "aws") {
        f.error(
            &p.key("source_region"),
            "intake.source-region.unknown",
            format!("{:?} is not a commercial Region", i.source_region),
            "a Region code from crates/domain/data/regions.toml",
            "write \"us-east-1\" unless builds are uploaded elsewhere first",
        );
    }
}

/// A typical build, used to check what templates render to.
pub(crate) fn sample_vars(spec: &ProductSpec) -> BTreeMap<&'static str, String> {
    let arch = spec
        .intake
        .as_ref()
        .map(|i| i.arch.clone())
        .unwrap_or_else(|| spec.product.architecture.clone());
    let compose_id = "Fedora-41-20241027.0".to_owned();
    let mut v = BTreeMap::new();
    match spec.intake.as_ref().and_then(|i| i.stream.clone()) {
        Some(stream) => {
            v.insert("release", "41.20241027.3.0".to_owned());
            v.insert("stream", stream);
        }
        None => {
            v.insert("release", "41".to_owned());
        }
    }
    v.insert("subvariant", "Cloud_Base".to_owned());
    v.insert("compose_date", compose_date(&compose_id));
    v.insert(
        "image_name",
        format!("Fedora-Cloud-Base-AmazonEC2.{arch}-41-1.4"),
    );
    v.insert("compose_id", compose_id);
    v.insert("arch", arch);
    v.insert("date", "2024-10-27".to_owned());
    v.insert("ami_id", "ami-0123456789abcdef0".to_owned());
    v.insert("product_title", spec.listing.title.clone());
    v.insert("os_name", spec.delivery.os_name.clone());
    v.insert("os_version", spec.delivery.os_version.clone());
    v.insert(
        "product_id",
        spec.product
            .id
            .clone()
            .unwrap_or_else(|| "prod-abcdefghijklm".into()),
    );
    v.insert("slug", spec.product.slug.clone());
    v
}

/// Checks a template's syntax and variables; returns its rendering with the sample build.
fn template_check(
    f: &mut Findings,
    path: &FieldPath,
    tpl: &str,
    allowed: &[&str],
    vars: &BTreeMap<&'static str, String>,
) -> Option<String> {
    match template::variables(tpl) {
        Err(e) => {
            f.error(
                path,
                "template.syntax",
                e.to_string(),
                "{variable} placeholders, {{ and }} for braces",
                "fix the braces",
            );
            None
        }
        Ok(names) => {
            let unknown: Vec<String> = names
                .into_iter()
                .filter(|n| !allowed.contains(&n.as_str()))
                .collect();
            if unknown.is_empty() {
                template::render(tpl, vars).ok()
            } else {
                f.error(
                    path,
                    "template.unknown-variable",
                    format!(
                        "uses {} that this template cannot have",
                        unknown
                            .iter()
                            .map(|u| format!("{{{u}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    format!("variables: {}", allowed.join(", ")),
                    "use one of the listed variables",
                );
                None
            }
        }
    }
}

pub(super) fn versions(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let mut vars = sample_vars(spec);
    let tp = p.key("title_template");
    if let Some(title) = template_check(f, &tp, &spec.versions.title_template, TITLE_VARS, &vars) {
        let n = title.chars().count();
        if title.trim().is_empty() || n > VERSION_TITLE_MAX_CHARS {
            f.error(
                &tp,
                "versions.title.rendered",
                format!("renders to {title:?} ({n} characters) for a typical build"),
                format!("1–{VERSION_TITLE_MAX_CHARS} characters"),
                "use fewer or shorter variables",
            );
        } else if !title
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            f.warning(
                &tp,
                "versions.title.characters",
                format!("renders to {title:?}, which has characters other than letters, digits, '.', '_', '-'"),
                "simple titles keep the public AMI alias predictable",
                "use only letters, digits, '.', '_' and '-'",
            );
        }
        vars.insert("version", title);
    }
    let np = p.key("release_notes_template");
    if let Some(notes) = template_check(
        f,
        &np,
        &spec.versions.release_notes_template,
        NOTES_VARS,
        &vars,
    ) {
        text(
            f,
            &np,
            &notes,
            TextRule {
                min: 1,
                max: RELEASE_NOTES_MAX_CHARS,
            },
        );
    }
}

pub(super) fn retention(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let r = &spec.retention;
    if !(1..=1000).contains(&r.keep_latest) {
        f.error(
            &p.key("keep_latest"),
            "retention.keep-latest.range",
            format!(
                "keep_latest = {} would restrict every version",
                r.keep_latest
            ),
            "1–1000 (Marketplace requires at least one public version)",
            "keep at least 1 version",
        );
    }
    if !(0..=3650).contains(&r.grace_days) {
        f.error(
            &p.key("grace_days"),
            "retention.grace-days.range",
            format!("grace_days = {} is out of range", r.grace_days),
            "0–3650 days",
            "use e.g. 90: subscribers must be supported for 90 days after a restriction",
        );
    }
    if !(0..=3650).contains(&r.idle_days) {
        f.error(
            &p.key("idle_days"),
            "retention.idle-days.range",
            format!("idle_days = {} is out of range", r.idle_days),
            "0–3650 days",
            "use e.g. 30: a seller-side AMI launched within that many days is not deleted",
        );
    }
    for (i, e) in r.end_of_life.iter().enumerate() {
        if chrono::NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").is_err() || e.date.len() != 10 {
            f.error(
                &p.key("end_of_life").index(i).key("date"),
                "retention.end-of-life.date",
                format!("{:?} is not a date", e.date),
                "YYYY-MM-DD",
                "write the date as e.g. \"2025-11-26\"",
            );
        }
    }
}

pub(super) fn ssm(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let Some(s) = &spec.ssm else { return };
    let mut vars = sample_vars(spec);
    vars.insert("version", "41.20241027.0".to_owned());
    let vp = p.key("versioned");
    if let Ok(names) = template::variables(&s.versioned)
        && !names.iter().any(|n| n == "version")
    {
        f.error(
            &vp,
            "ssm.versioned.needs-version",
            "does not use {version}, so every release would overwrite the same parameter",
            "versioned names are immutable and unique per version",
            "add {version} to the name",
        );
    }
    if let Some(name) = template_check(f, &vp, &s.versioned, SSM_VARS, &vars) {
        ssm_name(f, &vp, &name);
    }
    for (alias, tpl) in &s.aliases {
        let ap = p.key("aliases").key(alias);
        if alias.is_empty()
            || !alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            f.error(
                &ap,
                "ssm.alias.name",
                format!("{alias:?} is not an alias name"),
                "letters, digits, '_', '-'",
                "rename the alias, e.g. latest",
            );
        }
        if template::variables(tpl).is_ok_and(|n| n.iter().any(|v| v == "version")) {
            f.error(
                &ap,
                "ssm.alias.has-version",
                "uses {version}, so it would never move to a newer release",
                "aliases name a moving pointer",
                "remove {version} from the alias name",
            );
        }
        if let Some(name) = template_check(f, &ap, tpl, SSM_VARS, &vars) {
            ssm_name(f, &ap, &name);
        }
    }
}

/// SSM parameter-name rules (PutParameter documentation): a path of `[a-zA-Z0-9_.-]` levels,
/// at most 15 levels and 1011 characters, not under the reserved `/aws` and `/ssm` prefixes.
fn ssm_name(f: &mut Findings, path: &FieldPath, name: &str) {
    let levels: Vec<&str> = name.split('/').skip(1).collect();
    let first = levels
        .first()
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_default();
    let ok = name.starts_with('/')
        && name.chars().count() <= SSM_NAME_MAX_CHARS
        && levels.len() <= SSM_NAME_MAX_LEVELS
        && levels.iter().all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        })
        && !first.starts_with("aws")
        && !first.starts_with("ssm");
    if !ok {
        f.error(
            path,
            "ssm.name.format",
            format!("renders to {name:?}, which is not a valid SSM parameter name"),
            "/level/level/... of letters, digits, '_', '.', '-'; at most 15 levels; not under /aws or /ssm",
            "write e.g. /fedora/cloud/{release}/{arch}/latest",
        );
    }
}

pub(super) fn announce(f: &mut Findings, p: &FieldPath, spec: &ProductSpec) {
    let tp = p.key("topic");
    let vars = sample_vars(spec);
    if let Some(topic) = template_check(f, &tp, &spec.announce.topic, TOPIC_VARS, &vars)
        && !is_topic(&topic, false)
    {
        f.error(
            &tp,
            "announce.topic.format",
            format!("renders to {topic:?}, which is not a routing key"),
            "dot-separated words of letters, digits, '_' and '-', no wildcards",
            "write e.g. amipub.release.published.v1",
        );
    }
}

/// An AMQP routing key, or a binding pattern when `wildcards` is set.
fn is_topic(t: &str, wildcards: bool) -> bool {
    !t.is_empty()
        && t.len() <= 255
        && t.split('.').all(|w| {
            (wildcards && (w == "*" || w == "#"))
                || (!w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        })
}
