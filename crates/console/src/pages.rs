//! The pages: the overview (what runs, what failed, jobs, recent releases, the chart), a
//! release (facts, Regions, timeline with durations, announcements, actions), a job and the
//! products. Server-rendered from askama templates, which escape every value; the pages
//! refresh themselves while work is running and need no JavaScript.

use std::sync::Arc;

use amipub_domain::job::{Job, JobState};
use amipub_domain::release::{Release, State as RState};
use amipub_engine::ports::TimelineEntry;
use amipub_store::Filter;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api_types::FailureOut;
use crate::chart::{self, Bar};
use crate::frame::{Frame, page, unavailable};
use crate::guard::Seen;
use crate::state::App;
use crate::view::{self, clock, span};

/// How many finished releases the chart shows.
const CHART_RELEASES: i64 = 20;
/// How many rows the overview's tables show.
const OVERVIEW_ROWS: i64 = 25;

/// A release as a row of the overview.
pub struct Row {
    pub id: String,
    pub product: String,
    pub version: String,
    pub state: &'static str,
    pub age: String,
    pub regions: String,
    pub why: String,
}

impl Row {
    fn of(r: &Release, now: i64) -> Self {
        Self {
            id: r.id.to_string(),
            product: r.product.clone(),
            version: r.version.clone(),
            state: r.state.name(),
            age: span(now - r.entered_at),
            regions: view::regions(r),
            why: view::release_why(r, now),
        }
    }
}

/// A failed release as a row.
pub struct FailedRow {
    pub id: String,
    pub product: String,
    pub version: String,
    pub failure: FailureOut,
}

/// A job as a row.
pub struct JobRow {
    pub id: String,
    pub kind: &'static str,
    pub product: String,
    pub state: &'static str,
    pub age: String,
    pub why: String,
}

impl JobRow {
    fn of(j: &Job, now: i64) -> Self {
        Self {
            id: j.id.clone(),
            kind: j.kind().label(),
            product: j.request.product.clone(),
            state: j.state.name(),
            age: span(now - j.updated_at),
            why: view::job_why(j, now),
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    frame: Frame,
    counts: Vec<(String, i64)>,
    running: Vec<Row>,
    failed: Vec<FailedRow>,
    jobs: Vec<JobRow>,
    recent: Vec<Row>,
    chart: String,
}

/// `GET /`.
pub async fn overview(State(app): State<Arc<App>>, seen: Seen, RawQuery(q): RawQuery) -> Response {
    match overview_page(&app, &seen, q.as_deref()).await {
        Ok(t) => page(&t),
        Err(e) => unavailable(e),
    }
}

async fn overview_page(
    app: &App,
    seen: &Seen,
    q: Option<&str>,
) -> Result<Overview, amipub_store::StoreError> {
    let now = seen.now;
    let store = &app.store;
    let running: Vec<Row> = store
        .active()
        .await?
        .iter()
        .map(|r| Row::of(r, now))
        .collect();
    let failed = store
        .release_page(&filter(Some("failed"), OVERVIEW_ROWS))
        .await?
        .into_iter()
        .filter_map(|(_, r)| {
            let f = r.failure.as_ref()?;
            Some(FailedRow {
                id: r.id.to_string(),
                product: r.product.clone(),
                version: r.version.clone(),
                failure: FailureOut::of_release(f),
            })
        })
        .collect();
    let jobs: Vec<JobRow> = store
        .list_jobs(OVERVIEW_ROWS)
        .await?
        .iter()
        .map(|j| JobRow::of(j, now))
        .collect();
    let recent = store
        .list(OVERVIEW_ROWS)
        .await?
        .iter()
        .map(|r| Row::of(r, now))
        .collect();
    let busy = !running.is_empty() || jobs.iter().any(|j| !is_finished_job(j.state));
    Ok(Overview {
        frame: Frame::new(&app.keys, &seen.caller, seen.now, busy, q),
        counts: store.state_counts().await?,
        running,
        failed,
        jobs,
        recent,
        chart: chart_of(app).await?,
    })
}

fn is_finished_job(state: &str) -> bool {
    JobState::ALL
        .iter()
        .any(|s| s.name() == state && s.is_terminal())
}

fn filter(state: Option<&str>, limit: i64) -> Filter {
    Filter {
        state: state.map(str::to_owned),
        limit,
        ..Filter::default()
    }
}

/// The chart of the last finished releases.
async fn chart_of(app: &App) -> Result<String, amipub_store::StoreError> {
    let done = app
        .store
        .release_page(&filter(Some(RState::Done.name()), CHART_RELEASES))
        .await?;
    let ids: Vec<String> = done.iter().map(|(_, r)| r.id.to_string()).collect();
    let timelines = app.store.timelines(&ids).await?;
    let bars: Vec<Bar> = done
        .iter()
        .rev()
        .map(|(_, r)| Bar {
            label: format!("{} {}", r.id, r.version),
            phases: timelines
                .get(r.id.as_str())
                .map(|t| view::phases(t, None))
                .unwrap_or_default(),
        })
        .collect();
    Ok(chart::svg(&bars))
}

/// A timeline entry as a row, with how long its state lasted.
pub struct TimeRow {
    pub at: String,
    pub event: String,
    pub from: String,
    pub to: String,
    pub took: String,
    pub detail: String,
}

/// Timeline rows; the last state's time counts up to `now` unless `finished`.
pub fn time_rows(timeline: &[TimelineEntry], now: i64, finished: bool) -> Vec<TimeRow> {
    timeline
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let end = timeline
                .get(i + 1)
                .map(|n| n.at)
                .or((!finished).then_some(now));
            TimeRow {
                at: clock(e.at),
                event: e.event.clone(),
                from: e.from.clone(),
                to: e.to.clone(),
                took: end.map(|t| span(t - e.at)).unwrap_or_default(),
                detail: e.detail.clone(),
            }
        })
        .collect()
}

/// `GET /console.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../templates/console.css"),
    )
        .into_response()
}
