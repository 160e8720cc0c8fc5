//! What every page shares: the frame (who is signed in, the CSRF token of their forms, the
//! notice after an action, whether the page refreshes itself), rendering, and the pages of a
//! message, a refusal, a missing row and a store that did not answer.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::caller::{Caller, Proof};
use crate::keys::Keys;
use crate::view::clock;

/// What every page's frame shows.
pub struct Frame {
    pub who: String,
    pub role: &'static str,
    pub signed_in: bool,
    pub csrf: String,
    pub refresh: bool,
    pub notice: Option<String>,
    pub now: String,
}

impl Frame {
    /// The frame of a page for `caller` at the engine's time `now`.
    pub fn new(keys: &Keys, caller: &Caller, now: i64, refresh: bool, query: Option<&str>) -> Self {
        Self {
            who: caller.name.clone(),
            role: caller.role.name(),
            signed_in: caller.proof == Proof::Session,
            csrf: keys.csrf(caller),
            refresh,
            notice: query.and_then(notice),
            now: clock(now),
        }
    }

    /// The frame of a page for someone the console does not know.
    pub fn nobody() -> Self {
        Self {
            who: "not signed in".to_owned(),
            role: "",
            signed_in: false,
            csrf: String::new(),
            refresh: false,
            notice: None,
            now: String::new(),
        }
    }
}

/// The words for `?did=<verb>` after an action (fixed texts: nothing from the query is shown).
fn notice(query: &str) -> Option<String> {
    let did = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "did")?
        .1;
    Some(
        match did.as_ref() {
            "retry" => "Retry asked: the engine resumes it from its failed step.",
            "cancel" => "Cancel asked.",
            "promote" => "Promote job recorded: a worker points the alias in every Region.",
            "approve" => "Approval recorded in the product's spec.",
            "signed-in" => "Signed in.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// A template rendered as a page, or a 500 page saying what went wrong.
pub fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Page error",
            &e.to_string(),
            "/",
        ),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    frame: Frame,
    heading: &'a str,
    text: &'a str,
    back: &'a str,
}

/// A page with one message.
pub fn message(code: StatusCode, heading: &str, text: &str, back: &str) -> Response {
    let t = Message {
        frame: Frame::nobody(),
        heading,
        text,
        back,
    };
    match t.render() {
        Ok(html) => (code, Html(html)).into_response(),
        // Plain text: the message may hold values from outside.
        Err(_) => (code, text.to_owned()).into_response(),
    }
}

/// The page of a refused request (401 or 403).
pub fn refused(code: StatusCode, why: &str) -> Response {
    let heading = if code == StatusCode::FORBIDDEN {
        "Not allowed"
    } else {
        "Sign in"
    };
    let mut res = message(code, heading, why, "/sign-in");
    if code == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"amipub\""),
        );
    }
    res
}

/// A store error as a page.
fn store_error(e: impl std::fmt::Display) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "The store did not answer",
        &format!("{e}; /healthz tells whether the store is up. Reload to try again."),
        "/",
    )
}

/// The page of a missing row.
pub fn not_found(what: &str, id: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("No {what} has the id {id}."),
        "/",
    )
}

/// A store error as a page (for the other page modules).
pub fn unavailable(e: impl std::fmt::Display) -> Response {
    store_error(e)
}
