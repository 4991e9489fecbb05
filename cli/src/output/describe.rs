//! The layout of `describe`: `Label:  value` lines, aligned per block, nested sections
//! indented by two spaces.

use serde_json::Value;

use super::table::Table;

const INDENT: usize = 2;
const NONE: &str = "<none>";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Field {
        indent: usize,
        label: String,
        value: String,
    },
    Heading {
        indent: usize,
        label: String,
    },
    Text {
        indent: usize,
        text: String,
    },
}

/// A description being written.
#[derive(Debug, Default)]
pub struct Description {
    lines: Vec<Line>,
    indent: usize,
}

impl Description {
    pub fn new() -> Description {
        Description::default()
    }

    /// `Label:  value`; an empty value shows as `<none>`, a multi-line value as an indented
    /// block under the label.
    pub fn field(&mut self, label: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if value.contains('\n') {
            self.section(label, |d| {
                for line in value.lines() {
                    d.text(line);
                }
            });
            return self;
        }
        let value = if value.is_empty() {
            NONE.to_owned()
        } else {
            value
        };
        self.lines.push(Line::Field {
            indent: self.indent,
            label: label.to_owned(),
            value,
        });
        self
    }

    /// A field written only when it has a value.
    pub fn optional(&mut self, label: &str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(value) = value {
            self.field(label, value);
        }
        self
    }

    /// `Label:` with what `body` writes indented under it, or `Label:  <none>` when it writes
    /// nothing.
    pub fn section(&mut self, label: &str, body: impl FnOnce(&mut Description)) -> &mut Self {
        let start = self.lines.len();
        self.indent += INDENT;
        body(self);
        self.indent -= INDENT;
        if self.lines.len() == start {
            self.field(label, NONE);
        } else {
            self.lines.insert(
                start,
                Line::Heading {
                    indent: self.indent,
                    label: label.to_owned(),
                },
            );
        }
        self
    }

    /// A line of text at the current indentation.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.lines.push(Line::Text {
            indent: self.indent,
            text: text.to_owned(),
        });
        self
    }

    /// A table, one line of text per row, at the current indentation.
    pub fn table(&mut self, table: &Table) -> &mut Self {
        for line in table.render().lines() {
            self.text(line);
        }
        self
    }

    /// Any JSON value: scalars as fields, objects as sections, lists of scalars joined with
    /// `, `, lists of objects one `- key=value, ...` line per item.
    pub fn value(&mut self, label: &str, value: &Value) -> &mut Self {
        match value {
            Value::Object(fields) if !fields.is_empty() => {
                self.section(label, |d| {
                    for (key, value) in fields {
                        d.value(&title(key), value);
                    }
                });
            }
            Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
                self.section(label, |d| {
                    for item in items {
                        d.text(&format!("- {}", inline(item)));
                    }
                });
            }
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(scalar).collect();
                self.field(label, parts.join(", "));
            }
            other => {
                self.field(label, scalar(other));
            }
        }
        self
    }

    /// The text, the values of the fields of one section aligned.
    pub fn render(&self) -> String {
        let sections = self.sections();
        let mut widths = vec![0; self.lines.len() + 1];
        for (line, section) in self.lines.iter().zip(&sections) {
            if let Line::Field { label, .. } = line {
                widths[*section] = widths[*section].max(label.chars().count());
            }
        }
        let mut out = String::new();
        for (line, section) in self.lines.iter().zip(&sections) {
            match line {
                Line::Field {
                    indent,
                    label,
                    value,
                } => {
                    let pad = widths[*section] - label.chars().count();
                    out.push_str(&format!("{:indent$}{label}:{:pad$}  {value}\n", "", ""));
                }
                Line::Heading { indent, label } => {
                    out.push_str(&format!("{:indent$}{label}:\n", ""));
                }
                Line::Text { indent, text } => {
                    out.push_str(&format!("{:indent$}{text}\n", ""));
                }
            }
        }
        out
    }

    /// For each line, the section it belongs to: 0 for the top level, else 1 + the index of
    /// the heading it stands under.
    fn sections(&self) -> Vec<usize> {
        let mut open: Vec<(usize, usize)> = Vec::new(); // (indent of contents, section)
        let mut sections = Vec::with_capacity(self.lines.len());
        for (index, line) in self.lines.iter().enumerate() {
            let indent = match line {
                Line::Field { indent, .. }
                | Line::Heading { indent, .. }
                | Line::Text { indent, .. } => *indent,
            };
            while open.last().is_some_and(|(inner, _)| *inner > indent) {
                open.pop();
            }
            sections.push(open.last().map_or(0, |(_, section)| *section));
            if matches!(line, Line::Heading { .. }) {
                open.push((indent + INDENT, index + 1));
            }
        }
        sections
    }
}

/// `fromTemplate` → `From Template`.
pub fn title(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => NONE.to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An object on one line: `name=A, value=1`; nested values as JSON.
fn inline(value: &Value) -> String {
    match value {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_align_per_block_and_sections_indent() {
        let mut d = Description::new();
        d.field("Name", "my-grafana")
            .field("Replicas", "1")
            .section("Env", |d| {
                d.field("A", "1").field("LONGER", "2");
            })
            .section("Env From", |_| {})
            .field("Description", "");
        assert_eq!(
            d.render(),
            "Name:         my-grafana\n\
             Replicas:     1\n\
             Env:\n  \
               A:       1\n  \
               LONGER:  2\n\
             Env From:     <none>\n\
             Description:  <none>\n"
        );
    }

    #[test]
    fn multi_line_values_become_blocks() {
        let mut d = Description::new();
        d.field("Content", "line one\nline two");
        assert_eq!(d.render(), "Content:\n  line one\n  line two\n");
    }

    #[test]
    fn any_value_renders() {
        let mut d = Description::new();
        d.value(
            "Spec",
            &json!({"role": "view", "subjects": [{"kind": "user", "name": "ann"}], "projects": ["a", "b"], "healthCheck": {"intervalSeconds": 30}}),
        );
        assert_eq!(
            d.render(),
            "Spec:\n  \
               Role:      view\n  \
               Subjects:\n    \
                 - kind=user, name=ann\n  \
               Projects:  a, b\n  \
               Health Check:\n    \
                 Interval Seconds:  30\n"
        );
    }

    #[test]
    fn camel_case_keys_become_titles() {
        assert_eq!(title("fromTemplate"), "From Template");
        assert_eq!(title("name"), "Name");
    }
}
