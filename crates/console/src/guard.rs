//! The access check as extractors: `Seen` for pages and `ApiSeen` for `/api/v1` give the
//! caller and the engine's time, or refuse with 401/403, as a page or as JSON.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::Refusal;
use crate::caller::Caller;
use crate::state::App;

/// A caller allowed to read pages.
pub struct Seen {
    /// Who.
    pub caller: Caller,
    /// The engine's time.
    pub now: i64,
}

/// A caller allowed to read the API.
pub struct ApiSeen {
    /// The engine's time.
    pub now: i64,
}

/// The caller's address; a request without one (never from `serve`) counts as from nowhere.
fn peer(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Wall-clock seconds: sessions run out in real time, whatever the engine's clock says.
pub fn wall_now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn check(parts: &Parts, app: &App) -> Result<(Caller, i64), (StatusCode, String)> {
    let known = app
        .access
        .caller(&app.keys, peer(parts), &parts.headers, wall_now());
    match known {
        // The engine's clock is asked only for callers who may read.
        Ok(Some(c)) => Ok((c, app.ops.now().await)),
        Ok(None) => Err((
            StatusCode::UNAUTHORIZED,
            "sign in: send a bearer token, come through the trusted proxy, or sign in at /sign-in"
                .to_owned(),
        )),
        Err(Refusal::Unauthenticated(m)) => Err((StatusCode::UNAUTHORIZED, m)),
        Err(Refusal::Forbidden(m)) => Err((StatusCode::FORBIDDEN, m)),
    }
}

impl FromRequestParts<Arc<App>> for Seen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        match check(parts, app).await {
            Ok((caller, now)) => Ok(Seen { caller, now }),
            Err((code, why)) => Err(crate::frame::refused(code, &why)),
        }
    }
}

impl FromRequestParts<Arc<App>> for ApiSeen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        match check(parts, app).await {
            Ok((_, now)) => Ok(ApiSeen { now }),
            Err((code, why)) => Err(api_error(code, &why)),
        }
    }
}

/// A JSON error body, as the OpenAPI document describes it.
pub fn api_error(code: StatusCode, why: &str) -> Response {
    let body = serde_json::json!({ "error": why }).to_string();
    let mut res = (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if code == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"amipub\""),
        );
    }
    res
}
