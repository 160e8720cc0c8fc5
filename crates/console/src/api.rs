//! `/api/v1`: releases (filters, cursor pages), one release with its timeline, jobs, one job,
//! products, and the OpenAPI 3.1 document of all of it at `/api/v1/openapi.json`, generated
//! from these handlers and the types of `api_types`. Same access rules as the pages; errors are
//! `{"error": "..."}` with the fix.

use std::sync::Arc;

use amipub_domain::job::JobState;
use amipub_domain::release::State as RState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::OpenApi;

use crate::api_types::*;
use crate::guard::{ApiSeen, api_error};
use crate::query;
use crate::state::App;
use amipub_store::Filter;

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "amipub API", version = "1", description = "Releases, lifecycle jobs and products of an amipub service. Read-only; actions are taken on the console's pages."),
    paths(list_releases, get_release, list_jobs, get_job, list_products, list_verify),
    components(schemas(ApiError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer token scheme.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let releases = RState::ALL.map(RState::name);
        let jobs = JobState::ALL.map(JobState::name);
        for (path, names) in [
            ("/api/v1/releases", &releases[..]),
            ("/api/v1/jobs", &jobs[..]),
        ] {
            name_states(doc, path, names);
        }
    }
}

/// The `state` parameter of a list takes the domain's state names (written once, there).
fn name_states(doc: &mut utoipa::openapi::OpenApi, path: &str, names: &[&str]) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    let Some(op) = doc
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.get.as_mut())
    else {
        return;
    };
    for param in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = param
            && p.name == "state"
        {
            let values = names.iter().map(|n| (*n).to_owned());
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values));
            p.schema = Some(RefOr::T(Schema::Object(schema.build())));
        }
    }
}

/// The API's routes (under `/api/v1`).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/releases", get(list_releases))
        .route("/releases/{id}", get(get_release))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}", get(get_job))
        .route("/products", get(list_products))
        .route("/verify", get(list_verify))
        .route("/openapi.json", get(openapi))
        .fallback(no_such_path)
}

/// Any other path under `/api/v1`: JSON, like every API answer.
async fn no_such_path() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "no such API path; /api/v1/openapi.json lists them",
    )
}

fn json(body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("the store did not answer ({e}); /healthz tells whether it is up; try again"),
    )
}

/// Releases, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/releases",
    params(
        ("state" = Option<String>, Query, description = "Only releases in this state (received, scanning, done, failed, …)"),
        ("product" = Option<String>, Query, min_length = 1, max_length = 200, pattern = r"^[^\u0000]+$", description = "Only releases of this product slug"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 50)"),
        ("before" = Option<i64>, Query, minimum = 1, maximum = 9_223_372_036_854_775_807_i64, description = "The cursor a previous page's `next` gave"),
    ),
    responses(
        (status = 200, description = "A page of releases", body = ReleaseList),
        (status = 400, description = "A parameter is wrong", body = ApiError),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn list_releases(
    State(app): State<Arc<App>>,
    seen: ApiSeen,
    RawQuery(q): RawQuery,
) -> Response {
    let (f, shown) = match one_more(q.as_deref(), &RState::ALL.map(RState::name)) {
        Ok(asked) => asked,
        Err(why) => return api_error(StatusCode::BAD_REQUEST, &why),
    };
    match app.store.release_page(&f).await {
        Ok(mut rows) => json(&ReleaseList {
            next: next(&mut rows, shown),
            releases: rows
                .iter()
                .map(|(_, r)| ReleaseSummary::of(r, seen.now))
                .collect(),
        }),
        Err(e) => unavailable(e),
    }
}

/// The cursor of the page after `rows`, when the page was full.
/// The filter a list's query asks for, with one row more than the page shows (see `next`),
/// and how many it shows.
fn one_more(query: Option<&str>, states: &[&str]) -> Result<(Filter, i64), String> {
    let f = query::filter(query, states)?;
    let shown = f.limit;
    Ok((
        Filter {
            limit: shown + 1,
            ..f
        },
        shown,
    ))
}

/// The page asks the store for one row more than it shows: when that row exists, the last
/// row shown is the next page's cursor.
fn next<T>(rows: &mut Vec<(i64, T)>, limit: i64) -> Option<i64> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|(n, _)| *n)
}

