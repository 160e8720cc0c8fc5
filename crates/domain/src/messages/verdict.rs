//! What the intake decides about a delivery, in words shared by its two deciders (build
//! announcements in `intake`, Fedora CoreOS stream updates in `coreos`): the delivery as the bus
//! saw it, the verdict, the reasons of dead letters, and AMQP topic and glob matching.

use crate::release::build::Build;

/// The largest body amipub reads (a real announcement is under 2 KiB).
pub const MAX_BODY: usize = 256 * 1024;

/// What the bus saw.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The routing key (the topic with its environment prefix and suffix words).
    pub routing_key: &'a str,
    /// `content_type`, if set.
    pub content_type: Option<&'a str>,
    /// `content_encoding`, if set.
    pub content_encoding: Option<&'a str>,
    /// The `fedora_messaging_schema` header, if set.
    pub schema: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// Why a delivery was dead-lettered (the `x-amipub-reason` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Larger than `MAX_BODY`.
    TooLarge,
    /// Not `application/json` in UTF-8.
    ContentType,
    /// The body is not JSON.
    NotJson,
    /// The `fedora_messaging_schema` header is missing or names another schema.
    UnknownSchema,
    /// The routing key is not a topic of the schema the message claims.
    UnknownTopic,
    /// The body breaks the schema.
    InvalidBody,
    /// A product wants the build, but the body has no AMI in the product's source Region.
    NoSourceAmi,
    /// The source AMI is not owned by a trusted build account.
    UntrustedOwner,
    /// The source AMI does not exist (or is not visible to the seller account).
    SourceMissing,
    /// AWS refused to describe the source AMI for a reason retrying will not change.
    SourceUnreadable,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 10] = [
        Reason::TooLarge,
        Reason::ContentType,
        Reason::NotJson,
        Reason::UnknownSchema,
        Reason::UnknownTopic,
        Reason::InvalidBody,
        Reason::NoSourceAmi,
        Reason::UntrustedOwner,
        Reason::SourceMissing,
        Reason::SourceUnreadable,
    ];

    /// The reason of a header value or stored code.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The header value and metric label.
    pub fn code(self) -> &'static str {
        match self {
            Reason::TooLarge => "too_large",
            Reason::ContentType => "content_type",
            Reason::NotJson => "not_json",
            Reason::UnknownSchema => "unknown_schema",
            Reason::UnknownTopic => "unknown_topic",
            Reason::InvalidBody => "invalid_body",
            Reason::NoSourceAmi => "no_source_ami",
            Reason::UntrustedOwner => "untrusted_owner",
            Reason::SourceMissing => "source_missing",
            Reason::SourceUnreadable => "source_unreadable",
        }
    }
}

/// One product's build from a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The product's slug.
    pub product: String,
    /// The build.
    pub build: Build,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not for amipub (another topic, no claim to be a build announcement): ack and forget.
    Irrelevant,
    /// One of amipub's own announcements, heard back through a wide binding: ack and forget,
    /// whatever the bindings (it is never a build).
    Own,
    /// Unusable: ack off the queue into the dead-letter queue.
    Dead(Reason, String),
    /// A valid announcement; the builds of the products that want it (maybe none).
    Builds(Vec<Matched>),
    /// A Fedora CoreOS stream's metadata changed: fetch it, then each bound product decides.
    Stream(StreamUpdate),
}

/// Whether an AMQP topic pattern (`*` one word, `#` zero or more) matches a routing key.
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    words_match(&p, &k)
}

fn words_match(p: &[&str], k: &[&str]) -> bool {
    match (p.first(), k.first()) {
        (None, None) => true,
        (Some(&"#"), _) => words_match(&p[1..], k) || (!k.is_empty() && words_match(p, &k[1..])),
        (Some(&w), Some(&kw)) => (w == "*" || w == kw) && words_match(&p[1..], &k[1..]),
        _ => false,
    }
}

/// Whether a glob (`*` any characters, `?` one) matches `text`.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative match with one backtrack point for the last `*`.
    let (mut gi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some(gi);
            mark = ti;
            gi += 1;
        } else if let Some(s) = star {
            gi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// A stream whose metadata changed, and the products bound to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamUpdate {
    /// The stream (`stable`, `testing`, `next`).
    pub stream: String,
    /// The slugs of the products whose `[intake] stream` is this one.
    pub products: Vec<String>,
}
