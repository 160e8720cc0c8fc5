//! amipub's own messages: the seven `amipub.release.*.v1` schemas (JSON Schema files in
//! `messages/amipub_messages/schemas/`, shipped to Python consumers by the `amipub_messages`
//! package), the severity each is sent with, and the deterministic message id of an outbox row.

use sha2::{Digest, Sha256};

/// A version is live: the Marketplace AMI in each Region.
pub const PUBLISHED: &str = "amipub.release.published.v1";
/// A version was submitted and is being scanned.
pub const SUBMITTED: &str = "amipub.release.submitted.v1";
/// A release stopped on a step that needs a person.
pub const FAILED: &str = "amipub.release.failed.v1";
/// A second-party load form has waited too long for a person to submit it.
pub const AWAITING_SUBMISSION: &str = "amipub.release.awaiting-submission.v1";
/// Versions were restricted; names the version that replaces them.
pub const RESTRICTED: &str = "amipub.release.restricted.v1";
/// An alias parameter points at another version (promote or rollback), per Region from → to.
pub const ALIAS_MOVED: &str = "amipub.release.alias-moved.v1";
/// A seller-side AMI of a restricted version was retired or deleted.
pub const IMAGE_RETIRED: &str = "amipub.release.image-retired.v1";
/// The Python package holding the schema classes (the `fedora_messaging_schema_package` header).
pub const SCHEMA_PACKAGE: &str = "amipub_messages";

/// The JSON Schema of one of amipub's message kinds.
pub fn schema_text(name: &str) -> Option<&'static str> {
    Some(match name {
        PUBLISHED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.published.v1.json"
        ),
        SUBMITTED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.submitted.v1.json"
        ),
        FAILED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.failed.v1.json"
        ),
        AWAITING_SUBMISSION => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.awaiting-submission.v1.json"
        ),
        RESTRICTED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.restricted.v1.json"
        ),
        ALIAS_MOVED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.alias-moved.v1.json"
        ),
        IMAGE_RETIRED => include_str!(
            "../../../../messages/amipub_messages/schemas/amipub.release.image-retired.v1.json"
        ),
        _ => return None,
    })
}

/// The `fedora_messaging_severity` of a message kind: 40 (error) for failures, 20 (info) else.
pub fn severity(schema: &str) -> i32 {
    if schema == FAILED { 40 } else { 20 }
}

/// The AMQP `message_id` of an outbox row: a UUID (version 4 layout, as the Fedora wire format
/// asks) derived from the row's id, so every re-send of the row carries the same id.
pub fn message_uuid(row_id: &str) -> String {
    let h = Sha256::digest(row_id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_uuid4_shaped_and_distinct() {
        let a = message_uuid("r-0123456789ab-published");
        assert_eq!(a, message_uuid("r-0123456789ab-published"));
        assert_ne!(a, message_uuid("r-0123456789ab-submitted"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn every_kind_has_a_parseable_schema() {
        for name in [
            PUBLISHED,
            SUBMITTED,
            FAILED,
            AWAITING_SUBMISSION,
            RESTRICTED,
            ALIAS_MOVED,
            IMAGE_RETIRED,
        ] {
            let text = schema_text(name).unwrap();
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(v["title"], name);
        }
        assert!(schema_text("amipub.release.v9").is_none());
        assert_eq!(severity(FAILED), 40);
        assert_eq!(severity(PUBLISHED), 20);
    }
}
