//! The small template language of product specs: literal text with `{variable}` placeholders,
//! `{{` and `}}` for literal braces. Used for version titles, release notes, SSM parameter
//! names and announcement topics. Which variables each template may use is data here too, so the
//! validator and the renderer agree.

use std::collections::BTreeMap;

/// Variables a version-title template may use.
pub const TITLE_VARS: &[&str] = &[
    "release",
    "arch",
    "subvariant",
    "compose_id",
    "compose_date",
    "image_name",
    "date",
];

/// Variables a release-notes template may use.
pub const NOTES_VARS: &[&str] = &[
    "release",
    "stream",
    "arch",
    "subvariant",
    "compose_id",
    "compose_date",
    "image_name",
    "date",
    "version",
    "ami_id",
    "product_title",
    "os_name",
    "os_version",
];

/// Variables an SSM parameter-name template may use.
pub const SSM_VARS: &[&str] = &[
    "release",
    "stream",
    "arch",
    "subvariant",
    "version",
    "product_id",
    "slug",
];

/// Variables an announcement-topic template may use.
pub const TOPIC_VARS: &[&str] = &["release", "stream", "arch", "subvariant", "slug"];

/// A template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{` without a closing `}`.
    #[error(
        "unclosed '{{' at character {0}; close it with '}}' or write '{{{{' for a literal brace"
    )]
    Unclosed(usize),
    /// `}` without an opening `{`.
    #[error("stray '}}' at character {0}; write '}}}}' for a literal brace")]
    Stray(usize),
    /// `{}` or a name with characters other than letters, digits and '_'.
    #[error("bad variable name {0:?} at character {1}; names are letters, digits and '_'")]
    BadName(String, usize),
    /// A variable the context does not provide.
    #[error("variable {{{0}}} has no value here")]
    Missing(String),
}

#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(String),
    Var(&'a str),
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                text.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                text.push('}');
                i += 2;
            }
            b'{' => {
                let close = template[i + 1..]
                    .find('}')
                    .ok_or(TemplateError::Unclosed(i))?;
                let name = &template[i + 1..i + 1 + close];
                let ok =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok {
                    return Err(TemplateError::BadName(name.to_owned(), i));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(name));
                i += close + 2;
            }
            b'}' => return Err(TemplateError::Stray(i)),
            _ => {
                // Copy one whole UTF-8 character.
                let ch = template[i..].chars().next().unwrap_or(' ');
                text.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The variable names a template uses, in order of first use.
pub fn variables(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut out: Vec<String> = Vec::new();
    for p in parse(template)? {
        if let Piece::Var(v) = p
            && !out.iter().any(|o| o == v)
        {
            out.push(v.to_owned());
        }
    }
    Ok(out)
}

/// Fills a template from `vars`.
pub fn render(template: &str, vars: &BTreeMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for p in parse(template)? {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Var(v) => out.push_str(
                vars.get(v)
                    .ok_or_else(|| TemplateError::Missing(v.to_owned()))?,
            ),
        }
    }
    Ok(out)
}

/// The date part of a compose id (`Fedora-41-20241027.0` → `20241027.0`), or the whole id.
pub fn compose_date(compose_id: &str) -> String {
    compose_id
        .rsplit('-')
        .next()
        .unwrap_or(compose_id)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn renders_variables_and_escaped_braces() {
        let v = vars(&[("release", "41"), ("compose_date", "20241027.0")]);
        assert_eq!(
            render("{release}.{compose_date} {{x}}", &v).unwrap(),
            "41.20241027.0 {x}"
        );
    }

    #[test]
    fn lists_variables_once() {
        assert_eq!(
            variables("{a}-{b}-{a}").unwrap(),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }

    #[test]
    fn reports_each_kind_of_mistake() {
        assert_eq!(parse("a{b"), Err(TemplateError::Unclosed(1)));
        assert_eq!(parse("a}b"), Err(TemplateError::Stray(1)));
        assert!(matches!(parse("{}"), Err(TemplateError::BadName(_, 0))));
        assert!(matches!(parse("{a b}"), Err(TemplateError::BadName(_, 0))));
        assert_eq!(
            render("{nope}", &BTreeMap::new()),
            Err(TemplateError::Missing("nope".into()))
        );
    }

    #[test]
    fn keeps_non_ascii_text() {
        assert_eq!(render("Fedora™ é", &BTreeMap::new()).unwrap(), "Fedora™ é");
    }

    #[test]
    fn takes_the_date_from_a_compose_id() {
        assert_eq!(compose_date("Fedora-41-20241027.0"), "20241027.0");
        assert_eq!(compose_date("plain"), "plain");
    }
}
