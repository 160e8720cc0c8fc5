//! Message attributes and message system attributes: reading them from a send request with
//! the checks AWS documents, writing them back on receive, choosing the ones a receive asks
//! for, and their share of the message size
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html>).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::codec::{base64, unbase64};
use super::errors::bad_value;
use crate::error::AwsResult;
use crate::world::sqs::Attribute;

/// A message carries at most this many attributes (same page).
const MAX_ATTRIBUTES: usize = 10;
/// Longest attribute name and data type, characters (same page).
const MAX_NAME_CHARS: usize = 256;
/// The only system attribute a sender may set
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>).
pub const TRACE_HEADER: &str = "AWSTraceHeader";

/// Whether text uses only the characters SQS accepts in bodies and string values: tab, line
/// feed, carriage return and U+0020 up, without U+FFFE and U+FFFF (SendMessage page above).
pub fn valid_text(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r') || (c >= '\u{20}' && c != '\u{FFFE}' && c != '\u{FFFF}')
    })
}

fn valid_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.")
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
}

/// The base type of a data type (`Number.float` → `Number`), if it is one SQS knows.
fn base_type(data_type: &str) -> Option<&str> {
    let base = data_type.split('.').next().unwrap_or("");
    (["String", "Number", "Binary"].contains(&base)
        && data_type.chars().count() <= MAX_NAME_CHARS
        && (data_type == base || data_type.len() > base.len() + 1))
        .then_some(base)
}

fn one(name: &str, v: &Value) -> AwsResult<Attribute> {
    let why = |reason: &str| {
        bad_value(format!(
            "Message (user) attribute '{name}' is invalid. Reason: {reason}"
        ))
    };
    let data_type = v["DataType"].as_str().unwrap_or("");
    let base =
        base_type(data_type).ok_or_else(|| why("The type of the attribute is not valid."))?;
    let attribute = if base == "Binary" {
        let bytes = v["BinaryValue"]
            .as_str()
            .and_then(unbase64)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| why("A Binary attribute needs a non-empty BinaryValue."))?;
        Attribute {
            data_type: data_type.to_owned(),
            string: None,
            binary: Some(bytes),
        }
    } else {
        let text = v["StringValue"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| why("A String or Number attribute needs a non-empty StringValue."))?;
        if !valid_text(text) {
            return Err(why(
                "The value contains characters outside the allowed set.",
            ));
        }
        if base == "Number" && !text.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(why("The value of a Number attribute is not a number."));
        }
        Attribute {
            data_type: data_type.to_owned(),
            string: Some(text.to_owned()),
            binary: None,
        }
    };
    Ok(attribute)
}

/// The `MessageAttributes` of a send request, checked.
pub fn read(v: &Value) -> AwsResult<BTreeMap<String, Attribute>> {
    let Some(map) = v.as_object() else {
        return Ok(BTreeMap::new());
    };
    if map.len() > MAX_ATTRIBUTES {
        return Err(bad_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    map.iter()
        .map(|(name, value)| {
            if !valid_name(name) {
                return Err(bad_value(format!(
                    "Message (user) attribute name '{name}' is invalid."
                )));
            }
            Ok((name.clone(), one(name, value)?))
        })
        .collect()
}

/// The `MessageSystemAttributes` of a send request: only `AWSTraceHeader`, a `String`.
pub fn read_system(v: &Value) -> AwsResult<BTreeMap<String, Attribute>> {
    let Some(map) = v.as_object() else {
        return Ok(BTreeMap::new());
    };
    map.iter()
        .map(|(name, value)| {
            if name != TRACE_HEADER || value["DataType"].as_str() != Some("String") {
                return Err(bad_value(format!(
                    "Message system attribute '{name}' is invalid: only {TRACE_HEADER} of type String may be sent."
                )));
            }
            Ok((name.clone(), one(name, value)?))
        })
        .collect()
}

/// The bytes attributes add to a message's size: name, data type and value of each
/// (system attributes do not count, per the SendMessage page).
pub fn size(attributes: &BTreeMap<String, Attribute>) -> usize {
    attributes
        .iter()
        .map(|(name, a)| {
            name.len()
                + a.data_type.len()
                + a.string.as_ref().map_or(0, String::len)
                + a.binary.as_ref().map_or(0, Vec::len)
        })
        .sum()
}

/// The attributes a receive asks for by `MessageAttributeNames`: `All` or `.*` for every one,
/// `prefix.*` for those under a prefix, otherwise exact names.
pub fn select<'a>(
    attributes: &'a BTreeMap<String, Attribute>,
    names: &[String],
) -> BTreeMap<&'a String, &'a Attribute> {
    attributes
        .iter()
        .filter(|(name, _)| {
            names.iter().any(|want| match want.as_str() {
                "All" | ".*" => true,
                w => match w.strip_suffix('*') {
                    Some(prefix) if prefix.ends_with('.') => name.starts_with(prefix),
                    _ => *name == w,
                },
            })
        })
        .collect()
}

/// The wire form of attributes (`{"Name": {"DataType": …, "StringValue"|"BinaryValue": …}}`).
pub fn render<'a>(attributes: impl IntoIterator<Item = (&'a String, &'a Attribute)>) -> Value {
    let map: Map<String, Value> = attributes
        .into_iter()
        .map(|(name, a)| {
            let value = match (&a.binary, &a.string) {
                (Some(bytes), _) => {
                    json!({ "DataType": a.data_type, "BinaryValue": base64(bytes) })
                }
                (None, s) => json!({ "DataType": a.data_type, "StringValue": s }),
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_rules() {
        assert!(valid_name("trace.id") && valid_name("A-b_c"));
        for bad in ["", ".x", "x.", "a..b", "AWS.x", "amazon.y", "sp ace"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn selection_by_all_prefix_and_name() {
        let a = |s: &str| Attribute {
            data_type: "String".into(),
            string: Some(s.into()),
            binary: None,
        };
        let attrs: BTreeMap<String, Attribute> = [
            ("bar.x".to_owned(), a("1")),
            ("bar.y".to_owned(), a("2")),
            ("baz".to_owned(), a("3")),
        ]
        .into();
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(select(&attrs, &names(&["All"])).len(), 3);
        assert_eq!(select(&attrs, &names(&["bar.*"])).len(), 2);
        assert_eq!(select(&attrs, &names(&["baz"])).len(), 1);
        assert!(select(&attrs, &[]).is_empty());
    }

    #[test]
    fn reads_binary_and_refuses_bad_types() {
        let got = read(&json!({"b": {"DataType": "Binary", "BinaryValue": "AAE="}})).ok();
        assert_eq!(got.and_then(|m| m["b"].binary.clone()), Some(vec![0, 1]));
        assert!(read(&json!({"n": {"DataType": "Number", "StringValue": "x"}})).is_err());
        assert!(read(&json!({"n": {"DataType": "Text", "StringValue": "x"}})).is_err());
        assert!(
            read_system(&json!({"Other": {"DataType": "String", "StringValue": "x"}})).is_err()
        );
    }
}