/// One release with its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/releases/{id}",
    params(("id" = String, Path, description = "The release id")),
    responses(
        (status = 200, description = "The release", body = ReleaseDetail),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 404, description = "No release has this id", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn get_release(
    State(app): State<Arc<App>>,
    seen: ApiSeen,
    Path(id): Path<String>,
) -> Response {
    // No stored id holds a NUL, and PostgreSQL could not even compare one.
    if id.contains('\0') {
        return api_error(StatusCode::NOT_FOUND, "no release has such an id");
    }
    let r = match app.store.get(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return api_error(
                StatusCode::NOT_FOUND,
                &format!("no release has the id {id:?}; GET /api/v1/releases lists them"),
            );
        }
        Err(e) => return unavailable(e),
    };
    match app.store.timeline(&id).await {
        Ok(t) => json(&ReleaseDetail::of(&r, &t, seen.now)),
        Err(e) => unavailable(e),
    }
}

/// Lifecycle jobs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    params(
        ("state" = Option<String>, Query, description = "Only jobs in this state (queued, submitting, following, finishing, done, failed, cancelled)"),
        ("product" = Option<String>, Query, min_length = 1, max_length = 200, pattern = r"^[^\u0000]+$", description = "Only jobs of this product slug"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 50)"),
        ("before" = Option<i64>, Query, minimum = 1, maximum = 9_223_372_036_854_775_807_i64, description = "The cursor a previous page's `next` gave"),
    ),
    responses(
        (status = 200, description = "A page of jobs", body = JobList),
        (status = 400, description = "A parameter is wrong", body = ApiError),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn list_jobs(State(app): State<Arc<App>>, seen: ApiSeen, RawQuery(q): RawQuery) -> Response {
    let (f, shown) = match one_more(q.as_deref(), &JobState::ALL.map(JobState::name)) {
        Ok(asked) => asked,
        Err(why) => return api_error(StatusCode::BAD_REQUEST, &why),
    };
    match app.store.job_page(&f).await {
        Ok(mut rows) => json(&JobList {
            next: next(&mut rows, shown),
            jobs: rows
                .iter()
                .map(|(_, j)| JobSummary::of(j, seen.now))
                .collect(),
        }),
        Err(e) => unavailable(e),
    }
}

/// One job with its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    params(("id" = String, Path, description = "The job id (`j-…`)")),
    responses(
        (status = 200, description = "The job", body = JobDetail),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 404, description = "No job has this id", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn get_job(State(app): State<Arc<App>>, seen: ApiSeen, Path(id): Path<String>) -> Response {
    if id.contains('\0') {
        return api_error(StatusCode::NOT_FOUND, "no job has such an id");
    }
    let found = match app.store.job(&id).await {
        Ok(found) => found,
        Err(e) => return unavailable(e),
    };
    let Some(j) = found else {
        return api_error(
            StatusCode::NOT_FOUND,
            &format!("no job has the id {id:?}; GET /api/v1/jobs lists them"),
        );
    };
    match app.store.job_timeline(&id).await {
        Ok(t) => json(&JobDetail {
            job: JobSummary::of(&j, seen.now),
            args: j.request.args.clone(),
            change_sets: j.done_change_sets.clone(),
            outcome: j.outcome.clone(),
            timeline: TimelineItem::all(&t),
        }),
        Err(e) => unavailable(e),
    }
}

/// The configured products.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    responses(
        (status = 200, description = "The products", body = ProductList),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn list_products(State(app): State<Arc<App>>, _seen: ApiSeen) -> Response {
    json(&ProductList {
        products: app.ops.products(),
    })
}

/// The last `amipub verify` of every product (or of one).
#[utoipa::path(
    get,
    path = "/api/v1/verify",
    params(
        ("product" = Option<String>, Query, min_length = 1, max_length = 200, pattern = r"^[^\u0000]+$", description = "Only this product slug"),
    ),
    responses(
        (status = 200, description = "The checks, by product, Region and item", body = VerifyList),
        (status = 400, description = "A parameter is wrong", body = ApiError),
        (status = 401, description = "Credentials are missing or unknown", body = ApiError),
        (status = 403, description = "The caller may not read", body = ApiError),
        (status = 503, description = "The store did not answer; try again", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn list_verify(
    State(app): State<Arc<App>>,
    _seen: ApiSeen,
    RawQuery(q): RawQuery,
) -> Response {
    let f = match query::filter(q.as_deref(), &[]) {
        Ok(f) => f,
        Err(why) => return api_error(StatusCode::BAD_REQUEST, &why),
    };
    match app.store.verify_rows(f.product.as_deref()).await {
        Ok(rows) => json(&VerifyList {
            rows: rows.iter().map(VerifyRow::of).collect(),
        }),
        Err(e) => unavailable(e),
    }
}

/// `GET /api/v1/openapi.json` (open to anyone who may read).
async fn openapi(_seen: ApiSeen) -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
