//! Routing one request: which service and operation it is (SigV4 scope, `X-Amz-Target`,
//! path), which fault rule applies, the SQS long poll it asks for, and the answer in its
//! protocol's exact shape, errors included. `answer` runs it without a socket.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};

use crate::ec2::Ctx;
use crate::error::AwsError;
use crate::faults::{FaultKind, FaultRule};
use crate::protocol::{errors, query::Params, sigv4};
use crate::world::{LoggedRequest, World};
use crate::world::{Shared, lock};

/// The protocol family of a request, for error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ec2,
    Query(&'static str),
    Json,
}

/// What the router needs of a request.
struct Incoming<'a> {
    method: &'a Method,
    uri: &'a Uri,
    host: String,
    target: Option<String>,
    body: &'a [u8],
}

fn scope_of(uri: &Uri, headers: &HeaderMap) -> Option<sigv4::Scope> {
    let query_cred = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.into_owned())
    });
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    sigv4::parse(auth, query_cred.as_deref())
}

/// For an SQS ReceiveMessage with `WaitTimeSeconds`, how long to wait for a message: the
/// requested seconds of virtual time, in real time at the current time scale (at least 50 ms).
pub(crate) fn long_poll(
    shared: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<(String, String, String, std::time::Duration)> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok())?;
    if target != "AmazonSQS.ReceiveMessage" {
        return None;
    }
    let scope = scope_of(uri, headers)?;
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let wait = json["WaitTimeSeconds"]
        .as_f64()
        .filter(|w| *w > 0.0 && *w <= 20.0)?;
    let url = json["QueueUrl"].as_str()?.to_owned();
    let mut world = lock(shared);
    let account = world.principal(&scope.access_key)?.account;
    let scale = world.clock.scale().max(1.0);
    let real = (wait / scale).max(0.05);
    Some((
        account,
        scope.region,
        url,
        std::time::Duration::from_secs_f64(real),
    ))
}

/// The operation a request names, for fault rules and logs.
fn operation_of(uri: &Uri, headers: &HeaderMap, body: &[u8], service: &str) -> String {
    if let Some(t) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return t.rsplit('.').next().unwrap_or(t).to_owned();
    }
    if service == "aws-marketplace" && crate::discovery::serves(uri.path()) {
        return crate::discovery::operation(uri.path());
    }
    if service == "aws-marketplace" {
        return uri.path().trim_start_matches('/').to_owned();
    }
    Params::parse(body, uri.query())
        .get("Action")
        .unwrap_or("?")
        .to_owned()
}

pub(super) fn decide_fault(
    shared: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<FaultRule> {
    if uri.path().starts_with("/_sandbox") || uri.path().starts_with("/_imds/") {
        return None;
    }
    let mut world = lock(shared);
    if world.config.faults.is_empty() {
        return None;
    }
    let scope = scope_of(uri, headers)?;
    let op = operation_of(uri, headers, body, &scope.service);
    let resource = resource_of(uri, headers, body);
    let World {
        config, fault_rng, ..
    } = &mut *world;
    crate::faults::first_firing(&config.faults, fault_rng, |rule| {
        rule.matches(&scope.service, &op, &scope.region, resource.as_deref())
    })
    .cloned()
}

/// The resource a query-protocol request names (its `ImageId` or `SnapshotId`), for fault rules
/// that select one resource.
fn resource_of(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if headers.contains_key("x-amz-target") {
        return None;
    }
    let params = Params::parse(body, uri.query());
    ["ImageId", "SnapshotId"]
        .iter()
        .find_map(|name| params.get(name).map(str::to_owned))
}

/// A response whose body fails after the headers: the client sees the connection cut.
pub(super) fn broken_response() -> Response<Body> {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: connection reset",
        ))
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/xml")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Answers one request without a socket, through the same router as the listener (the fuzz
/// targets in `fuzz/` drive the protocol decoders this way). What only the listener does is left
/// out: the body-size read, SQS long polls, fault rules, and turning a handler's panic into a
/// 500 — a panic propagates here, so a fuzzer sees it.
pub fn answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response<Body> {
    route(shared, method, uri, headers, body, None)
}

