//! Everything mcpctl prints: documents as YAML/JSON, `kind/name` labels, tables and
//! descriptions.

pub mod age;
pub mod columns;
pub mod describe;
pub mod runtime;
pub mod table;

use std::io::Write;

use resource_model::Kind;
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Standard output is gone (a closed pipe) or failing.
    #[error("cannot write the output: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot render YAML: {0}")]
    Yaml(String),
    #[error(
        "mcpd sent a {kind} that this mcpctl cannot read ({message}); are mcpctl and mcpd the same version?"
    )]
    Unreadable { kind: Kind, message: String },
}

impl OutputError {
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Writes `text` to standard output as is.
pub fn print(text: &str) -> Result<(), OutputError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes one line to standard output.
pub fn print_line(line: &str) -> Result<(), OutputError> {
    print(&format!("{line}\n"))
}

/// Writes one informational line to standard error (not data: `No servers found.`).
pub fn notice(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn to_yaml(value: &Value) -> Result<String, OutputError> {
    serde_yaml_ng::to_string(value).map_err(|e| OutputError::Yaml(e.to_string()))
}

/// Prints `value` as pretty JSON when `json`, else as YAML (the `-o json|yaml` of commands
/// that print a document of their own rather than resources).
pub fn print_document(value: &Value, json: bool) -> Result<(), OutputError> {
    let text = if json {
        to_json(value)
    } else {
        to_yaml(value)?
    };
    print(&text)
}

pub fn to_json(value: &Value) -> String {
    // A `Value` always serialises; the fallback is unreachable in practice.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// `server/my-grafana`: how every command names a resource it acted on.
pub fn label(kind: Kind, name: &str) -> String {
    format!("{}/{name}", kind.as_str())
}

/// The name of a document: `name`, or `server` for a server attachment.
pub fn document_name(kind: Kind, document: &Value) -> Option<&str> {
    let field = if kind.is_virtual() { "server" } else { "name" };
    document.get(field).and_then(Value::as_str)
}

/// `server/NAME` for a document mcpd sent.
pub fn document_label(kind: Kind, document: &Value) -> String {
    label(kind, document_name(kind, document).unwrap_or("<unnamed>"))
}

/// The grouped form of some documents of one kind (`servers: [...]`, items without `kind`),
/// which `apply -f` reads back.
pub fn grouped(kind: Kind, items: Vec<Value>) -> Value {
    let items = items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut fields) => {
                // `shift_remove` keeps the order of the other fields.
                fields.shift_remove("kind");
                Value::Object(fields)
            }
            other => other,
        })
        .collect();
    let mut groups = Map::new();
    groups.insert(kind.plural().to_owned(), Value::Array(items));
    Value::Object(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grouped_documents_lose_their_kind() {
        let items = vec![json!({"kind": "server", "name": "a", "command": "x", "updatedAt": "t"})];
        let grouped = grouped(Kind::Server, items);
        assert_eq!(
            grouped,
            json!({"servers": [{"name": "a", "command": "x", "updatedAt": "t"}]})
        );
        let keys: Vec<&String> = grouped["servers"][0]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        assert_eq!(
            keys,
            ["name", "command", "updatedAt"],
            "field order is kept"
        );
    }

    #[test]
    fn labels_and_names() {
        assert_eq!(label(Kind::Server, "a"), "server/a");
        let attachment = json!({"kind": "serverattachment", "project": "p", "server": "s"});
        assert_eq!(
            document_name(Kind::ServerAttachment, &attachment),
            Some("s")
        );
        assert_eq!(document_label(Kind::Server, &json!({})), "server/<unnamed>");
    }
}
