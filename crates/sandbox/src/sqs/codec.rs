//! Byte-level encodings SQS uses: base64 for binary values on the JSON wire, MD5 digests of
//! bodies and attributes, and the SHA-256 content-based deduplication id.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::world::sqs::Attribute;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), the encoding of JSON blobs.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; `None` for anything malformed.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 of a string, hex (`MD5OfMessageBody`).
pub fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// SHA-256 of a body, hex: the deduplication id content-based deduplication derives
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html>).
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

fn field(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// The digest of message (system) attributes, as the SQS Developer Guide defines it: attributes
/// sorted by name; for each, the name and the data type as 4-byte big-endian length plus UTF-8
/// bytes, one transport byte (1 string, 2 binary), then the value as length plus bytes; MD5 of
/// the whole, hex. `None` when there are no attributes
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation>).
pub fn attributes_md5<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a Attribute)>,
) -> Option<String> {
    // A BTreeMap orders the names by their bytes, the order the digest needs.
    let sorted: BTreeMap<&String, &Attribute> = attributes.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (name, a) in sorted {
        field(&mut out, name.as_bytes());
        field(&mut out, a.data_type.as_bytes());
        match (&a.binary, &a.string) {
            (Some(bytes), _) => {
                out.push(2);
                field(&mut out, bytes);
            }
            (None, value) => {
                out.push(1);
                field(&mut out, value.as_deref().unwrap_or("").as_bytes());
            }
        }
    }
    Some(hex(&Md5::digest(&out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for bytes in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"\x00\xff\x10binary",
        ] {
            assert_eq!(unbase64(&base64(bytes)).as_deref(), Some(bytes));
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(unbase64("not base64!"), None);
    }

    #[test]
    fn attribute_digest_follows_the_documented_encoding() {
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "a".to_owned(),
            Attribute {
                data_type: "String".to_owned(),
                string: Some("b".to_owned()),
                binary: None,
            },
        );
        let mut manual = Vec::new();
        manual.extend_from_slice(b"\0\0\0\x01a\0\0\0\x06String\x01\0\0\0\x01b");
        assert_eq!(attributes_md5(&attrs), Some(hex(&Md5::digest(&manual))));
        assert_eq!(attributes_md5(&BTreeMap::new()), None);
    }
}
