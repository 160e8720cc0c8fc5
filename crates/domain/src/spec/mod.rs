//! Product specs: the model (`model`), reading one from TOML text with precise errors (this
//! module), and field paths with their line numbers (`path`).

mod model;
pub mod path;

pub use model::*;

use crate::validate::report::{Problem, Severity};
use path::{FieldPath, Locator};

/// Reads a spec from TOML text. A syntax error, an unknown key, a missing key or a value of the
/// wrong type comes back as one problem naming the field path and line.
pub fn parse_spec(text: &str) -> Result<ProductSpec, Box<Problem>> {
    parse_toml(text)
}

/// Reads any `deny_unknown_fields` TOML model (specs, `amipub.toml`) with the same precise errors.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Box<Problem>> {
    let de = match toml::Deserializer::parse(text) {
        Ok(de) => de,
        Err(e) => return Err(Box::new(toml_problem(text, FieldPath::root(), &e))),
    };
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = FieldPath::parse(&e.path().to_string().replace("?", ""));
        Box::new(toml_problem(text, path, e.inner()))
    })
}

fn toml_problem(text: &str, mut path: FieldPath, err: &toml::de::Error) -> Problem {
    let msg = err.message().trim().to_owned();
    let (rule, limit, fix) = if let Some(rest) = msg.strip_prefix("unknown field ") {
        let field = between_backticks(rest);
        if path.to_string().rsplit('.').next() != Some(field.as_str()) {
            path = path.key(&field);
        }
        (
            "toml.unknown-field",
            "only the fields listed in docs/usage/product-spec.md".to_owned(),
            format!("remove `{field}` or correct its spelling ({msg})"),
        )
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = between_backticks(rest);
        path = path.key(&field);
        (
            "toml.missing-field",
            "required field".to_owned(),
            format!("add `{field} = ...` to this table"),
        )
    } else if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        (
            "toml.wrong-type",
            "the type given in docs/usage/product-spec.md".to_owned(),
            "write the value with the documented type (quote strings, no quotes on numbers)"
                .to_owned(),
        )
    } else {
        (
            "toml.syntax",
            "TOML 1.0 syntax".to_owned(),
            "fix the TOML syntax at this line".to_owned(),
        )
    };
    let line = err
        .span()
        .map(|s| Locator::new(text).line_of(s.start))
        .or_else(|| Locator::new(text).line(&path));
    Problem {
        severity: Severity::Error,
        rule,
        path: path.to_string(),
        line,
        message: msg,
        limit,
        fix,
    }
}

fn between_backticks(s: &str) -> String {
    s.split('`').nth(1).unwrap_or(s).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_unknown_fields_with_path_and_line() {
        let err = parse_spec("[product]\nslug = \"x\"\narchitecture = \"x86_64\"\ncolour = 1\n")
            .unwrap_err();
        assert_eq!(err.rule, "toml.unknown-field");
        assert_eq!(err.path, "product.colour");
        assert_eq!(err.line, Some(4));
    }

    #[test]
    fn reports_syntax_errors_with_a_line() {
        let err = parse_spec("[product]\nslug = \"x\nfoo = 1\n").unwrap_err();
        assert_eq!(err.rule, "toml.syntax");
        assert_eq!(err.line, Some(2));
    }
}
