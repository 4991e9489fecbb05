//! YAML: one piece per top-level key of a mapping document. Pieces are the document's own
//! lines (comments above a key stay with it); when the lines cannot be matched to the keys
//! (flow style, complex keys), each member is re-serialized instead.

use std::borrow::Cow;

use serde_yaml_ng::{Mapping, Value};

use super::ids::{sanitize, short_title};
use super::{Piece, line_ranges, lines_with_offsets};

pub fn split(text: &str) -> Option<Vec<Piece<'_>>> {
    let keys: Vec<(usize, &str)> = lines_with_offsets(text)
        .filter_map(|(at, line)| top_level_key(line).map(|key| (at, key)))
        .collect();
    if keys.len() < 2 {
        return None;
    }
    let mapping = match serde_yaml_ng::from_str::<Value>(text).ok()? {
        Value::Mapping(mapping) if mapping.len() >= 2 => mapping,
        _ => return None,
    };
    if mapping.len() != keys.len() {
        return Some(reserialized(&mapping));
    }
    let starts: Vec<usize> = keys.iter().map(|(at, _)| *at).collect();
    let pieces = line_ranges(text, &starts)
        .into_iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, ((begin, end), (_, key)))| {
            Piece::slice(id_of(key, i), short_title(key, 60), &text[begin..end])
        })
        .collect();
    Some(pieces)
}

fn id_of(key: &str, index: usize) -> String {
    match sanitize(key) {
        id if id.is_empty() => format!("key-{}", index + 1),
        id => id,
    }
}

fn reserialized(mapping: &Mapping) -> Vec<Piece<'static>> {
    mapping
        .iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let name = match key {
                Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            };
            let mut one = Mapping::new();
            one.insert(key.clone(), value.clone());
            let content = serde_yaml_ng::to_string(&one).unwrap_or_default();
            Piece {
                id: id_of(&name, i),
                title: short_title(&name, 60),
                content: Cow::Owned(content),
                key: None,
            }
        })
        .collect()
}

/// The key of a line that starts a top-level mapping entry (`key:` or `key: value` at
/// column 0; plain or quoted keys of word characters, dots, dashes, slashes and spaces).
fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace()
        || matches!(
            first,
            '#' | '-' | '[' | '{' | '.' | '%' | '&' | '*' | '!' | '|' | '>'
        )
    {
        return None;
    }
    let colon = line
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| line[i + 1..].is_empty() || line[i + 1..].starts_with([' ', '\t']))?;
    let key = line[..colon].trim();
    let bare = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    let plain = bare
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '));
    (plain && !bare.is_empty()).then_some(bare)
}
