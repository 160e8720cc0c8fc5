//! Fedora Messaging as amipub speaks it: the JSON Schemas kept as data in `messages/` (the
//! inbound `fedora_image_uploader.published.v1.aws` and amipub's own `amipub.release.*.v1`), a
//! validator for the part of JSON Schema they use, the intake decision for one delivery, and the
//! envelope of outgoing announcements. No I/O: the bus crate moves the bytes.

pub mod coreos;
pub mod datagrepper;
pub mod intake;
pub mod outbound;
pub mod schema;
pub mod verdict;

pub use intake::{Delivery, Matched, Reason, Verdict, classify, topic_matches};
pub use outbound::{
    FAILED, PUBLISHED, SCHEMA_PACKAGE, SUBMITTED, message_uuid, schema_text, severity,
};
pub use schema::validate;

/// The inbound schema: a Fedora build's AMIs were published.
pub const INBOUND_SCHEMA: &str = "fedora_image_uploader.published.v1.aws";

/// The inbound schema's JSON Schema, as the `fedora_image_uploader_messages` package ships it.
pub const INBOUND_SCHEMA_TEXT: &str =
    include_str!("../../../../messages/inbound/fedora_image_uploader.published.v1.aws.json");
