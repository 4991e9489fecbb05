//! Splitting content into sections by its structure (the `section-split` stage's engine).
//!
//! [`split`] detects the format, in this order: JSON (array: one piece per element, object:
//! per top-level key), XML (per top-level element), YAML (per top-level key), code (per
//! top-level function/class/type, when it has more such boundaries than Markdown headings),
//! Markdown (per `##` heading), plain text (per paragraph). [`sizing::fit`] then merges small
//! pieces and cuts large ones to the configured limits.

mod code;
pub mod ids;
mod json;
mod markdown;
pub mod sizing;
mod text;
mod xml;
mod yaml;

use std::borrow::Cow;

/// What the content was detected as (the table of contents names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
    Yaml,
    Code,
    Markdown,
    Text,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Yaml => "yaml",
            Format::Code => "code",
            Format::Markdown => "markdown",
            Format::Text => "text",
        }
    }
}

/// One structural unit before sizing (an element, a key, a heading's text, a function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub id: String,
    pub title: String,
    pub content: Cow<'a, str>,
    /// The key of a JSON object member (merged members are rebuilt as an object).
    pub key: Option<String>,
}

impl<'a> Piece<'a> {
    pub fn slice(id: String, title: String, content: &'a str) -> Self {
        Piece {
            id,
            title,
            content: Cow::Borrowed(content),
            key: None,
        }
    }
}

/// How merged pieces are put back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joiner {
    /// Text pieces one after the other (a newline between them if one lacks it).
    Lines,
    /// JSON array elements: a JSON array of them.
    JsonArray,
    /// JSON object members: a JSON object of them.
    JsonObject,
}

/// The detected format and its pieces (at least two, or one for content with no structure).
#[derive(Debug)]
pub struct Detected<'a> {
    pub format: Format,
    pub joiner: Joiner,
    pub pieces: Vec<Piece<'a>>,
    /// For code: the language guessed from its definitions.
    pub language: Option<&'static str>,
}

/// Detects the format of `text` and cuts it into structural pieces.
pub fn split(text: &str) -> Detected<'_> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if (start.starts_with('[') || start.starts_with('{'))
        && let Some((pieces, joiner)) = json::split(text)
    {
        return detected(Format::Json, joiner, pieces, None);
    }
    if start.starts_with('<')
        && let Some(pieces) = xml::split(text)
    {
        return detected(Format::Xml, Joiner::Lines, pieces, None);
    }
    if let Some(pieces) = yaml::split(text) {
        return detected(Format::Yaml, Joiner::Lines, pieces, None);
    }
    let headings = markdown::heading_count(text);
    let code = code::scan(text);
    if code.definitions >= 2 && code.definitions > headings {
        let language = code.language;
        return detected(Format::Code, Joiner::Lines, code::split(text), language);
    }
    if headings >= 1 {
        return detected(Format::Markdown, Joiner::Lines, markdown::split(text), None);
    }
    detected(Format::Text, Joiner::Lines, text::split(text), None)
}

fn detected<'a>(
    format: Format,
    joiner: Joiner,
    pieces: Vec<Piece<'a>>,
    language: Option<&'static str>,
) -> Detected<'a> {
    Detected {
        format,
        joiner,
        pieces,
        language,
    }
}

/// Consecutive line ranges of `text`: `starts` are byte offsets of line starts (ascending,
/// the first may be > 0: what precedes it joins the first range).
fn line_ranges(text: &str, starts: &[usize]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let begin = if i == 0 { 0 } else { start };
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        ranges.push((begin, end));
    }
    ranges
}

/// Each line of `text` with the byte offset it starts at.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = offset;
        offset += line.len();
        (at, line.trim_end_matches(['\n', '\r']))
    })
}
