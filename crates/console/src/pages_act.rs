//! The actions as POST forms: retry and cancel of a release or job, promote and approve of a
//! product. Each needs an operator and the caller's CSRF token; what the engine says goes back
//! to the page (303 to it on success, a 409 page with the reason when nothing was done).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::access::Proof;
use crate::frame::{message, not_found, refused};
use crate::guard::Seen;
use crate::ops::Action;
use crate::state::App;
use crate::view::plain;

/// The fields of a posted form.
fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// One field of a posted form, trimmed (empty when absent).
pub(crate) fn form_field(body: &[u8], name: &str) -> String {
    field(&fields(body), name).unwrap_or_default().to_owned()
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The longest value a form field may have.
const MAX_FIELD_CHARS: usize = 500;

/// Whether the caller may act with this form; the status and reason when not.
fn allowed(
    app: &App,
    seen: &Seen,
    fields: &[(String, String)],
) -> Result<(), (StatusCode, String)> {
    if seen.caller.proof == Proof::Loopback {
        return Err((
            StatusCode::UNAUTHORIZED,
            "reading is open on this machine, acting is not: sign in with an operator token".into(),
        ));
    }
    if !seen.caller.may_act() {
        return Err((
            StatusCode::FORBIDDEN,
            format!("{} is a viewer; only operators may act", seen.caller.name),
        ));
    }
    let token = field(fields, "csrf").unwrap_or_default();
    if !app.keys.csrf_ok(&seen.caller, token) {
        return Err((
            StatusCode::FORBIDDEN,
            "the form's CSRF token is missing or not yours: reload the page and try again".into(),
        ));
    }
    Ok(())
}

async fn act(
    app: &App,
    seen: &Seen,
    body: &[u8],
    action: Result<Action, String>,
    back: String,
) -> Response {
    let fields = fields(body);
    if let Err((code, why)) = allowed(app, seen, &fields) {
        return refused(code, &why);
    }
    let action = match action {
        Ok(a) => a,
        Err(why) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Nothing was changed",
                &why,
                &back,
            );
        }
    };
    let verb = action.verb();
    tracing::info!(by = %seen.caller.name, action = verb, "console: action asked");
    match app.ops.act(action, &seen.caller.name).await {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("{back}?did={verb}"))],
        )
            .into_response(),
        Err(why) => message(StatusCode::CONFLICT, "Nothing was changed", &why, &back),
    }
}

/// `POST /releases/{id}/{retry|cancel}` and `POST /jobs/{id}/{retry|cancel}`: the path says
/// which kind of id it must be, so a job id on a release path is not found.
pub async fn action(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path((id, verb)): Path<(String, String)>,
    seen: Seen,
    body: Bytes,
) -> Response {
    let kind = if uri.path().starts_with("/jobs/") {
        "jobs"
    } else {
        "releases"
    };
    let is_job = id.starts_with("j-");
    let fits = is_job == (kind == "jobs");
    if !fits || !plain(&id) {
        return not_found(kind.trim_end_matches('s'), &id);
    }
    let action = match verb.as_str() {
        "retry" => Action::Retry { id: id.clone() },
        "cancel" => Action::Cancel { id: id.clone() },
        _ => return not_found("action", &verb),
    };
    act(&app, &seen, &body, Ok(action), format!("/{kind}/{id}")).await
}

/// `POST /products/{slug}/{promote|approve}`.
pub async fn product_action(
    State(app): State<Arc<App>>,
    Path((slug, verb)): Path<(String, String)>,
    seen: Seen,
    body: Bytes,
) -> Response {
    let fields = fields(&body);
    let need = |name: &str| match field(&fields, name) {
        None => Err(format!(
            "the form has no {name}: fill it in and send it again"
        )),
        Some(v) if v.chars().count() > MAX_FIELD_CHARS => Err(format!(
            "{name} is longer than {MAX_FIELD_CHARS} characters"
        )),
        Some(v) => Ok(v.to_owned()),
    };
    let action = match verb.as_str() {
        "promote" => need("version").and_then(|version| {
            Ok(Action::Promote {
                product: slug.clone(),
                version,
                alias: need("alias")?,
            })
        }),
        "approve" => need("reference").map(|reference| Action::Approve {
            product: slug.clone(),
            reference,
        }),
        _ => return not_found("action", &verb),
    };
    act(&app, &seen, &body, action, "/products".to_owned()).await
}
