//! Fitting pieces to the size limits: pieces above the maximum are cut (at line breaks when
//! possible), runs of pieces below the minimum are merged with their neighbours (never above
//! the maximum). Sizes are in characters.

use std::borrow::Cow;

use super::ids::UniqueIds;
use super::{Joiner, Piece};
use crate::stage::Section;

/// Section sizes, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: usize,
    pub max: usize,
}

/// Characters a JSON joiner adds around a group (`[\n` ... `\n]`).
const WRAP_CHARS: usize = 4;

/// `text` cut into parts of at most `max` characters each, preferring to cut after a line
/// break, else after whitespace, in the second half of each part.
pub fn cut(text: &str, max: usize) -> Vec<&str> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((window_end, _)) = rest.char_indices().nth(max) else {
            parts.push(rest);
            break;
        };
        let window = &rest[..window_end];
        let half = window.len() / 2;
        let at = window
            .rfind('\n')
            .filter(|&i| i >= half)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&i| i >= half))
            .map(|i| i + window[i..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(window_end);
        parts.push(&rest[..at]);
        rest = &rest[at..];
    }
    parts
}

struct Sized<'a> {
    piece: Piece<'a>,
    /// Characters it adds to a group (content plus its joiner overhead).
    cost: usize,
    /// A part of a cut piece: never merged.
    sealed: bool,
}

/// Turns pieces into sections within `limits` (ids unique).
pub fn fit(pieces: Vec<Piece<'_>>, joiner: Joiner, limits: Limits) -> Vec<Section> {
    let max = limits.max.max(1);
    let min = limits.min.min(max);
    let mut sized: Vec<Sized<'_>> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let chars = piece.content.chars().count();
        if chars <= max {
            let cost = chars + overhead(joiner, &piece);
            sized.push(Sized {
                piece,
                cost,
                sealed: false,
            });
            continue;
        }
        let parts = cut(&piece.content, max);
        let count = parts.len();
        for (k, part) in parts.into_iter().enumerate() {
            sized.push(Sized {
                piece: Piece {
                    id: format!("{}.{}", piece.id, k + 1),
                    title: format!("{} (part {} of {count})", piece.title, k + 1),
                    content: Cow::Owned(part.to_owned()),
                    key: None,
                },
                cost: part.chars().count(),
                sealed: true,
            });
        }
    }

    let wrap = if joiner == Joiner::Lines {
        0
    } else {
        WRAP_CHARS
    };
    let mut groups: Vec<Vec<Sized<'_>>> = Vec::new();
    let mut current: Vec<Sized<'_>> = Vec::new();
    let mut current_cost = 0;
    for item in sized {
        let fits = current_cost < min && current_cost + item.cost + wrap <= max;
        if item.sealed || !fits {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            current_cost = 0;
        }
        if item.sealed {
            groups.push(vec![item]);
            continue;
        }
        current_cost += item.cost;
        current.push(item);
    }
    if !current.is_empty() {
        // A small tail joins the group before it when that stays within the maximum.
        let tail_cost: usize = current.iter().map(|s| s.cost).sum();
        let previous_cost = groups
            .last()
            .filter(|g| g.iter().all(|s| !s.sealed))
            .map(|g| g.iter().map(|s| s.cost).sum::<usize>());
        match (groups.last_mut(), previous_cost) {
            (Some(previous), Some(cost)) if tail_cost < min && cost + tail_cost + wrap <= max => {
                previous.extend(current);
            }
            _ => groups.push(current),
        }
    }

    let mut ids = UniqueIds::default();
    groups
        .into_iter()
        .map(|group| {
            let section = join(group, joiner);
            Section {
                id: ids.claim(section.id),
                ..section
            }
        })
        .collect()
}

fn overhead(joiner: Joiner, piece: &Piece<'_>) -> usize {
    match joiner {
        Joiner::Lines => 0,
        Joiner::JsonArray => 2,
        Joiner::JsonObject => piece.key.as_ref().map_or(0, |k| k.chars().count() + 6),
    }
}

fn join(mut group: Vec<Sized<'_>>, joiner: Joiner) -> Section {
    if group.len() == 1
        && let Some(only) = group.pop()
    {
        return Section {
            id: only.piece.id,
            title: only.piece.title,
            content: only.piece.content.into_owned(),
        };
    }
    let (id, title) = match (group.first(), group.last()) {
        (Some(first), Some(last)) => (
            format!("{}..{}", first.piece.id, last.piece.id),
            format!(
                "{} … {} ({} items)",
                first.piece.title,
                last.piece.title,
                group.len()
            ),
        ),
        _ => (String::new(), String::new()),
    };
    let total: usize = group.iter().map(|s| s.piece.content.len() + 8).sum();
    let mut content = String::with_capacity(total + 8);
    match joiner {
        Joiner::Lines => {
            for item in &group {
                if !content.is_empty() && !content.ends_with('\n') {
                    content.push('\n');
                }
                content.push_str(&item.piece.content);
            }
        }
        Joiner::JsonArray => {
            content.push_str("[\n");
            for (i, item) in group.iter().enumerate() {
                if i > 0 {
                    content.push_str(",\n");
                }
                content.push_str(&item.piece.content);
            }
            content.push_str("\n]");
        }
        Joiner::JsonObject => {
            content.push_str("{\n");
            for (i, item) in group.iter().enumerate() {
                if i > 0 {
                    content.push_str(",\n");
                }
                let key = item.piece.key.as_deref().unwrap_or(&item.piece.id);
                content.push_str(&serde_json::Value::from(key).to_string());
                content.push_str(": ");
                content.push_str(&item.piece.content);
            }
            content.push_str("\n}");
        }
    }
    Section { id, title, content }
}
