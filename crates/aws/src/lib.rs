//! amipub's adapters on the AWS SDK for Rust. This crate is a leaf: nothing but the binaries
//! depend on it, so editing any other crate never recompiles the SDK.
//!
//! `config` builds SDK configurations for a partition, account and Region, pointed at real AWS
//! or (by configuration only) at the sandbox; `document` converts between JSON values and the
//! SDK's `Document` (Catalog DetailsDocuments); `failure` maps SDK errors to amipub's failure kinds;
//! `limits` paces calls per Region and API class; `adapters` implements the engine's ports (and
//! the change-set events queue, `QueueEvents`).

pub mod adapters;
pub mod config;
pub mod document;
pub mod failure;
pub mod limits;
pub mod observe;

pub use adapters::events::QueueEvents;
pub use adapters::queue::{QueueAddress, QueueSetup, ensure_queue};
pub use adapters::{AwsPorts, Seller};
pub use config::Target;
