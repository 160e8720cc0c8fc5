//! The sandbox framings: a request signed for an account, service and Region, whose first line
//! says what the router needs and whose rest is the body. One framing per protocol family, so
//! each target's mutations stay inside the decoder it is about:
//!
//! | target | first line | request |
//! |---|---|---|
//! | `sandbox_query` | `<account> <service> <region> <path?query>` | `POST`, form-encoded body (EC2, IAM, STS) |
//! | `sandbox_json` | `<account> <service> <region> <X-Amz-Target>` | `POST /`, JSON body (SSM, SQS, Metering) |
//! | `sandbox_rest` | `<account> <region> <method> <path?query>` | the Catalog's REST-JSON routes (`aws-marketplace`) |
//!
//! `<account>` is one of the fedora world's accounts (`seller`, `buyer`, `fedora`, `govcloud`,
//! `marketplace`) or an access key as it is. The signature is a placeholder: the sandbox reads
//! the SigV4 scope and never checks signatures.

use std::sync::{Arc, Mutex};

use amipub_sandbox::SandboxConfig;
use amipub_sandbox::server::Shared;
use amipub_sandbox::world::World;
use amipub_sandbox::worlds;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::split_line;

/// A request ready for `amipub_sandbox::server::answer`.
#[derive(Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Path and query.
    pub uri: Uri,
    /// Headers, `Authorization` included.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// The virtual time every world starts at and keeps (the clock does not run), so one input
/// always meets the same world.
const START: &str = "2026-01-05T10:00:00Z";

/// A fresh `fedora` world (the accounts, images, product and queue the examples use) with a
/// stopped clock.
pub fn world() -> Option<Shared> {
    let start = DateTime::parse_from_rfc3339(START)
        .ok()?
        .with_timezone(&Utc);
    let config = SandboxConfig {
        seed: 1,
        time_scale: 0.0,
        start_time: start,
        ..SandboxConfig::default()
    };
    let mut world = World::new(config);
    worlds::seed(&mut world, "fedora").ok()?;
    Some(Arc::new(Mutex::new(world)))
}

/// The access key of an account word.
fn access_key(account: &str) -> &str {
    match account {
        "seller" => worlds::SELLER_KEY,
        "buyer" => worlds::BUYER_KEY,
        "fedora" => worlds::FEDORA_BUILD_KEY,
        "govcloud" => worlds::GOVCLOUD_SELLER_KEY,
        "marketplace" => worlds::MARKETPLACE_KEY,
        key => key,
    }
}

/// The first line's words: `n` of them, the last one taking the rest of the line.
fn words(line: &[u8], n: usize) -> Option<Vec<String>> {
    let line = std::str::from_utf8(line).ok()?;
    let words: Vec<String> = line.splitn(n, ' ').map(str::to_owned).collect();
    (words.len() == n).then_some(words)
}

fn signed(account: &str, service: &str, region: &str, content_type: &str) -> Option<HeaderMap> {
    let key = access_key(account);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20260105/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
    );
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(&auth).ok()?);
    headers.insert("host", HeaderValue::from_static("localhost:4566"));
    headers.insert("x-amz-date", HeaderValue::from_static("20260105T100000Z"));
    headers.insert("content-type", HeaderValue::from_str(content_type).ok()?);
    Some(headers)
}

/// A query-protocol request (`sandbox_query`).
pub fn query(data: &[u8]) -> Option<Request> {
    let (line, body) = split_line(data);
    let [account, service, region, target] = <[String; 4]>::try_from(words(line, 4)?).ok()?;
    Some(Request {
        method: Method::POST,
        uri: Uri::try_from(target).ok()?,
        headers: signed(
            &account,
            &service,
            &region,
            "application/x-www-form-urlencoded; charset=utf-8",
        )?,
        body: body.to_vec(),
    })
}

/// A JSON-protocol request (`sandbox_json`).
pub fn json(data: &[u8]) -> Option<Request> {
    let (line, body) = split_line(data);
    let [account, service, region, target] = <[String; 4]>::try_from(words(line, 4)?).ok()?;
    let mut headers = signed(&account, &service, &region, "application/x-amz-json-1.1")?;
    headers.insert("x-amz-target", HeaderValue::from_str(&target).ok()?);
    Some(Request {
        method: Method::POST,
        uri: Uri::from_static("/"),
        headers,
        body: body.to_vec(),
    })
}

/// A REST-JSON request to the Catalog (`sandbox_rest`).
pub fn rest(data: &[u8]) -> Option<Request> {
    let (line, body) = split_line(data);
    let [account, region, method, target] = <[String; 4]>::try_from(words(line, 4)?).ok()?;
    Some(Request {
        method: Method::from_bytes(method.as_bytes()).ok()?,
        uri: Uri::try_from(target).ok()?,
        headers: signed(&account, "aws-marketplace", &region, "application/json")?,
        body: body.to_vec(),
    })
}

/// Answers `request` against a fresh world; the status code.
pub fn answer(request: &Request) -> Option<u16> {
    let shared = world()?;
    let response = amipub_sandbox::server::answer(
        &shared,
        &request.method,
        &request.uri,
        &request.headers,
        &request.body,
    );
    Some(response.status().as_u16())
}
