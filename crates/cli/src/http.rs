//! The small HTTP face of `amipub serve`: `/healthz` (200 when the bus connections are up, 503
//! with what is down) and `/metrics` (the process's registry from `amipub-telemetry`, with the
//! stored counts — releases and jobs by state, the outbox backlog, the inbox, the age of the
//! oldest release in flight — set just before rendering). Loopback by default; nothing here
//! changes state.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use amipub_bus::BusStatus;
use amipub_domain::job::JobState;
use amipub_domain::release::State as ReleaseState;
use amipub_store::SqlStore;
use amipub_telemetry::Metrics;

use crate::clock::Clock;
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
    pub store: SqlStore,
    /// The engine's clock (for ages).
    pub clock: Clock,
    /// The web console and the JSON API.
    pub console: Arc<amipub_console::App>,
}

/// The routes.
pub fn router(shared: Shared) -> Router {
    let console = amipub_console::router(shared.console.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(shared)
        .merge(console)
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
    let m = amipub_telemetry::metrics();
    s.status.export();
    // A count the store cannot give keeps its last value; the store's health is on /healthz.
    if let Ok(rows) = s.store.state_counts().await {
        let names = ReleaseState::ALL.map(ReleaseState::name);
        Metrics::set_all(&m.releases, "state", &every(&names, rows));
    }
    if let Ok(rows) = s.store.job_state_counts().await {
        let names = JobState::ALL.map(JobState::name);
        Metrics::set_all(&m.jobs, "state", &every(&names, rows));
    }
    if let Ok(rows) = s.store.inbox_counts().await {
        Metrics::set_all(&m.inbox_messages, "outcome", &rows);
    }
    if let Ok(n) = s.store.outbox_backlog().await {
        m.outbox_backlog.set(n);
    }
    if let (Ok(oldest), Ok((now, _))) = (s.store.oldest_in_flight().await, s.clock.now().await) {
        m.oldest_waiting_seconds
            .set(oldest.map_or(0, |t| (now - t).max(0)));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.render(),
    )
}

/// Counts by name with every known name present (0 when the store has none), so that a
/// dashboard sees a state empty out instead of losing its series.
fn every(names: &[&str], rows: Vec<(String, i64)>) -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = names.iter().map(|n| ((*n).to_owned(), 0)).collect();
    for (name, n) in rows {
        match all.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = n,
            None => all.push((name, n)),
        }
    }
    all
}
