//! The intake decision for one delivery from the bus: ignore it (nobody here listens to that
//! topic), dead-letter it with a reason (something claims to be a build announcement but cannot
//! be used), or turn it into one build per product whose `[intake]` rule it matches (possibly
//! none: a valid announcement of a build no product wants). Whether the source AMI's owner is
//! trusted needs EC2, so the caller checks that after this decision.

use serde_json::Value;

pub use super::verdict::{
    Delivery, MAX_BODY, Matched, Reason, Verdict, glob_matches, topic_matches,
};
use super::{INBOUND_SCHEMA, INBOUND_SCHEMA_TEXT, schema};
use crate::release::build::from_fedora_body;
use crate::spec::ProductSpec;

/// Whether the routing key carries the inbound schema's topic (after any prefix words).
fn inbound_topic(key: &str) -> bool {
    let topic: Vec<&str> = INBOUND_SCHEMA.split('.').collect();
    let words: Vec<&str> = key.split('.').collect();
    words.windows(topic.len()).any(|w| w == topic.as_slice())
}

/// The inbound JSON Schema, parsed once.
fn inbound_schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(INBOUND_SCHEMA_TEXT).unwrap_or(Value::Null))
}

/// Whether a delivery is one of amipub's own announcements: it names one of their schemas, or
/// its routing key carries their topic (`amipub.release.…`, after any prefix words).
pub fn is_own(d: &Delivery<'_>) -> bool {
    let own_schema = d.schema.is_some_and(|s| s.starts_with(OWN_SCHEMA_PREFIX));
    let words: Vec<&str> = d.routing_key.split('.').collect();
    own_schema || words.windows(2).any(|w| w == ["amipub", "release"])
}

/// The prefix of amipub's outbound schemas (`amipub.release.published.v1`, …).
const OWN_SCHEMA_PREFIX: &str = "amipub.release.";

/// Decides what to do with a delivery, for `products` (those without `[intake]` never match).
pub fn classify(d: &Delivery<'_>, products: &[ProductSpec]) -> Verdict {
    if is_own(d) {
        return Verdict::Own;
    }
    if let Some(v) = super::coreos::classify_stream(d.routing_key, d.body, products) {
        return v;
    }
    let wanted = products.iter().any(|p| {
        p.intake
            .as_ref()
            .is_some_and(|i| i.stream.is_none() && topic_matches(&i.topic, d.routing_key))
    });
    let claims = d.schema == Some(INBOUND_SCHEMA);
    let topic_known = inbound_topic(d.routing_key);
    if !wanted && !claims && !topic_known {
        return Verdict::Irrelevant;
    }
    let dead = |r: Reason, detail: String| Verdict::Dead(r, detail);
    if d.body.len() > MAX_BODY {
        return dead(
            Reason::TooLarge,
            format!(
                "the body has {} bytes; at most {MAX_BODY} are read",
                d.body.len()
            ),
        );
    }
    if let Some(ct) = d.content_type
        && !ct.eq_ignore_ascii_case("application/json")
    {
        return dead(
            Reason::ContentType,
            format!("content_type is {ct:?}; build announcements are application/json"),
        );
    }
    if let Some(enc) = d.content_encoding
        && !enc.eq_ignore_ascii_case("utf-8")
    {
        return dead(
            Reason::ContentType,
            format!("content_encoding is {enc:?}; build announcements are utf-8"),
        );
    }
    match d.schema {
        Some(INBOUND_SCHEMA) => {}
        Some(other) => {
            return dead(
                Reason::UnknownSchema,
                format!(
                    "the fedora_messaging_schema header is {other:?}; on {} amipub reads only {INBOUND_SCHEMA}",
                    d.routing_key
                ),
            );
        }
        None => {
            return dead(
                Reason::UnknownSchema,
                format!("no fedora_messaging_schema header; {INBOUND_SCHEMA} expected"),
            );
        }
    }
    if !topic_known {
        return dead(
            Reason::UnknownTopic,
            format!(
                "the routing key {} is not a topic of {INBOUND_SCHEMA} (expected <prefix>.{INBOUND_SCHEMA}[.<suffix>])",
                d.routing_key
            ),
        );
    }
    let body: Value = match std::str::from_utf8(d.body)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => return dead(Reason::NotJson, format!("the body is not JSON: {e}")),
    };
    let errors = schema::validate(inbound_schema(), &body, "body");
    if !errors.is_empty() {
        return dead(Reason::InvalidBody, errors.join("; "));
    }
    let mut builds = Vec::new();
    for spec in products {
        let Some(rule) = spec.intake.as_ref().filter(|i| i.stream.is_none()) else {
            continue;
        };
        if !wants(rule, d.routing_key, &body) {
            continue;
        }
        match from_fedora_body(&body, &rule.source_region) {
            Ok(build) => builds.push(Matched {
                product: spec.product.slug.clone(),
                build,
            }),
            Err(e) => {
                return dead(
                    Reason::NoSourceAmi,
                    format!("product {} wants this build but {e}", spec.product.slug),
                );
            }
        }
    }
    Verdict::Builds(builds)
}

/// Whether a product's `[intake]` rule wants a schema-valid body on `routing_key`.
fn wants(rule: &crate::spec::Intake, routing_key: &str, body: &Value) -> bool {
    let text = |k: &str| body[k].as_str().unwrap_or_default();
    let release_ok = match rule.release.as_str() {
        "*" => true,
        "rawhide" => {
            routing_key.split('.').any(|w| w == "rawhide") || text("compose_id").contains("Rawhide")
        }
        n => body["release"].as_i64().map(|r| r.to_string()).as_deref() == Some(n),
    };
    topic_matches(&rule.topic, routing_key)
        && rule
            .subvariant
            .as_deref()
            .is_none_or(|s| s == text("subvariant"))
        && rule.arch == text("architecture")
        && release_ok
        && glob_matches(&rule.image_name, text("image_name"))
}

#[cfg(test)]
mod tests;
