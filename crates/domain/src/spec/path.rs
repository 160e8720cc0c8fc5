//! Field paths (`listing.highlights[2]`, `pricing.hourly."m5.large"`) and the locator that turns a
//! path into a line of the spec file, using the spans of a lossless TOML parse.
//!
//! The validator speaks in paths; only this module knows about text positions. When a path does
//! not exist in the file (a missing field), the locator answers with the line of the nearest
//! enclosing table or key that does exist.

use std::fmt;

use toml_edit::{Item, Value};

/// One step of a path: a key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array or array-of-tables index.
    Index(usize),
}

/// A path from the root of the spec to a field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses the dotted form used in messages (`a.b[2]."c.d"`).
    pub fn parse(text: &str) -> Self {
        let mut segs = Vec::new();
        let mut chars = text.chars().peekable();
        let mut cur = String::new();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    if !cur.is_empty() {
                        segs.push(Segment::Key(std::mem::take(&mut cur)));
                    }
                }
                '"' => {
                    for q in chars.by_ref() {
                        if q == '"' {
                            break;
                        }
                        cur.push(q);
                    }
                }
                '[' => {
                    if !cur.is_empty() {
                        segs.push(Segment::Key(std::mem::take(&mut cur)));
                    }
                    let digits: String = chars.by_ref().take_while(|d| *d != ']').collect();
                    segs.push(Segment::Index(digits.parse().unwrap_or(0)));
                }
                _ => cur.push(c),
            }
        }
        if !cur.is_empty() {
            segs.push(Segment::Key(cur));
        }
        Self(segs)
    }

    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(k.to_owned()));
        Self(v)
    }

    /// This path extended by an index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(i));
        Self(v)
    }

    /// The steps.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "\"{k}\"")?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Answers "which line is this field on" for one spec text.
pub struct Locator<'a> {
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
}

impl<'a> Locator<'a> {
    /// Parses `text` losslessly; an unparsable text locates nothing.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            doc: toml_edit::Document::parse(text).ok(),
        }
    }

    /// The 1-based line of the byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// The 1-based line of the field, or of the closest enclosing item that exists.
    pub fn line(&self, path: &FieldPath) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut best: Option<usize> = None;
        let mut item: Option<&Item> = None;
        let root = doc.as_table();
        for seg in path.segments() {
            let next: Option<(Option<usize>, &Item)> = match (item, seg) {
                (None, Segment::Key(k)) => root
                    .get_key_value(k)
                    .map(|(key, it)| (span_start(it).or(key.span().map(|s| s.start)), it)),
                (Some(it), Segment::Key(k)) => child_by_key(it, k),
                (Some(it), Segment::Index(i)) => child_by_index(it, *i),
                (None, Segment::Index(_)) => None,
            };
            match next {
                Some((start, it)) => {
                    if let Some(s) = start {
                        best = Some(s);
                    }
                    item = Some(it);
                }
                None => break,
            }
        }
        best.map(|s| self.line_of(s))
    }
}

fn span_start(item: &Item) -> Option<usize> {
    match item {
        Item::Table(t) => t.span().map(|s| s.start),
        Item::ArrayOfTables(a) => a.span().map(|s| s.start),
        Item::Value(v) => v.span().map(|s| s.start),
        Item::None => None,
    }
}

fn child_by_key<'d>(item: &'d Item, key: &str) -> Option<(Option<usize>, &'d Item)> {
    match item {
        Item::Table(t) => t
            .get_key_value(key)
            .map(|(k, it)| (span_start(it).or(k.span().map(|s| s.start)), it)),
        Item::Value(Value::InlineTable(t)) => t.get_key_value(key).map(|(k, it)| {
            let start = span_start(it).or(k.span().map(|s| s.start));
            (start, it)
        }),
        _ => None,
    }
}

fn child_by_index(item: &Item, index: usize) -> Option<(Option<usize>, &Item)> {
    // Elements of arrays and arrays of tables are `Item`s too; a table element's span is its
    // `[[header]]`.
    let child = item.get(index)?;
    Some((span_start(child), child))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[listing]\ntitle = \"x\"\nhighlights = [\n  \"a\",\n  \"b\",\n]\n\n[pricing.hourly]\n\"m5.large\" = \"0.1\"\n\n[[delivery.security_groups]]\nprotocol = \"tcp\"\n\n[[delivery.security_groups]]\nprotocol = \"icmp\"\ncidrs = [\"x\", \"y\"]\n";

    #[test]
    fn paths_round_trip_through_text() {
        for p in ["listing.title", "pricing.hourly.\"m5.large\"", "a.b[3].c"] {
            assert_eq!(FieldPath::parse(p).to_string(), p);
        }
    }

    #[test]
    fn locates_keys_array_elements_and_tables_of_arrays() {
        let loc = Locator::new(TEXT);
        let line = |p: &str| loc.line(&FieldPath::parse(p));
        assert_eq!(line("listing.title"), Some(2));
        assert_eq!(line("listing.highlights[1]"), Some(5));
        assert_eq!(line("pricing.hourly.\"m5.large\""), Some(9));
        assert_eq!(line("delivery.security_groups[1].protocol"), Some(15));
        assert_eq!(line("delivery.security_groups[1].cidrs[1]"), Some(16));
    }

    #[test]
    fn missing_fields_point_at_the_enclosing_table() {
        let loc = Locator::new(TEXT);
        assert_eq!(loc.line(&FieldPath::parse("listing.keywords")), Some(1));
        assert_eq!(loc.line(&FieldPath::parse("nothing.here")), None);
    }
}
