//! Borderless, space-separated tables with uppercase headers, as kubectl prints them.

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, ContentArrangement};

/// Spaces between two columns.
const GAP: u16 = 3;

/// Rows of cells under a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as text, one line per row after the header, each ending with a newline.
    pub fn render(&self) -> String {
        let mut table = comfy_table::Table::new();
        table
            .load_preset(NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(self.header.iter().map(|h| h.to_uppercase()));
        for row in &self.rows {
            table.add_row(row.iter().map(|cell| one_line(cell)));
        }
        let last = self.header.len().saturating_sub(1);
        for (index, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, if index == last { 0 } else { GAP }));
            column.set_cell_alignment(CellAlignment::Left);
        }
        let mut text = table.trim_fmt();
        text.push('\n');
        text
    }
}

/// A cell shows on one line: runs of whitespace (newlines included) become one space.
fn one_line(text: &str) -> String {
    let cell = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if cell.is_empty() {
        "-".to_owned()
    } else {
        cell
    }
}

/// `text` cut to `max` characters, with `...` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_kubectl() {
        let mut table = Table::new(["name", "replicas", "image"]);
        table.push(vec!["my-grafana".into(), "1".into(), "grafana/mcp".into()]);
        table.push(vec!["t".into(), "12".into(), String::new()]);
        assert_eq!(
            table.render(),
            "NAME         REPLICAS   IMAGE\n\
             my-grafana   1          grafana/mcp\n\
             t            12         -\n"
        );
    }

    #[test]
    fn cells_stay_on_one_line() {
        let mut table = Table::new(["description"]);
        table.push(vec!["two\nlines  here".into()]);
        assert_eq!(table.render(), "DESCRIPTION\ntwo lines here\n");
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(truncate("abcdefghij", 8), "abcde...");
        assert_eq!(truncate("short", 8), "short");
    }
}
