//! The HTTP listener: one port on loopback for every service. Each request is routed by its
//! protocol — `/_sandbox/…` to the admin API, `X-Amz-Target` to the JSON services, SigV4 service
//! `aws-marketplace` to the Discovery API's REST routes (paths under its API version) or else the
//! Catalog's, everything else to the query protocol (EC2, IAM, STS) — and answered in that
//! protocol's exact shape, errors included. A handler that panics answers 500 and the server
//! keeps serving. The listener and its lifecycle live here; `route` reads and answers a request.

use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::error::AwsError;
use crate::faults::FaultKind;
use crate::protocol::errors;
use crate::world::World;
pub use crate::world::{Shared, lock};

mod route;

pub use route::answer;
pub(crate) use route::long_poll;
use route::{broken_response, decide_fault, reply, route};

/// A running sandbox.
pub struct Handle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The world, for in-process inspection.
    pub world: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Handle {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for the listener to close.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// A sandbox serving from a thread of its own (with its own runtime), for callers without an
/// async runtime such as tests that drive a binary; it stops when dropped.
pub struct Background {
    /// The world, for in-process inspection and setup.
    pub world: Shared,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Starts a sandbox with a built-in world on a free loopback port.
    pub fn start(config: SandboxConfig, world_name: &str) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<(Shared, String)>>();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let world_name = world_name.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match start(config, &world_name, SocketAddr::from(([127, 0, 0, 1], 0))).await {
                    Ok(h) => {
                        let _ = tx.send(Ok((h.world.clone(), h.endpoint())));
                        let _ = stop_rx.await;
                        h.stop().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        });
        let (world, endpoint) = rx
            .recv()
            .map_err(|_| std::io::Error::other("the sandbox thread ended before it started"))??;
        Ok(Self {
            world,
            endpoint,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a sandbox on `addr` (port 0 picks a free port) with a built-in world.
pub async fn start(
    config: SandboxConfig,
    world_name: &str,
    addr: SocketAddr,
) -> std::io::Result<Handle> {
    let mut world = World::new(config);
    crate::worlds::seed(&mut world, world_name)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message))?;
    serve_world(world, addr).await
}

/// Serves an already-built world.
pub async fn serve_world(world: World, addr: SocketAddr) -> std::io::Result<Handle> {
    let shared: Shared = Arc::new(Mutex::new(world));
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = Router::new().fallback(dispatch).with_state(shared.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Handle {
        addr,
        world: shared,
        stop: Some(tx),
        task,
    })
}

/// How often a long poll looks for a message: once a virtual second, in real time at the clock's
/// scale, between 2 and 50 ms.
fn long_poll_tick(shared: &Shared) -> std::time::Duration {
    let scale = lock(shared).clock.scale().max(1.0);
    std::time::Duration::from_secs_f64(1.0 / scale).clamp(
        std::time::Duration::from_millis(2),
        std::time::Duration::from_millis(50),
    )
}

async fn dispatch(State(shared): State<Shared>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let limit = lock(&shared).config.max_body_bytes;
    // Read one byte past the limit so an oversized body is recognised and refused in AWS's shape.
    let body = axum::body::to_bytes(body, limit + 1)
        .await
        .unwrap_or_else(|_| Bytes::from(vec![0u8; limit + 1]));
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    if let Some((account, region, url, wait)) = long_poll(&shared, &uri, &headers, &body) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            {
                let mut world = lock(&shared);
                crate::catalog::lifecycle::tick(&mut world);
                if crate::sqs::has_visible(&world, &account, &region, &url) {
                    break;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(long_poll_tick(&shared)).await;
        }
    }
    let fault = decide_fault(&shared, &uri, &headers, &body);
    match &fault {
        Some(f) if f.kind == FaultKind::Latency => {
            tokio::time::sleep(std::time::Duration::from_millis(f.latency_ms)).await
        }
        Some(f) if f.kind == FaultKind::Reset => return broken_response(),
        _ => {}
    }
    let fault = fault.map(|f| f.kind);
    let result = catch_unwind(AssertUnwindSafe(|| {
        route(&shared, &method, &uri, &headers, &body, fault)
    }));
    match result {
        Ok(r) => r,
        Err(_) => reply(
            500,
            "application/json",
            "internal-error",
            errors::json(&AwsError::new(
                500,
                "InternalFailure",
                "The sandbox hit an internal error; the request was not applied.",
            )),
            Some("InternalFailure"),
        ),
    }
}
