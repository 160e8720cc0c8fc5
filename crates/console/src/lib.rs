//! amipub's web console and JSON API, served by `amipub serve` beside `/healthz` and `/metrics`:
//! server-rendered pages (overview, a release, a job, products, sign-in), the safe actions as
//! POST forms with CSRF tokens, and `/api/v1` with its OpenAPI 3.1 document. Every request
//! passes the access rules of `[console]`; every response carries the security headers.

pub mod access;
pub mod api;
mod api_types;
mod app;
pub mod caller;
mod chart;
mod frame;
mod guard;
mod headers;
pub mod keys;
pub mod ops;
mod pages;
mod pages_act;
mod pages_release;
mod pages_sign;
mod query;
mod state;
pub mod view;

pub use app::router;
pub use ops::ProductInfo;
pub use state::App;
