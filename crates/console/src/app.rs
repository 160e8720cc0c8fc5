//! The routes. Requests are limited in size; every response gets the security headers
//! (`headers`).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::App;
use crate::{api, headers, pages, pages_act, pages_release, pages_sign};

/// The largest request body the console reads (forms are a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The console's routes (pages, actions, API), with size limits and security headers.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/releases/{id}", get(pages_release::release))
        .route("/jobs/{id}", get(pages_release::job))
        .route("/products", get(pages_release::products))
        .route("/console.css", get(pages::stylesheet))
        .route("/sign-in", get(pages_sign::form).post(pages_sign::sign_in))
        .route("/sign-out", post(pages_sign::sign_out))
        .route("/releases/{id}/{verb}", post(pages_act::action))
        .route("/jobs/{id}/{verb}", post(pages_act::action))
        .route("/products/{slug}/{verb}", post(pages_act::product_action))
        .nest("/api/v1", api::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(headers::secure))
        .with_state(app)
}
