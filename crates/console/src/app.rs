//! What every handler shares, and the routes. Requests are limited in size; every response
//! gets the security headers (`headers`).

use std::sync::Arc;

use amipub_store::SqlStore;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::access::Access;
use crate::keys::Keys;
use crate::ops::Operations;
use crate::{api, headers, pages, pages_act, pages_sign};

/// The largest request body the console reads (forms are a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A product as the products page shows it (from its spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    /// The slug.
    pub slug: String,
    /// The listing's title.
    pub title: String,
    /// The Marketplace product id, once the listing exists.
    pub product_id: Option<String>,
    /// `catalog` or `second-party`.
    pub path: String,
    /// The recorded approval's reference, if any.
    pub approval: Option<String>,
    /// Whether that approval covers the spec's content as it is now.
    pub approval_current: bool,
    /// The alias names of `[ssm.aliases]`.
    pub aliases: Vec<String>,
}

/// The console's state.
pub struct App {
    /// The store every worker writes.
    pub store: SqlStore,
    /// The clock and the actions.
    pub ops: Arc<dyn Operations>,
    /// Who may do what.
    pub access: Access,
    /// The signing key.
    pub keys: Keys,
    /// The configured products.
    pub products: Vec<ProductInfo>,
    /// The environment variable of the operator token (named on the sign-in page).
    pub token_env: String,
}

/// The console's routes (pages, actions, API), with size limits and security headers.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/releases/{id}", get(pages::release))
        .route("/jobs/{id}", get(pages::job))
        .route("/products", get(pages::products))
        .route("/console.css", get(pages::stylesheet))
        .route("/sign-in", get(pages_sign::form).post(pages_sign::sign_in))
        .route("/sign-out", post(pages_sign::sign_out))
        .route("/releases/{id}/{verb}", post(pages_act::release_action))
        .route("/jobs/{id}/{verb}", post(pages_act::job_action))
        .route("/products/{slug}/{verb}", post(pages_act::product_action))
        .nest("/api/v1", api::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(headers::secure))
        .with_state(app)
}
