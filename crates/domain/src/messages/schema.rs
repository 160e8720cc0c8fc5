//! A validator for the JSON Schema keywords amipub's message schemas use: `type` (one or a
//! list), `properties`, `required`, `additionalProperties` (boolean or schema), `items`,
//! `enum`, `minLength`, `minProperties` and `pattern`. Other keywords are ignored, as a JSON
//! Schema validator ignores keywords it does not know. Every violation is reported, each with the
//! path of the value (`body.regions.us-east-1`), so a dead letter says exactly what is wrong.

use serde_json::Value;

/// Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms. `root`
/// names the value in the paths (e.g. `body`).
pub fn validate(schema: &Value, value: &Value, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, value, root, &mut out);
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(wanted: &str, v: &Value) -> bool {
    let actual = type_name(v);
    wanted == actual || (wanted == "number" && actual == "integer")
}

fn check(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    if let Some(t) = s.get("type") {
        let wanted: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !wanted.is_empty() && !wanted.iter().any(|w| type_ok(w, v)) {
            out.push(format!(
                "{path}: must be {}, not {}",
                wanted.join(" or "),
                type_name(v)
            ));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = s.get("enum")
        && !allowed.contains(v)
    {
        out.push(format!(
            "{path}: must be one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Value::String(text) = v {
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && (text.chars().count() as u64) < min
        {
            out.push(format!("{path}: must have at least {min} characters"));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            match regex::Regex::new(p) {
                Ok(re) if !re.is_match(text) => {
                    out.push(format!("{path}: {text:?} does not match {p}"));
                }
                Ok(_) => {}
                Err(_) => out.push(format!("{path}: the schema's pattern {p:?} is not valid")),
            }
        }
    }
    if let Value::Array(items) = v
        && let Some(item_schema) = s.get("items")
    {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &format!("{path}[{i}]"), out);
        }
    }
    if let Value::Object(map) = v {
        object(s, map, path, out);
    }
}

fn object(
    s: &serde_json::Map<String, Value>,
    map: &serde_json::Map<String, Value>,
    path: &str,
    out: &mut Vec<String>,
) {
    if let Some(Value::Array(required)) = s.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(name) {
                out.push(format!("{path}.{name}: is required but missing"));
            }
        }
    }
    if let Some(min) = s.get("minProperties").and_then(Value::as_u64)
        && (map.len() as u64) < min
    {
        out.push(format!("{path}: must have at least {min} entries"));
    }
    let props = s.get("properties").and_then(Value::as_object);
    for (name, value) in map {
        let sub = format!("{path}.{name}");
        match props.and_then(|p| p.get(name)) {
            Some(prop_schema) => check(prop_schema, value, &sub, out),
            None => match s.get("additionalProperties") {
                Some(Value::Bool(false)) => out.push(format!("{sub}: is not allowed here")),
                Some(extra @ Value::Object(_)) => check(extra, value, &sub, out),
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inbound() -> Value {
        serde_json::from_str(crate::messages::INBOUND_SCHEMA_TEXT).unwrap()
    }

    #[test]
    fn a_real_body_conforms_and_each_broken_field_is_named() {
        let good = json!({"architecture": "x86_64", "compose_id": "Fedora-41-20241027.0",
            "image_name": "Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4",
            "regions": {"us-east-1": "ami-0123"}, "release": 41, "subvariant": "Cloud_Base",
            "extra": true});
        assert!(validate(&inbound(), &good, "body").is_empty());
        let mut bad = good.clone();
        bad.as_object_mut().unwrap().remove("compose_id");
        bad["release"] = json!("41");
        bad["regions"] = json!(["us-east-1"]);
        let errors = validate(&inbound(), &bad, "body");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e == "body.compose_id: is required but missing")
        );
        assert!(
            errors
                .iter()
                .any(|e| e == "body.release: must be integer, not string")
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("body.regions: must be object"))
        );
        assert_eq!(validate(&inbound(), &json!([1]), "body").len(), 1);
    }

    #[test]
    fn nested_keywords_apply() {
        let s = json!({"type": "object", "minProperties": 1,
            "additionalProperties": {"type": "string", "pattern": "^ami-[0-9a-f]+$"},
            "properties": {"list": {"type": "array", "items": {"enum": ["a", "b"]}},
                           "name": {"type": ["string", "null"], "minLength": 2}}});
        assert!(validate(&s, &json!({"r": "ami-1f"}), "x").is_empty());
        assert!(validate(&s, &json!({"name": null, "r": "ami-1"}), "x").is_empty());
        let e = validate(&s, &json!({}), "x");
        assert_eq!(e, vec!["x: must have at least 1 entries"]);
        let e = validate(
            &s,
            &json!({"r": "AMI", "list": ["a", "c"], "name": "n"}),
            "x",
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("x.list[1]: must be one of")));
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.r: \"AMI\" does not match"))
        );
        assert!(
            e.iter()
                .any(|m| m == "x.name: must have at least 2 characters")
        );
    }
}
