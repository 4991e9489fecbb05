//! Markdown: one piece per `##` heading (what precedes the first one is the intro). A document
//! without `##` headings but with several `#` headings is split on those. Headings inside
//! fenced code blocks do not count.

use super::ids::{sanitize, short_title};
use super::{Piece, line_ranges, lines_with_offsets};

/// Byte offsets and texts of the headings of `level` outside fences.
fn headings(text: &str, level: usize) -> Vec<(usize, &str)> {
    let marker = "#".repeat(level);
    let mut fence: Option<&str> = None;
    let mut found = Vec::new();
    for (at, line) in lines_with_offsets(text) {
        let trimmed = line.trim_start();
        for f in ["```", "~~~"] {
            if trimmed.starts_with(f) {
                fence = match fence {
                    Some(open) if open == f => None,
                    None => Some(f),
                    other => other,
                };
            }
        }
        if fence.is_some() {
            continue;
        }
        if let Some(rest) = line.strip_prefix(marker.as_str())
            && let Some(heading) = rest.strip_prefix([' ', '\t'])
        {
            found.push((at, heading.trim().trim_end_matches('#').trim()));
        }
    }
    found
}

/// How many `##` headings (or `#` headings, if there are no `##`) `text` has.
pub fn heading_count(text: &str) -> usize {
    if !text.contains('#') {
        return 0;
    }
    match headings(text, 2).len() {
        0 => {
            let top = headings(text, 1).len();
            if top >= 2 { top } else { 0 }
        }
        n => n,
    }
}

pub fn split(text: &str) -> Vec<Piece<'_>> {
    let mut found = headings(text, 2);
    if found.is_empty() {
        found = headings(text, 1);
    }
    let mut starts: Vec<usize> = found.iter().map(|(at, _)| *at).collect();
    let mut titles: Vec<&str> = found.iter().map(|(_, t)| *t).collect();
    let intro = starts
        .first()
        .is_some_and(|&first| !text[..first].trim().is_empty());
    if intro {
        starts.insert(0, 0);
        titles.insert(0, "");
    }
    line_ranges(text, &starts)
        .into_iter()
        .zip(titles)
        .enumerate()
        .map(|(i, ((begin, end), title))| {
            let content = &text[begin..end];
            if intro && i == 0 {
                let title = match short_title(content, 60) {
                    t if t.starts_with('#') => t.trim_start_matches('#').trim().to_owned(),
                    t => t,
                };
                return Piece::slice("intro".to_owned(), title, content);
            }
            let id = match sanitize(&title.to_lowercase()) {
                id if id.is_empty() => format!("section-{}", i + 1),
                id => id,
            };
            Piece::slice(id, short_title(title, 60), content)
        })
        .collect()
}
