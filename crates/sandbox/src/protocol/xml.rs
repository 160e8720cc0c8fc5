//! A minimal XML writer for query-protocol responses: elements, escaped text, nothing else.

/// Builds one XML document.
#[derive(Debug, Default)]
pub struct Xml {
    buf: String,
}

/// Escapes text for element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("&#x{:x};", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

impl Xml {
    /// A document starting with the XML declaration.
    pub fn new() -> Self {
        Self {
            buf: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// `<tag xmlns="ns">`.
    pub fn open_ns(&mut self, tag: &str, ns: &str) -> &mut Self {
        self.buf.push_str(&format!("<{tag} xmlns=\"{ns}\">"));
        self
    }

    /// `<tag>`.
    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>text</tag>`.
    pub fn leaf(&mut self, tag: &str, text: impl AsRef<str>) -> &mut Self {
        self.open(tag);
        self.buf.push_str(&escape(text.as_ref()));
        self.close(tag)
    }

    /// `<tag>text</tag>` when there is a value.
    pub fn opt(&mut self, tag: &str, text: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(tag, t);
        }
        self
    }

    /// Already-rendered XML, inserted as is.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.buf.push_str(xml);
        self
    }

    /// The document.
    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        let mut x = Xml::new();
        x.leaf("a", "<b> & \"c\" \u{1}");
        assert!(
            x.finish()
                .ends_with("<a>&lt;b&gt; &amp; &quot;c&quot; &#x1;</a>")
        );
    }
}
