//! The AWS Marketplace Discovery API over REST-JSON: the buyer's view of the catalog
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/discovery-apis.html>, API
//! version `2026-02-05`). It signs with the same SigV4 service name as the Catalog API
//! (`aws-marketplace`), so requests are told apart by their path, `POST /2026-02-05/<operation>`.
//!
//! Served: `GetProduct` and `ListFulfillmentOptions`, answered from the Catalog's entities as a
//! buyer sees them (`view`: who sees which product and version; `product`: the product
//! document; `page`: pagination tokens). The other operations answer `UnknownOperationException`.
//! This module owns request parsing, member validation and errors.

pub mod page;
pub mod product;
pub mod view;

use serde_json::{Value, json};

use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;

/// The path prefix of every operation: the API version.
pub const PREFIX: &str = "/2026-02-05/";

/// The Regions with a Discovery endpoint (`discovery-marketplace.<region>.api.aws`).
pub const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// `ListFulfillmentOptions` returns 25 options unless asked otherwise, at most 50
/// (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_ListFulfillmentOptions.html>).
const DEFAULT_PAGE: usize = 25;
const MAX_PAGE: i64 = 50;

/// Whether a request path is a Discovery operation.
pub fn serves(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// The operation a path names, as the model spells it (`ListFulfillmentOptions`).
pub fn operation(path: &str) -> String {
    let name = path.trim_start_matches(PREFIX);
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// 400 ValidationException with its `reason`.
pub fn validation(reason: &str, msg: impl Into<String>) -> AwsError {
    AwsError::bad("ValidationException", msg).with_reason(reason)
}

/// A member that breaks its constraint, in the words of AWS's validation messages.
fn malformed(member: &str, value: &str, constraint: &str) -> AwsError {
    validation(
        "MALFORMED_REQUEST_PARAMETERS",
        format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// 404 ResourceNotFoundException, as the Catalog API answers it.
pub use crate::catalog::not_found;

/// Handles one Discovery request; returns the operation name and the JSON answer.
pub fn handle(
    world: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    body: &[u8],
) -> (String, AwsResult<Value>) {
    let op = operation(path);
    if !REGIONS.contains(&ctx.region.as_str()) {
        let e = AwsError::new(
            403,
            "AccessDeniedException",
            format!(
                "The AWS Marketplace Discovery API is available in {}, not {}.",
                REGIONS.join(", "),
                ctx.region
            ),
        );
        return (op, Err(e));
    }
    let result = match (method, op.as_str()) {
        ("POST", "GetProduct") => json_body(body).and_then(|b| get_product(world, ctx, &b)),
        ("POST", "ListFulfillmentOptions") => {
            json_body(body).and_then(|b| list_fulfillment_options(world, ctx, &b))
        }
        _ => Err(AwsError::new(
            404,
            "UnknownOperationException",
            format!("The sandbox does not serve the Discovery operation {method} {path}."),
        )),
    };
    (op, result)
}

fn json_body(body: &[u8]) -> AwsResult<Value> {
    match serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { body }) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(AwsError::bad(
            "SerializationException",
            "The request body is not a JSON object.",
        )),
    }
}

/// `productId`: required, 1–255 word characters or hyphens (the model's `ProductId`).
fn product_id(body: &Value) -> AwsResult<String> {
    let Some(id) = body["productId"].as_str() else {
        return Err(malformed("productId", "null", "Member must not be null"));
    };
    let ok = !id.is_empty()
        && id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(malformed(
            "productId",
            id,
            "Member must satisfy regular expression pattern: [\\w\\-]+",
        ))
    }
}

/// `maxResults`: 1–50, 25 when absent.
fn max_results(body: &Value) -> AwsResult<usize> {
    match &body["maxResults"] {
        Value::Null => Ok(DEFAULT_PAGE),
        v => match v.as_i64() {
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n as usize),
            _ => Err(malformed(
                "maxResults",
                &v.to_string(),
                "Member must have value between 1 and 50",
            )),
        },
    }
}

/// The locale of the answer. Sellers write their listings in English and the sandbox has no
/// translations, so content is always in the default `en-US`; a preferred locale the service
/// does not support is refused unless the default is given as the fallback (the model's
/// `Locale` documentation).
fn locale(body: &Value) -> AwsResult<&'static str> {
    const SUPPORTED: [&str; 6] = ["en-us", "en", "fr", "es", "ko", "ja"];
    let Some(text) = body["locale"].as_str() else {
        return Ok("en-US");
    };
    let tags: Vec<String> = text
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let bad = || malformed("locale", text, "Member must name a supported locale");
    if tags.len() > 2 || tags.iter().any(String::is_empty) {
        return Err(bad());
    }
    let fallback_is_default = tags.get(1).is_some_and(|t| t == "en-us" || t == "en");
    if SUPPORTED.contains(&tags[0].as_str()) || fallback_is_default {
        Ok("en-US")
    } else {
        Err(bad())
    }
}

