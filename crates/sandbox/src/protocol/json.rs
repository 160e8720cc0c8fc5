//! Small readers for JSON request bodies.

use serde_json::Value;

/// The string members of a JSON array, in order. Members that are not strings are skipped, and
/// anything other than an array reads as an empty list.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::strings;

    #[test]
    fn keeps_the_string_members_of_an_array_only() {
        assert_eq!(strings(&json!(["a", 1, null, "b"])), ["a", "b"]);
        assert!(strings(&json!("a")).is_empty());
        assert!(strings(&json!({"a": "b"})).is_empty());
        assert!(strings(&Value::Null).is_empty());
    }
}
