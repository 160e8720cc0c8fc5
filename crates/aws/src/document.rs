//! JSON ⇄ `aws_smithy_types::Document`: the Catalog's DetailsDocuments travel as Smithy documents
//! in the SDK and as `serde_json::Value`s everywhere else in amipub.

use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// A JSON value as a Smithy document.
pub fn to_document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Document::Number(Number::PosInt(u)),
            (_, Some(i), _) => Document::Number(Number::NegInt(i)),
            (_, _, f) => Document::Number(Number::Float(f.unwrap_or(0.0))),
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(to_document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), to_document(v))).collect())
        }
    }
}

/// A Smithy document as a JSON value.
pub fn to_json(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Document::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind_of_value() {
        let v = serde_json::json!({"a": [1, -2, 1.5, "x", true, null], "b": {"c": {}}});
        assert_eq!(to_json(&to_document(&v)), v);
    }
}
