//! The engine: claims due releases, runs the commands the state machine asks for through narrow
//! ports, feeds the results back as events, and persists every transition with its timeline entry
//! (and announcement) in one store call. Waiting is data: a release that waits has a
//! `next_check_at`, and no task sleeps on its behalf.
//!
//! `ports` defines what the engine needs from the world (images, grants, catalog, parameters,
//! store, clock) in amipub's own types; `execute` turns commands into port calls and events;
//! `engine` is the loop; `memory` holds in-memory implementations for tests and the demo;
//! `buyer_view` compares what buyers see with what was published; `events` turns change-set events
//! into stored wake-ups.

pub mod audit;
mod audit_tags;
pub mod buyer_view;
pub mod engine;
pub mod events;
pub mod execute;
pub mod fields;
pub mod job_execute;
pub mod jobs;
pub mod lifecycle_ports;
pub mod memory;
pub mod memory_buyers;
pub mod memory_clones;
pub mod notices;
pub mod parameters;
pub mod ports;
pub mod preflight;
pub mod product;
pub mod report;
pub mod retag;
pub mod second_party;
mod sync_notice;

pub use engine::Engine;
pub use ports::{PortError, PortResult, Ports};
pub use product::Product;
