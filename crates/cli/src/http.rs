//! The small HTTP face of `amipub serve`: `/healthz` (200 when the bus connections are up, 503
//! with what is down) and `/metrics` (Prometheus text: bus counters, releases by state, the
//! outbox backlog). Loopback by default; nothing here changes state.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use amipub_bus::BusStatus;
use amipub_store::SqliteStore;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// What the handlers read.
#[derive(Clone)]
pub struct Shared {
    /// Bus counters.
    pub status: Arc<BusStatus>,
    /// The store.
    pub store: SqliteStore,
}

/// The routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

async fn healthz(State(s): State<Shared>) -> impl IntoResponse {
    let intake = s.status.intake_connected.load(Ordering::Relaxed);
    let sender = s.status.sender_connected.load(Ordering::Relaxed);
    let store = s.store.outbox_backlog().await;
    let word = |up: bool| if up { "connected" } else { "reconnecting" };
    let body = serde_json::json!({
        "status": if intake && sender && store.is_ok() { "ok" } else { "degraded" },
        "intake": word(intake),
        "sender": word(sender),
        "store": match &store { Ok(_) => "ok".to_owned(), Err(e) => e.to_string() },
        "outbox_backlog": store.as_ref().ok(),
    });
    let code = if intake && sender && store.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

async fn metrics(State(s): State<Shared>) -> impl IntoResponse {
    let mut out = s.status.prometheus();
    out.push_str("# HELP amipub_releases Releases in the store by state.\n");
    out.push_str("# TYPE amipub_releases gauge\n");
    if let Ok(counts) = s.store.state_counts().await {
        for (state, n) in counts {
            out.push_str(&format!("amipub_releases{{state=\"{state}\"}} {n}\n"));
        }
    }
    out.push_str("# HELP amipub_outbox_backlog Announcements waiting for the broker.\n");
    out.push_str("# TYPE amipub_outbox_backlog gauge\n");
    if let Ok(n) = s.store.outbox_backlog().await {
        out.push_str(&format!("amipub_outbox_backlog {n}\n"));
    }
    out.push_str("# HELP amipub_inbox_messages Inbox rows by outcome.\n");
    out.push_str("# TYPE amipub_inbox_messages gauge\n");
    if let Ok(counts) = s.store.inbox_counts().await {
        for (outcome, n) in counts {
            out.push_str(&format!(
                "amipub_inbox_messages{{outcome=\"{outcome}\"}} {n}\n"
            ));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
