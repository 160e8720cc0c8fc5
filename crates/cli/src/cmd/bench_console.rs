//! `amipub bench --console`: the console and the API over a big store. Fills a fresh store
//! (SQLite in a temporary directory, or a schema of its own in the PostgreSQL database of
//! `--store`) with N releases over 20 products, each with a full timeline (most Done, some
//! failed, some in flight), serves the console on a loopback port and times the pages and API
//! calls over HTTP, as a browser or a script would meet them. Printed, never asserted.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amipub_console::access::Access;
use amipub_console::keys::Keys;
use amipub_console::ops::{Action, Operations, Pending};
use amipub_console::{App, ProductInfo};
use amipub_domain::console::ConsoleSettings;
use amipub_domain::release::{Release, State};
use amipub_engine::ports::{Store, TimelineEntry};
use amipub_store::SqlStore;
use amipub_store::backend::{drop_schema, scratch_schema};

/// Timed requests per path (after warm-up ones).
const SAMPLES: usize = 30;
const NOW: i64 = 1_764_860_000;
const PRODUCTS: usize = 20;
const REGIONS: usize = 30;

/// A clock that stands still; actions are not part of the measurement.
struct Still;

impl Operations for Still {
    fn products(&self) -> Vec<ProductInfo> {
        (0..PRODUCTS).map(product).collect()
    }

    fn parameters(&self, r: &Release) -> Vec<String> {
        vec![format!("/bench/{}/{}", r.product, r.version)]
    }

    fn now(&self) -> Pending<'_, i64> {
        Box::pin(async { NOW })
    }

    fn act<'a>(&'a self, _: Action, _: &'a str) -> Pending<'a, Result<String, String>> {
        Box::pin(async { Err("the benchmark takes no actions".to_owned()) })
    }
}

/// Runs it with `n` releases.
pub async fn run(n: usize, store: Option<&str>) -> anyhow::Result<()> {
    match store {
        Some(base) => {
            let schema = format!("amipub_bench_console_{}", std::process::id());
            let url = scratch_schema(base, &schema).await?;
            let result = measure(n, &url).await;
            drop_schema(base, &schema).await?;
            result
        }
        None => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            measure(n, &url).await
        }
    }
}

async fn measure(n: usize, url: &str) -> anyhow::Result<()> {
    // A fresh store: SQLite migrates on open, PostgreSQL is migrated here.
    let store = SqlStore::connect(&url.into()).await?;
    store.migrate().await?;
    let started = Instant::now();
    fill(&store, n).await?;
    println!(
        "console: {n} releases over {PRODUCTS} products on {}, filled in {:.1} s",
        store.backend().name(),
        started.elapsed().as_secs_f64()
    );
    let app = Arc::new(App {
        store: store.clone(),
        ops: Arc::new(Still),
        access: Access::new(&ConsoleSettings::default(), None, None)
            .map_err(|e| anyhow::anyhow!(e))?,
        keys: Keys::random().map_err(|e| anyhow::anyhow!(e))?,
        token_env: "AMIPUB_CONSOLE_TOKEN".to_owned(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service =
        amipub_console::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    let some = format!("/releases/{}", id(n / 2));
    let paths = [
        "/",
        "/api/v1/releases",
        "/api/v1/releases?state=failed",
        "/api/v1/releases?product=product-07&limit=100",
        some.as_str(),
        "/products",
    ];
    println!(
        "{:<46} {:>9} {:>9} {:>9} {:>9}",
        "GET", "median", "p95", "max", "bytes"
    );
    for path in paths {
        let (times, bytes) = time_path(addr, path).await?;
        println!(
            "{path:<46} {:>6.1} ms {:>6.1} ms {:>6.1} ms {bytes:>9}",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
            ms(times[times.len() - 1]),
        );
    }
    server.abort();
    store.close().await;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn id(i: usize) -> String {
    format!("r-bench{i:07}")
}

fn product(p: usize) -> ProductInfo {
    ProductInfo {
        slug: format!("product-{p:02}"),
        title: format!("Product {p}"),
        product_id: Some(format!("prod-{p:02}")),
        path: "catalog".to_owned(),
        approval: Some("https://example.org/t/1".to_owned()),
        approval_current: true,
        aliases: vec!["latest".to_owned()],
    }
}

/// Release `i` of `n`: the newest 40 in flight, every 97th failed, the rest Done.
fn release(i: usize, n: usize) -> Release {
    let regions: Vec<String> = amipub_domain::catalog_data::commercial_regions()
        .take(REGIONS)
        .map(|r| r.code.clone())
        .collect();
    let at = NOW - (n - i) as i64 * 3600;
    let mut r = Release::new(
        &id(i),
        &format!("product-{:02}", i % PRODUCTS),
        &format!("41.{i}"),
        "us-east-1",
        &format!("ami-{i:017x}"),
        vec!["125523088429".to_owned()],
        "x86_64",
        regions.clone(),
        at,
    );
    r.state = if i + 40 >= n {
        [State::Mirroring, State::Scanning, State::Published][i % 3]
    } else if i.is_multiple_of(97) {
        State::Failed
    } else {
        State::Done
    };
    if r.state == State::Done {
        r.regions = regions
            .iter()
            .map(|g| (g.as_str().into(), format!("ami-mp{i:015x}")))
            .collect();
    }
    if r.state == State::Failed {
        r.failure = Some(amipub_domain::release::Failure {
            step: State::Scanning,
            kind: amipub_domain::release::FailureKind::ScanFailed,
            detail: "The AWS Marketplace security scan found problems in the image".to_owned(),
            remedy: "Fix the findings, build and publish a new AMI.".to_owned(),
            controls: Vec::new(),
        });
    }
    r
}

/// A timeline of a dozen entries, as a finished release has.
fn timeline(r: &Release) -> Vec<TimelineEntry> {
    let states = [
        "received",
        "admitted",
        "mirroring",
        "mirrored",
        "granted",
        "submitting",
        "scanning",
        "published",
        "located",
        "parameters_written",
        "announced",
        "done",
    ];
    states
        .iter()
        .enumerate()
        .map(|(k, to)| TimelineEntry {
            at: r.entered_at + k as i64 * 400,
            event: "moved".to_owned(),
            from: if k == 0 { "-" } else { states[k - 1] }.to_owned(),
            to: (*to).to_owned(),
            detail: String::new(),
        })
        .collect()
}

async fn fill(store: &SqlStore, n: usize) -> anyhow::Result<()> {
    for i in 0..n {
        let r = release(i, n);
        store.save(&r, &timeline(&r), &[]).await?;
    }
    Ok(())
}

/// Sorted durations of `SAMPLES` GETs of `path` (after three warm-ups), and the body size.
async fn time_path(
    addr: std::net::SocketAddr,
    path: &str,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut times = Vec::with_capacity(SAMPLES);
        let mut bytes = 0;
        for k in 0..SAMPLES + 3 {
            let t = Instant::now();
            let (status, size) = get(addr, &path)?;
            anyhow::ensure!(status == 200, "GET {path} answered {status}");
            if k >= 3 {
                times.push(t.elapsed());
            }
            bytes = size;
        }
        times.sort();
        Ok((times, bytes))
    })
    .await?
}

/// One GET over a fresh connection: the status and the body's size.
fn get(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<(u16, usize)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    let text = String::from_utf8_lossy(&all);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    Ok((status, body))
}
