//! Lifecycle jobs: creating a product, syncing a listing, a visibility request, alias promotion
//! and retention cleanup as durable work with the guarantees releases have — a pure state
//! machine (`decide`), stored state, waits as data, deterministic change-set tokens, one change
//! set per product at a time, resumed by any worker after a crash.

pub mod decide;
pub mod model;
pub mod plan;
#[cfg(test)]
mod tests;

pub use decide::{JobCommand, JobEvent, decide};
pub use model::{Job, JobFailure, JobKind, JobRequest, JobState};
