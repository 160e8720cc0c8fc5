//! The AWS sandbox: a local server that speaks the real wire protocols of every AWS API amipub
//! uses, with realistic behaviour (pending states, visibility rules, idempotency tokens, AWS-shaped
//! errors), for amipub's own tests, for the AWS CLI and boto3, and for rehearsing a release
//! offline.
//!
//! Layout: `server` routes requests by protocol; `protocol` reads and writes the wire formats;
//! `ec2`, `iam`, `sts`, `catalog`, `discovery` (and the others) implement the services; `world` holds the state; `worlds` seeds built-in
//! worlds; `admin` is the `/_sandbox/` API; `clock` and `idgen` make time and ids controllable.

pub mod admin;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod discovery;
pub mod ec2;
pub mod error;
pub mod events;
pub mod faults;
pub mod iam;
pub mod idgen;
pub mod imds;
pub mod metering;
pub mod protocol;
pub mod server;
pub mod sqs;
pub mod ssm;
pub mod sts;
pub mod world;
pub mod worlds;

pub use config::SandboxConfig;
pub use server::{Background, Handle, start};
