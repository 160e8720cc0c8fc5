//! Datagrepper, Fedora's archive of the message bus: which archived messages `amipub catch-up`
//! asks for (the categories of the intake topics, between two times, oldest first, a page at a
//! time) and what a page of its `/v2/search` answer holds. Each archived message comes in
//! fedora-messaging's own shape (`id`, `topic`, `headers`, `body`), so it can go through the
//! same intake as a delivery from the bus. API: <https://apps.fedoraproject.org/datagrepper/>.

use serde::Deserialize;
use serde_json::Value;

/// Fedora's datagrepper.
pub const DEFAULT_URL: &str = "https://apps.fedoraproject.org/datagrepper";

/// The most rows datagrepper gives per page.
pub const ROWS_PER_PAGE: u32 = 100;

/// One archived message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Archived {
    /// The message id (the AMQP `message_id` it was published with).
    pub id: String,
    /// The full topic (its routing key).
    pub topic: String,
    /// Its headers (`fedora_messaging_schema`, …).
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    /// Its body.
    #[serde(default)]
    pub body: Value,
}

impl Archived {
    /// The `fedora_messaging_schema` header, if any.
    pub fn schema(&self) -> Option<&str> {
        self.headers.get("fedora_messaging_schema")?.as_str()
    }
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page {
    /// The messages on it, in the order asked for.
    pub raw_messages: Vec<Archived>,
    /// How many pages the search has.
    pub pages: u64,
    /// How many messages the search has.
    #[serde(default)]
    pub total: u64,
}

/// Parses a page of `/v2/search`.
pub fn parse_page(text: &[u8]) -> Result<Page, String> {
    serde_json::from_slice(text).map_err(|e| format!("not a datagrepper search page: {e}"))
}

/// The datagrepper category of a topic pattern: the word after `org.fedoraproject.<env>` (the
/// application that sends it), which datagrepper indexes. A pattern without one is refused,
/// naming it.
pub fn category(pattern: &str) -> Result<String, String> {
    let words: Vec<&str> = pattern.split('.').collect();
    match words.as_slice() {
        ["org", "fedoraproject", env, cat, ..] if is_word(env) && is_word(cat) => {
            Ok((*cat).to_owned())
        }
        _ => Err(format!(
            "cannot ask datagrepper for {pattern:?}: an intake topic must start with org.fedoraproject.<env>.<application> (no '*' or '#' in those words)"
        )),
    }
}

fn is_word(w: &str) -> bool {
    !w.is_empty() && w != "*" && w != "#"
}

/// The URL of one page of the search for `categories` between `start` and `end` (epoch
/// seconds), oldest first.
pub fn search_url(base: &str, categories: &[String], start: i64, end: i64, page: u64) -> String {
    let mut url = format!(
        "{}/v2/search?start={start}&end={end}&order=asc&rows_per_page={ROWS_PER_PAGE}&page={page}",
        base.trim_end_matches('/')
    );
    for c in categories {
        url.push_str("&category=");
        url.push_str(&percent(c));
    }
    url
}

/// Percent-encodes what is not a letter, digit, `-`, `_` or `.`.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_come_from_the_topic_and_wildcards_there_are_refused() {
        let p = "org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#";
        assert_eq!(category(p).unwrap(), "fedora_image_uploader");
        assert_eq!(
            category("org.fedoraproject.prod.coreos.stream.metadata.update").unwrap(),
            "coreos"
        );
        let e = category("org.fedoraproject.*.fedora_image_uploader.#").unwrap_err();
        assert!(e.contains("org.fedoraproject.<env>"), "{e}");
        assert!(category("#").is_err());
    }

    #[test]
    fn the_url_asks_for_a_window_oldest_first_a_page_at_a_time() {
        let cats = vec!["coreos".to_owned(), "fedora_image_uploader".to_owned()];
        assert_eq!(
            search_url("https://dg.example/datagrepper/", &cats, 100, 7300, 2),
            "https://dg.example/datagrepper/v2/search?start=100&end=7300&order=asc&rows_per_page=100&page=2&category=coreos&category=fedora_image_uploader"
        );
        assert_eq!(percent("a b&c"), "a%20b%26c");
    }

    #[test]
    fn a_page_reads_in_fedora_messagings_shape() {
        let text = br#"{"arguments": {"page": 1}, "count": 1, "pages": 3, "total": 201,
            "raw_messages": [{"body": {"stream": "stable"}, "headers": {"fedora_messaging_schema": "base.message", "sent-at": "2026-12-04T10:00:00+00:00"},
            "id": "4f7c1a2e-0000-4000-8000-000000000001", "priority": 0, "queue": null,
            "topic": "org.fedoraproject.prod.coreos.stream.metadata.update"}]}"#;
        let page = parse_page(text).unwrap();
        assert_eq!((page.pages, page.total), (3, 201));
        let m = &page.raw_messages[0];
        assert_eq!(m.schema(), Some("base.message"));
        assert_eq!(m.body["stream"], "stable");
        assert!(parse_page(b"{\"raw_messages\": 1}").is_err());
    }
}
