//! Section ids: short, safe to type back as `_section`, unique within one result.

use std::collections::HashSet;

/// Longest id kept (characters).
const MAX_ID_CHARS: usize = 64;

/// `raw` reduced to `[A-Za-z0-9._-]`: runs of anything else become one `-`, leading and
/// trailing `-`/`.` dropped, at most 64 characters. Empty when nothing is left.
pub fn sanitize(raw: &str) -> String {
    let mut id = String::with_capacity(raw.len().min(MAX_ID_CHARS));
    let mut dash = false;
    for c in raw.chars() {
        if id.len() >= MAX_ID_CHARS {
            break;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            if dash && !id.is_empty() {
                id.push('-');
            }
            dash = false;
            id.push(c);
        } else {
            dash = true;
        }
    }
    id.trim_matches(['-', '.']).to_owned()
}

/// Hands out unique ids: a repeated one gets `-2`, `-3`, ...
#[derive(Default)]
pub struct UniqueIds {
    taken: HashSet<String>,
}

impl UniqueIds {
    pub fn claim(&mut self, wanted: String) -> String {
        if self.taken.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}-{n}"))
            .find(|candidate| !self.taken.contains(candidate))
            .inspect(|id| {
                self.taken.insert(id.clone());
            })
            .unwrap_or(wanted)
    }
}

/// A title cut to `max` characters, ending in `…` when cut; first line only.
pub fn short_title(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", line[..at].trim_end()),
        None => line.to_owned(),
    }
}
