//! Fedora Messaging over AMQP 0-9-1 (lapin): the intake consumer, which reads build
//! announcements from a durable queue bound to `amq.topic`, hands each to a `Handler` and acks it
//! only after the handler's outcome is safe (dead letters are first copied, with their reason,
//! into the dead-letter queue); and the sender, which publishes the outbox's announcements with
//! publisher confirms and the Fedora Messaging envelope, marking a row sent only once the broker
//! confirmed it. Both reconnect with capped backoff and stop on one shutdown signal after
//! finishing the message in hand. What a message means is decided elsewhere (`domain::messages`
//! and the handler the caller gives); this crate moves bytes and keeps promises about them.

pub mod config;
pub mod connect;
pub mod intake;
pub mod sender;
pub mod status;

pub use config::BusConfig;
pub use intake::{Disposition, Handler, Incoming, run_intake};

pub use sender::{Outbox, Outgoing, run_sender};
pub use status::BusStatus;
