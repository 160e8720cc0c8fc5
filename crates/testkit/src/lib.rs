//! The one harness of amipub's integration suites. Each module owns one part of a test's world:
//!
//! - [`process`]: child processes, each owned by a guard that kills and reaps it when dropped;
//! - [`sandbox`]: an in-process AWS sandbox (the `fedora` world) that stops when dropped;
//! - [`store`]: stores on SQLite (temporary directories) or PostgreSQL (a schema per test), and
//!   `on_both_stores!`, one test body on both;
//! - [`postgres`]: a PostgreSQL server of a test's own, to restart;
//! - [`service`]: an amipub home against a sandbox, and a small language to run the `amipub`
//!   binary in it (`publish_build`, `kill_at`, `finish_scan`) and count what it created;
//! - [`bus`]: RabbitMQ for `amipub serve` (a vhost per test, Fedora-shaped messages, a running
//!   `serve` with its log);
//! - [`meter`]: a buyer's instance for the `amipub-meter` agent;
//! - [`fakes`]: in-memory ports for the engine;
//! - [`lifecycle`]: the lifecycle suites' helpers (a spec to create, a version to publish);
//! - [`web`]: a stand-in web server for documents amipub fetches (stream metadata, datagrepper).
//!
//! The binaries under test are the caller's: an integration test passes
//! `env!("CARGO_BIN_EXE_amipub")` (only defined for a crate's own integration tests) to
//! [`service::Env::new`] or [`meter::Rig::new`].

pub mod bus;
pub mod fakes;
pub mod lifecycle;
pub mod meter;
pub mod postgres;
pub mod process;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod web;

use std::path::PathBuf;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
