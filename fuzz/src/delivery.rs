//! The `bus_intake` framing: one delivery as the AMQP intake receives it, as four header lines
//! and the body —
//!
//! ```text
//! <routing key>\n<content_type>\n<content_encoding>\n<fedora_messaging_schema header>\n<body>
//! ```
//!
//! An empty header line is an absent property. Text is read as `amipub_bus::intake` reads
//! header values (invalid UTF-8 replaced), the body is kept as bytes.

use crate::split_line;

/// A delivery's parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Framed {
    /// The routing key (the topic).
    pub routing_key: String,
    /// `content_type`.
    pub content_type: Option<String>,
    /// `content_encoding`.
    pub content_encoding: Option<String>,
    /// The `fedora_messaging_schema` header.
    pub schema: Option<String>,
    /// The body, as received.
    pub body: Vec<u8>,
}

fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).into_owned()
}

fn optional(line: &[u8]) -> Option<String> {
    (!line.is_empty()).then(|| text(line))
}

/// Reads a framed delivery.
pub fn decode(data: &[u8]) -> Framed {
    let (key, rest) = split_line(data);
    let (content_type, rest) = split_line(rest);
    let (content_encoding, rest) = split_line(rest);
    let (schema, body) = split_line(rest);
    Framed {
        routing_key: text(key),
        content_type: optional(content_type),
        content_encoding: optional(content_encoding),
        schema: optional(schema),
        body: body.to_vec(),
    }
}

/// Writes a delivery in the framing (header values must not hold a line feed).
pub fn encode(d: &Framed) -> Vec<u8> {
    let mut out = Vec::new();
    for line in [
        Some(d.routing_key.as_str()),
        d.content_type.as_deref(),
        d.content_encoding.as_deref(),
        d.schema.as_deref(),
    ] {
        out.extend_from_slice(line.unwrap_or_default().as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(&d.body);
    out
}