pub(super) fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    fault: Option<FaultKind>,
) -> Response<Body> {
    if uri.path().starts_with("/_sandbox/") || uri.path() == "/_sandbox" {
        return crate::admin::handle(shared, method, uri, body);
    }
    if uri.path().starts_with("/_imds/") {
        return crate::imds::handle(shared, method, uri.path(), headers);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scope = scope_of(uri, headers);
    let target = header("x-amz-target").map(str::to_owned);
    let service = scope
        .as_ref()
        .map(|s| s.service.clone())
        .unwrap_or_default();
    let family = if target.is_some() || service == "aws-marketplace" {
        Family::Json
    } else {
        match service.as_str() {
            "iam" => Family::Query(crate::iam::NS),
            "sts" => Family::Query(crate::sts::NS),
            "ec2" | "" => Family::Ec2,
            _ => Family::Json,
        }
    };
    let incoming = Incoming {
        method,
        uri,
        host: header("host").unwrap_or("127.0.0.1").to_owned(),
        target,
        body,
    };
    let mut world = lock(shared);
    let request_id = world.ids.uuid();
    let max = world.config.max_body_bytes;
    let (operation, outcome) = if body.len() > max {
        let e = AwsError::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "The request body is {} bytes; the limit is {max}.",
                body.len()
            ),
        );
        ("?".to_owned(), Err(e))
    } else {
        match &scope {
            Some(scope) if fault.is_some_and(FaultKind::answers_with_error) => {
                let kind = fault.unwrap_or(FaultKind::ServerError);
                (
                    operation_of(uri, headers, body, &scope.service),
                    Err(crate::faults::error(kind, &scope.service)),
                )
            }
            None => {
                let e = AwsError::new(
                    403,
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token: sign it with SigV4 (any secret works in the sandbox).",
                );
                ("?".to_owned(), Err(e))
            }
            Some(scope) => {
                let drop_share = fault == Some(FaultKind::DropShare);
                serve_signed(
                    &mut world,
                    scope,
                    family,
                    &incoming,
                    &request_id,
                    drop_share,
                )
            }
        }
    };
    let region = scope.as_ref().map(|s| s.region.clone()).unwrap_or_default();
    let account = scope
        .as_ref()
        .and_then(|s| world.keys.get(&s.access_key).map(|p| p.account.clone()));
    let (status, error) = match &outcome {
        Ok(_) => (200, None),
        Err(e) => (e.status, Some(e.code.clone())),
    };
    let at = world.now_iso();
    world.log(LoggedRequest {
        at,
        service,
        operation,
        region,
        account,
        status,
        error,
    });
    drop(world);
    match (outcome, family) {
        (Ok(body), Family::Json) => {
            reply(200, "application/x-amz-json-1.1", &request_id, body, None)
        }
        (Ok(body), _) => reply(200, "text/xml", &request_id, body, None),
        (Err(e), Family::Ec2) => reply(
            e.status,
            "text/xml",
            &request_id,
            errors::ec2(&e, &request_id),
            Some(&e.code),
        ),
        (Err(e), Family::Query(ns)) => reply(
            e.status,
            "text/xml",
            &request_id,
            errors::query(&e, &request_id, ns),
            Some(&e.code),
        ),
        (Err(e), Family::Json) => {
            let mut r = reply(
                e.status,
                "application/x-amz-json-1.1",
                &request_id,
                errors::json(&e),
                Some(&e.code),
            );
            crate::sqs::mark_query_error(&mut r, incoming.target.as_deref(), &e);
            r
        }
    }
}

/// The answer to an access key the Region's partition does not know.
fn unknown_key(family: Family) -> AwsError {
    match family {
        Family::Ec2 => AwsError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        ),
        _ => AwsError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
    }
}