fn get_product(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let id = product_id(body)?;
    let locale = locale(body)?;
    let entity = view::visible_product(world, ctx.account(), &id)?;
    let options = view::options(world, entity, ctx.now);
    let mut doc = product::document(entity, !options.is_empty());
    doc["locale"] = json!(locale);
    Ok(doc)
}

fn list_fulfillment_options(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let id = product_id(body)?;
    let size = max_results(body)?;
    let locale = locale(body)?;
    let entity = view::visible_product(world, ctx.account(), &id)?;
    let options = view::options(world, entity, ctx.now);
    let start = match body["nextToken"].as_str() {
        Some(token) => page::start_of(token, &id, ctx.now)?,
        None => 0,
    };
    let end = (start + size).min(options.len());
    let items: Vec<Value> = options.get(start..end).unwrap_or_default().to_vec();
    let mut out = json!({ "fulfillmentOptions": items, "locale": locale });
    if end < options.len() {
        out["nextToken"] = json!(page::token(&id, end, ctx.now));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SandboxConfig;
    use crate::worlds::{FEDORA_PRODUCT_ID, SELLER_ACCOUNT, seed};

    fn seller(region: &str) -> Ctx {
        Ctx::root_of(SELLER_ACCOUNT, region)
    }

    #[test]
    fn requests_are_answered_or_refused_in_the_api_s_shapes() {
        let mut world = World::new(SandboxConfig::default());
        assert!(seed(&mut world, "fedora").is_ok());
        let list = "/2026-02-05/listFulfillmentOptions";
        let body = json!({ "productId": FEDORA_PRODUCT_ID }).to_string();
        let call = |world: &mut World, region: &str, method: &str, body: &[u8]| {
            handle(world, &seller(region), method, list, body).1
        };
        let listed = call(&mut world, "us-east-1", "POST", body.as_bytes());
        let options = listed.map(|v| v["fulfillmentOptions"].as_array().map(Vec::len));
        assert_eq!(options.ok(), Some(Some(1)));
        let status = |r: AwsResult<Value>| r.err().map(|e| (e.status, e.code));
        assert_eq!(
            status(call(&mut world, "us-east-1", "POST", b"not json")),
            Some((400, "SerializationException".to_owned()))
        );
        assert_eq!(
            status(call(&mut world, "us-east-1", "GET", body.as_bytes())),
            Some((404, "UnknownOperationException".to_owned()))
        );
        assert_eq!(
            status(call(&mut world, "ap-south-1", "POST", body.as_bytes())),
            Some((403, "AccessDeniedException".to_owned()))
        );
    }

    #[test]
    fn paths_name_their_operation() {
        assert!(serves("/2026-02-05/listFulfillmentOptions"));
        assert!(!serves("/ListEntities"));
        assert_eq!(
            operation("/2026-02-05/listFulfillmentOptions"),
            "ListFulfillmentOptions"
        );
    }

    #[test]
    fn members_are_checked_as_the_model_constrains_them() {
        assert_eq!(max_results(&json!({})).ok(), Some(25));
        assert_eq!(max_results(&json!({ "maxResults": 50 })).ok(), Some(50));
        let e = max_results(&json!({ "maxResults": 51 }))
            .err()
            .map(|e| e.reason);
        assert_eq!(e, Some(Some("MALFORMED_REQUEST_PARAMETERS".to_owned())));
        assert!(product_id(&json!({ "productId": "prod-abc_1" })).is_ok());
        assert!(product_id(&json!({ "productId": "prod abc" })).is_err());
        assert!(product_id(&json!({})).is_err());
    }

    #[test]
    fn locales_resolve_to_the_default_or_are_refused() {
        assert_eq!(locale(&json!({})).ok(), Some("en-US"));
        assert_eq!(locale(&json!({ "locale": "fr" })).ok(), Some("en-US"));
        assert_eq!(
            locale(&json!({ "locale": "xx, en-US" })).ok(),
            Some("en-US")
        );
        assert!(locale(&json!({ "locale": "xx" })).is_err());
        assert!(locale(&json!({ "locale": "fr, es, en" })).is_err());
    }
}
