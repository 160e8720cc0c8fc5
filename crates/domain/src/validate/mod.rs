//! `amipub validate`: checks a product spec against every documented Marketplace limit and
//! amipub's own rules, reporting every problem at once with its field path, line, limit and fix.
//!
//! The checks are split by the spec's sections (`listing`, `delivery`, `commerce`,
//! `automation`); this module holds the entry points and the small shared checks (text, URLs,
//! CIDRs, duplicates) they are built from.

mod automation;
mod commerce;
mod delivery;
mod listing;
pub mod meter;
pub mod report;

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

pub use report::{Findings, Problem, Severity, has_errors};

use crate::spec::path::FieldPath;
use crate::spec::{ProductSpec, parse_spec};

/// Parses and checks one spec text; parse failures come back as problems too.
pub fn validate_text(text: &str) -> (Option<ProductSpec>, Vec<Problem>) {
    match parse_spec(text) {
        Ok(spec) => {
            let problems = check(&spec).into_problems(text);
            (Some(spec), problems)
        }
        Err(problem) => (None, vec![*problem]),
    }
}

/// Runs every check on a parsed spec.
pub fn check(spec: &ProductSpec) -> Findings {
    let mut f = Findings::default();
    let root = FieldPath::root();
    automation::product(&mut f, &root.key("product"), spec);
    listing::check(&mut f, &root.key("listing"), &spec.listing);
    delivery::regions(&mut f, &root.key("regions"), spec);
    delivery::instance_types(&mut f, &root.key("instance_types"), spec);
    delivery::delivery(&mut f, &root.key("delivery"), &spec.delivery);
    commerce::pricing(&mut f, &root.key("pricing"), spec);
    commerce::legal(&mut f, &root.key("legal"), &spec.legal);
    commerce::availability(&mut f, &root.key("availability"), spec);
    commerce::allowlist(&mut f, &root.key("allowlist"), spec);
    commerce::approval(&mut f, &root.key("approval"), spec);
    automation::intake(&mut f, &root.key("intake"), spec);
    automation::versions(&mut f, &root.key("versions"), spec);
    automation::retention(&mut f, &root.key("retention"), spec);
    automation::ssm(&mut f, &root.key("ssm"), spec);
    automation::announce(&mut f, &root.key("announce"), spec);
    f
}

/// Limits for one text field.
pub struct TextRule {
    /// Fewest characters (0 = optional).
    pub min: usize,
    /// Most characters.
    pub max: usize,
}

/// Length, leading whitespace, control characters and the trademark-spacing rule Marketplace
/// applies to its text fields (the UpdateInformation rules,
/// <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-seller-products.html>,
/// and the AddDeliveryOptions errors,
/// <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>).
pub fn text(f: &mut Findings, path: &FieldPath, value: &str, rule: TextRule) {
    let n = value.chars().count();
    if rule.min > 0 && value.trim().is_empty() {
        f.error(
            path,
            "text.required",
            "is empty",
            format!("{}–{} characters", rule.min, rule.max),
            "write a value; Marketplace requires this field",
        );
        return;
    }
    if n > rule.max {
        f.error(
            path,
            "text.max-length",
            format!("is {n} characters long"),
            format!("at most {} characters", rule.max),
            format!("shorten it by {} characters", n - rule.max),
        );
    }
    if value.starts_with(char::is_whitespace) {
        f.error(
            path,
            "text.leading-whitespace",
            "starts with whitespace",
            "must start with a visible character",
            "remove the leading spaces or newlines",
        );
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(*c as u32, 0x00..=0x08 | 0x0B..=0x1F))
    {
        f.error(
            path,
            "text.control-characters",
            format!("contains the control character U+{:04X}", c as u32),
            "no control characters other than tab and newline",
            "remove the character (often pasted from another document)",
        );
    }
    if value.contains(" ™") || value.contains(" ®") {
        f.error(
            path,
            "text.trademark-space",
            "has a space before a trademark symbol",
            "no space before ™ or ®",
            "write the symbol right after the word, e.g. Fedora™",
        );
    }
}

/// A plain `https://host.tld/...` URL (media and EULA links).
pub(crate) fn https_url(f: &mut Findings, path: &FieldPath, url: &str, max: usize) {
    let n = url.chars().count();
    if n > max {
        f.error(
            path,
            "url.max-length",
            format!("is {n} characters long"),
            format!("at most {max} characters"),
            "use a shorter URL",
        );
    }
    if !is_url(url, true) {
        f.error(
            path,
            "url.https",
            format!("{url:?} is not an https:// URL with a host name"),
            "https://<host>.<tld>/<path>, no spaces",
            "use the public HTTPS address of the file",
        );
    }
}

pub(crate) fn is_url(url: &str, https_only: bool) -> bool {
    let rest = match url.strip_prefix("https://") {
        Some(r) => r,
        None if !https_only => match url.strip_prefix("http://") {
            Some(r) => r,
            None => return false,
        },
        None => return false,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    !host.is_empty()
        && host.contains('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '@' | '_'))
        && !url.chars().any(char::is_whitespace)
}

/// A compiled regex from a pattern known at build time.
pub(crate) fn regex(
    cell: &'static OnceLock<Option<Regex>>,
    pattern: &str,
) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// Reports each repeated value after its first appearance.
pub(crate) fn duplicates<'a>(
    f: &mut Findings,
    path: &FieldPath,
    values: impl IntoIterator<Item = &'a str>,
    rule: &'static str,
    what: &str,
) {
    let mut seen = HashSet::new();
    for (i, v) in values.into_iter().enumerate() {
        if !seen.insert(v) {
            f.error(
                &path.index(i),
                rule,
                format!("{what} {v:?} appears more than once"),
                format!("each {what} once"),
                "remove the repeated entry",
            );
        }
    }
}

/// A count limit on a list.
pub(crate) fn count(
    f: &mut Findings,
    path: &FieldPath,
    len: usize,
    min: usize,
    max: usize,
    rule: &'static str,
    what: &str,
) {
    if len < min || len > max {
        let fix = if len < min {
            format!("add at least {} {what}", min - len)
        } else {
            format!("remove {} {what}", len - max)
        };
        f.error(
            path,
            rule,
            format!("has {len} {what}"),
            format!("{min}–{max} {what}"),
            fix,
        );
    }
}

/// A TCP/UDP port.
pub(crate) fn port(f: &mut Findings, path: &FieldPath, value: i64) {
    if !(1..=65535).contains(&value) {
        f.error(
            path,
            "port.range",
            format!("{value} is not a port number"),
            "1–65535",
            "use a port between 1 and 65535",
        );
    }
}

/// A 12-digit account id.
pub(crate) fn account(f: &mut Findings, path: &FieldPath, value: &str) {
    if value.parse::<crate::ids::AccountId>().is_err() {
        f.error(
            path,
            "account.format",
            format!("{value:?} is not an AWS account id"),
            "exactly 12 digits",
            "copy the account id from the AWS console (12 digits, no dashes)",
        );
    }
}

/// An http(s) URL with a host, as used for endpoints (`http://127.0.0.1:4566`).
pub(crate) fn is_url_like(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') && !url.chars().any(char::is_whitespace)
    })
}