fn serve_signed(
    world: &mut World,
    scope: &sigv4::Scope,
    family: Family,
    req: &Incoming<'_>,
    request_id: &str,
    drop_share: bool,
) -> (String, Result<String, AwsError>) {
    let Some(principal) = world.principal(&scope.access_key) else {
        return ("?".to_owned(), Err(unknown_key(family)));
    };
    if !world.partition_admits(&principal.account, &scope.region) {
        // Real AWS: each partition has its own identities, so a commercial key is unknown in
        // GovCloud (and the other way round).
        return ("?".to_owned(), Err(unknown_key(family)));
    }
    crate::catalog::lifecycle::tick(world);
    let ctx = Ctx {
        principal,
        region: scope.region.clone(),
        request_id: request_id.to_owned(),
        now: world.clock.elapsed(),
        host: req.host.clone(),
        drop_share,
    };
    if let Some(t) = &req.target {
        let (prefix, op) = t.split_once('.').unwrap_or((t.as_str(), ""));
        let op = op.to_owned();
        let json: serde_json::Value =
            match serde_json::from_slice(if req.body.is_empty() { b"{}" } else { req.body }) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                _ => {
                    return (
                        op,
                        Err(AwsError::bad(
                            "SerializationException",
                            "The request body is not a JSON object.",
                        )),
                    );
                }
            };
        let outcome = match prefix {
            "AmazonSSM" => crate::ssm::handle(world, &ctx, &op, &json),
            "AmazonSQS" => crate::sqs::handle(world, &ctx, &op, &json),
            "AWSMPMeteringService" => crate::metering::handle(world, &ctx, &op, &json),
            _ => Err(AwsError::bad(
                "UnknownOperationException",
                format!("The sandbox does not serve {t}."),
            )),
        };
        return (op, outcome.map(|v| v.to_string()));
    }
    if scope.service == "aws-marketplace" && crate::discovery::serves(req.uri.path()) {
        let (op, outcome) =
            crate::discovery::handle(world, &ctx, req.method.as_str(), req.uri.path(), req.body);
        return (op, outcome.map(|v| v.to_string()));
    }
    if scope.service == "aws-marketplace" {
        let (op, outcome) = crate::catalog::handle(
            world,
            &ctx,
            req.method.as_str(),
            req.uri.path(),
            req.uri.query(),
            req.body,
        );
        return (op, outcome.map(|v| v.to_string()));
    }
    let params = Params::parse(req.body, req.uri.query());
    let action = match params.require("Action") {
        Ok(a) => a.to_owned(),
        Err(_) => {
            return (
                "?".to_owned(),
                Err(AwsError::new(
                    400,
                    "MissingAction",
                    "The request has no Action parameter.",
                )),
            );
        }
    };
    let outcome = match family {
        Family::Ec2 => {
            if amipub_domain::catalog_data::region(&ctx.region).is_none() {
                Err(AwsError::new(
                    401,
                    "AuthFailure",
                    format!("The Region {} does not exist.", ctx.region),
                ))
            } else if !world.region_enabled(ctx.account(), &ctx.region) {
                Err(AwsError::new(
                    401,
                    "OptInRequired",
                    format!(
                        "You are not subscribed to this service in {}: enable the Region for account {} first.",
                        ctx.region,
                        ctx.account()
                    ),
                ))
            } else {
                crate::ec2::handle(world, &ctx, &action, &params)
            }
        }
        Family::Query(ns) if ns == crate::iam::NS => {
            crate::iam::handle(world, &ctx, &action, &params)
        }
        Family::Query(_) => crate::sts::handle(world, &ctx, &action, &params),
        Family::Json => Err(AwsError::bad(
            "UnknownOperationException",
            "Unknown service.",
        )),
    };
    (action, outcome)
}

pub(super) fn reply(
    status: u16,
    content_type: &str,
    request_id: &str,
    body: String,
    error: Option<&str>,
) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header("content-type", content_type)
        .header("x-amzn-requestid", request_id)
        .header("x-amz-request-id", request_id);
    if let Some(code) = error {
        b = b.header("x-amzn-errortype", code);
    }
    b.body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
