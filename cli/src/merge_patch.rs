//! Builds a JSON merge patch (RFC 7386) from `key=value` assignments or from patch text.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("expected key=value, got {0:?}")]
    NotAnAssignment(String),
    #[error("{0:?} has an empty key segment")]
    EmptySegment(String),
    #[error("{key}: cannot read {value:?} as YAML: {reason}")]
    BadValue {
        key: String,
        value: String,
        reason: String,
    },
    #[error("{0} is set both as a value and as an object of nested keys")]
    Conflict(String),
    #[error("the patch is not valid JSON or YAML: {0}")]
    BadPatch(String),
    #[error("the patch must be an object of fields, like '{{\"replicas\": 2}}'")]
    NotAnObject,
}

/// Turns `key=value` assignments into one merge patch. Dotted keys make nested objects
/// (`healthCheck.intervalSeconds=10`); values read as YAML scalars or flow collections.
pub fn from_assignments<S: AsRef<str>>(assignments: &[S]) -> Result<Value, PatchError> {
    let mut patch = Map::new();
    for assignment in assignments {
        let assignment = assignment.as_ref();
        let (key, raw) = assignment
            .split_once('=')
            .ok_or_else(|| PatchError::NotAnAssignment(assignment.to_owned()))?;
        let segments: Vec<&str> = key.trim().split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(PatchError::EmptySegment(key.to_owned()));
        }
        let value = read_value(key, raw)?;
        insert(&mut patch, &segments, value, key)?;
    }
    Ok(Value::Object(patch))
}

/// Reads patch text (JSON, or YAML in flow or block style), which must be an object.
pub fn from_text(text: &str) -> Result<Value, PatchError> {
    let value: Value =
        serde_yaml_ng::from_str(text).map_err(|e| PatchError::BadPatch(e.to_string()))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(PatchError::NotAnObject)
    }
}

/// The value of one assignment, as a user would expect from a command line:
/// `3` is a number, `true` a boolean, `[a,b]` a list, `{a: 1}` an object, `"3"` the string 3,
/// empty or `null` removes the field, and anything else is the text as typed (so
/// `hello world` and `see #3` stay whole strings).
fn read_value(key: &str, raw: &str) -> Result<Value, PatchError> {
    let trimmed = raw.trim();
    let bad = |reason: String| PatchError::BadValue {
        key: key.to_owned(),
        value: raw.to_owned(),
        reason,
    };
    if trimmed.starts_with(['[', '{', '"', '\'']) {
        return serde_yaml_ng::from_str(trimmed).map_err(|e| bad(e.to_string()));
    }
    if trimmed.is_empty() {
        return Ok(Value::Null);
    }
    match serde_yaml_ng::from_str::<Value>(trimmed) {
        Ok(scalar @ (Value::Null | Value::Bool(_) | Value::Number(_))) => Ok(scalar),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

fn insert(
    object: &mut Map<String, Value>,
    segments: &[&str],
    value: Value,
    full_key: &str,
) -> Result<(), PatchError> {
    let conflict = || PatchError::Conflict(full_key.to_owned());
    match segments {
        [] => Ok(()),
        [last] => {
            if object.get(*last).is_some_and(Value::is_object) {
                return Err(conflict());
            }
            object.insert((*last).to_owned(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let child = object
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match child {
                Value::Object(child) => insert(child, rest, value, full_key),
                _ => Err(conflict()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_yaml_scalars_and_flow_collections() {
        let patch = from_assignments(&[
            "replicas=3",
            "servers=[a, b]",
            "description=hello world",
            "enabled=true",
            "note=see #3: done",
            "version=\"3\"",
        ])
        .expect("valid");
        assert_eq!(
            patch,
            json!({"replicas": 3, "servers": ["a", "b"], "description": "hello world",
                   "enabled": true, "note": "see #3: done", "version": "3"})
        );
    }

    #[test]
    fn dotted_keys_build_nested_objects() {
        let patch = from_assignments(&["healthCheck.intervalSeconds=10", "healthCheck.tool=ping"])
            .expect("valid");
        assert_eq!(
            patch,
            json!({"healthCheck": {"intervalSeconds": 10, "tool": "ping"}})
        );
    }

    #[test]
    fn empty_values_remove_fields() {
        let patch = from_assignments(&["description=", "command=null"]).expect("valid");
        assert_eq!(patch, json!({"description": null, "command": null}));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            from_assignments(&["replicas"]),
            Err(PatchError::NotAnAssignment("replicas".into()))
        );
        assert_eq!(
            from_assignments(&["a..b=1"]),
            Err(PatchError::EmptySegment("a..b".into()))
        );
        assert_eq!(
            from_assignments(&["a=1", "a.b=2"]),
            Err(PatchError::Conflict("a.b".into()))
        );
        assert!(matches!(
            from_assignments(&["servers=[a"]),
            Err(PatchError::BadValue { .. })
        ));
    }

    #[test]
    fn patch_text_must_be_an_object() {
        assert_eq!(
            from_text(r#"{"replicas": 2}"#).expect("json"),
            json!({"replicas": 2})
        );
        assert_eq!(from_text("[1]"), Err(PatchError::NotAnObject));
        assert!(matches!(from_text("{"), Err(PatchError::BadPatch(_))));
    }
}
