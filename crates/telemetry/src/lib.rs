//! What amipub says about its work, in one place: the events it reports (one type each, with
//! the fields a reader filters on), the metrics registry behind `/metrics`, and the subscriber
//! that writes log lines as text for people or JSON for machines. The other crates emit; only
//! the binaries install the subscriber. `docs/usage/observability.md` lists every event and
//! metric, and a test keeps that page equal to this crate.

pub mod events;
pub mod metrics;
pub mod subscriber;

pub use events::{EVENTS, Subject};
pub use metrics::{Metrics, metrics};
pub use subscriber::{LogFormat, init};
