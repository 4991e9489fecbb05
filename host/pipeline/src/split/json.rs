//! JSON: an array gives one piece per element (named by its `name`, `id` or `label`), an
//! object one piece per top-level member. Elements keep their own text (no re-formatting).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::ids::{sanitize, short_title};
use super::{Joiner, Piece};

/// Fields an element may be named by, in order of preference.
#[derive(Deserialize)]
struct Naming {
    name: Option<Value>,
    id: Option<Value>,
    label: Option<Value>,
}

pub fn split(text: &str) -> Option<(Vec<Piece<'_>>, Joiner)> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('[') {
        let elements: Vec<&RawValue> = serde_json::from_str(start).ok()?;
        if elements.is_empty() {
            return None;
        }
        let pieces = elements
            .into_iter()
            .enumerate()
            .map(|(i, raw)| element(i, raw.get()))
            .collect();
        Some((pieces, Joiner::JsonArray))
    } else {
        let Members(members) = serde_json::from_str(start).ok()?;
        if members.is_empty() {
            return None;
        }
        let pieces = members
            .into_iter()
            .enumerate()
            .map(|(i, (key, raw))| {
                let id = match sanitize(&key) {
                    id if id.is_empty() => format!("key-{}", i + 1),
                    id => id,
                };
                Piece {
                    id,
                    title: short_title(&key, 60),
                    content: Cow::Borrowed(raw.get()),
                    key: Some(key),
                }
            })
            .collect();
        Some((pieces, Joiner::JsonObject))
    }
}

fn element(index: usize, raw: &str) -> Piece<'_> {
    let name = raw
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<Naming>(raw).ok())
        .flatten()
        .and_then(|n| {
            [n.name, n.id, n.label]
                .into_iter()
                .flatten()
                .find_map(scalar_text)
        });
    let (id, title) = match name {
        Some(name) => match sanitize(&name) {
            id if id.is_empty() => (format!("item-{}", index + 1), short_title(&name, 60)),
            id => (id, short_title(&name, 60)),
        },
        None => (format!("item-{}", index + 1), format!("[{index}]")),
    };
    Piece::slice(id, title, raw)
}

fn scalar_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON object's members in document order, values as their own text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}
