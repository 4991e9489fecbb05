//! Plain text: one piece per paragraph (blank-line separated); sizing merges them.

use super::ids::short_title;
use super::{Piece, line_ranges, lines_with_offsets};

pub fn split(text: &str) -> Vec<Piece<'_>> {
    let mut starts = Vec::new();
    let mut blank_before = true;
    for (at, line) in lines_with_offsets(text) {
        let blank = line.trim().is_empty();
        if !blank && blank_before {
            starts.push(at);
        }
        blank_before = blank;
    }
    if starts.is_empty() {
        starts.push(0);
    }
    line_ranges(text, &starts)
        .into_iter()
        .enumerate()
        .map(|(i, (begin, end))| {
            let content = &text[begin..end];
            Piece::slice(format!("s{}", i + 1), short_title(content, 60), content)
        })
        .collect()
}
