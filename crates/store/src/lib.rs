//! amipub's durable state in SQLite (the embedded default): releases with their append-only
//! timelines, the outbox of announcements, the inbox of received build messages (`inbox`), and the
//! products' Marketplace ids, and lifecycle jobs (`jobs`).
//!
//! `migrate` applies the embedded schema; `lease` names workers and tells whether a lease's
//! holder is still alive; `sqlite` implements the engine's `Store` port and the queries the CLI
//! reads with. A state change, its timeline entry and its outbox row commit in one transaction.

pub mod error;
pub mod inbox;
pub mod jobs;
pub mod lease;
mod leased;
pub mod migrate;
pub mod outbox;
pub mod products;
pub mod sqlite;

pub use error::StoreError;
pub use inbox::{InboxEntry, Intake};
pub use outbox::OutboxRow;
pub use products::ProductIds;
pub use sqlite::SqliteStore;
