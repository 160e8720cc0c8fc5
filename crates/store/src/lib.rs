//! amipub's durable state in SQL, on SQLite (a file of this machine, the embedded default) or
//! PostgreSQL (one database for many workers): releases with their append-only timelines
//! (`releases`), lifecycle jobs (`jobs`), the outbox of announcements, the inbox of received
//! build messages (`inbox`), the products' Marketplace ids (`products`) and the product lock
//! (`locks`).
//!
//! `backend` says which database a URL names and connects; `db` holds the pool; `migrate`
//! applies the schema; `lease` names workers and tells whether a lease's holder is alive;
//! `leased` claims and fences rows; `wake` hears PostgreSQL's notifications; `waits` stores and
//! applies wake-ups for what waits on a change set; `copy` moves an
//! installation from one database to another. A state change, its timeline entry and its
//! outbox row commit in one transaction.

pub mod backend;
pub mod browse;
pub mod copy;
pub mod db;
pub mod error;
pub mod forms;
pub mod inbox;
pub mod jobs;
pub mod lease;
mod leased;
mod locks;
pub mod migrate;
pub mod outbox;
pub mod products;
pub mod releases;
pub mod schedules;
mod table;
pub mod verify;
mod waits;
pub mod wake;

pub use backend::{Backend, Connect};
pub use browse::Filter;
pub use db::SqlStore;
pub use error::StoreError;
pub use inbox::{InboxEntry, Intake};
pub use outbox::OutboxRow;
pub use products::ProductIds;
