//! Small readers for JSON request bodies.

use serde_json::Value;

/// The strings of a JSON array (anything else reads as empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}
