//! What the client is shown instead of sectioned content: a table of contents with the
//! `_resultId` to drill in with, or (for pages) the first page with a note.
//!
//! Stages steer it through their output's metadata (JS stages can too):
//! - `format`: the word in the header (`3 sections (json):`); the latest stage's wins.
//! - `display`: `firstPage` shows the first section and a note instead of the list.
//! - `sectionSummaries`: `{id: summary}`, shown under each entry.
//! - `overview`: a summary of the whole, shown above the list.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::stage::Section;

pub const META_FORMAT: &str = "format";
pub const META_DISPLAY: &str = "display";
pub const DISPLAY_FIRST_PAGE: &str = "firstPage";
pub const META_SECTION_SUMMARIES: &str = "sectionSummaries";
pub const META_OVERVIEW: &str = "overview";

/// `850 chars`, `4K chars` (thousands, rounded), `1.2M chars`.
pub fn size_label(chars: usize) -> String {
    match chars {
        0..1_000 => format!("{chars} chars"),
        1_000..999_500 => format!("{}K chars", (chars + 500) / 1000),
        _ => format!("{:.1}M chars", chars as f64 / 1_000_000.0),
    }
}

/// How to present sections, read from the stages' metadata.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Presentation {
    pub format: Option<String>,
    pub first_page: bool,
    pub summaries: Map<String, Value>,
    pub overview: Option<String>,
}

impl Presentation {
    /// Takes what `metadata` (one stage's) says; later stages override earlier ones.
    pub fn absorb(&mut self, metadata: &Map<String, Value>) {
        if let Some(format) = metadata.get(META_FORMAT).and_then(Value::as_str) {
            self.format = Some(format.to_owned());
        }
        if let Some(display) = metadata.get(META_DISPLAY).and_then(Value::as_str) {
            self.first_page = display == DISPLAY_FIRST_PAGE;
        }
        if let Some(Value::Object(summaries)) = metadata.get(META_SECTION_SUMMARIES) {
            self.summaries = summaries.clone();
        }
        if let Some(overview) = metadata.get(META_OVERVIEW).and_then(Value::as_str) {
            self.overview = Some(overview.to_owned());
        }
    }

    /// When a later stage produced new sections, what earlier stages said about theirs no
    /// longer holds.
    pub fn reset_for_new_sections(&mut self) {
        *self = Presentation::default();
    }

    /// The text the client gets for `sections` stored under `result_id`.
    pub fn render(&self, result_id: &str, sections: &[Section]) -> String {
        if self.first_page {
            first_page(result_id, sections)
        } else {
            self.table_of_contents(result_id, sections)
        }
    }

    fn table_of_contents(&self, result_id: &str, sections: &[Section]) -> String {
        let mut text = String::new();
        if let Some(overview) = self.overview.as_deref().filter(|o| !o.trim().is_empty()) {
            text.push_str(overview.trim());
            text.push_str("\n\n");
        }
        let format = self.format.as_deref().unwrap_or("sections");
        text.push_str(&format!("{} sections ({format}):\n", sections.len()));
        for section in sections {
            let size = size_label(section.content.chars().count());
            let title = if section.title.is_empty() {
                String::new()
            } else {
                format!(" {}", section.title)
            };
            text.push_str(&format!("[{}]{title} ({size})\n", section.id));
            if let Some(summary) = self.summaries.get(&section.id).and_then(Value::as_str) {
                for line in summary.lines().filter(|l| !l.trim().is_empty()) {
                    text.push_str("    ");
                    text.push_str(line.trim());
                    text.push('\n');
                }
            }
        }
        text.push_str(&format!(
            "_resultId: {result_id} — use _resultId and _section parameters to drill into a section."
        ));
        text
    }
}

fn first_page(result_id: &str, sections: &[Section]) -> String {
    let Some(first) = sections.first() else {
        return String::new();
    };
    let total: usize = sections.iter().map(|s| s.content.chars().count()).sum();
    let last = sections.last().map_or("p1", |s| s.id.as_str());
    let mut text = first.content.clone();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let others = match sections.get(1) {
        Some(second) if second.id == last => format!("\"{last}\""),
        Some(second) => format!("\"{}\" to \"{last}\"", second.id),
        None => String::new(),
    };
    text.push_str(&format!(
        "\n[{} of {} pages shown: {} of {}] _resultId: {result_id} — use _resultId and _section ({others}) to read the other pages.",
        first.id,
        sections.len(),
        size_label(first.content.chars().count()),
        size_label(total),
    ));
    text
}
