//! Signing in with a token in a browser: the token is checked once and traded for a signed,
//! HttpOnly, SameSite=Strict session cookie that lasts `keys::SESSION_SECS` (or until the
//! service restarts); signing out clears it. Behind a trusted proxy nobody needs this page.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::{Proof, SESSION_COOKIE};
use crate::frame::{Frame, page, refused};
use crate::guard::Seen;
use crate::keys::SESSION_SECS;
use crate::pages_act::form_field;
use crate::state::App;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    frame: Frame,
    token_env: String,
}

/// `GET /sign-in`: the form (open to everyone: it shows nothing of the store).
pub async fn form(State(app): State<Arc<App>>) -> Response {
    page(&SignIn {
        frame: Frame::nobody(),
        token_env: app.token_env.clone(),
    })
}

/// The cookie's attributes; `Secure` when the request came over HTTPS through a proxy.
fn cookie(value: &str, max_age: i64, headers: &HeaderMap) -> String {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if https { "; Secure" } else { "" }
    )
}

/// `POST /sign-in`: a known token gets a session cookie.
pub async fn sign_in(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let token = form_field(&body, "token");
    let Some(caller) = app.access.by_token(&token) else {
        tracing::info!("console: a sign-in with an unknown token was refused");
        return refused(
            StatusCode::UNAUTHORIZED,
            "that token is not one the console knows: check the tokens file or the environment",
        );
    };
    let value = app
        .keys
        .session_value(&caller, crate::guard::wall_now() + SESSION_SECS);
    tracing::info!(who = %caller.name, "console: signed in");
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie(&value, SESSION_SECS, &headers)),
            (header::LOCATION, "/?did=signed-in".to_owned()),
        ],
    )
        .into_response()
}

/// `POST /sign-out`: clears the session cookie (with the caller's CSRF token).
pub async fn sign_out(
    State(app): State<Arc<App>>,
    seen: Seen,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = form_field(&body, "csrf");
    if seen.caller.proof != Proof::Session || !app.keys.csrf_ok(&seen.caller, &token) {
        return refused(
            StatusCode::FORBIDDEN,
            "sign out from the console's own page (its form carries your CSRF token)",
        );
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie("", 0, &headers)),
            (header::LOCATION, "/".to_owned()),
        ],
    )
        .into_response()
}
