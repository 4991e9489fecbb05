//! What can be wrong with a document a user gave us.

use std::fmt;

/// A document could not be read or does not describe a valid resource.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The text is not well-formed YAML or JSON.
    #[error("{}{message}", position_prefix(*line, *column))]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// The text parses but a field is wrong; `path` names the field (`servers[1].replicas`).
    #[error("{path}: {message}")]
    Invalid { path: FieldPath, message: String },
}

fn position_prefix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l} column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ModelError {
    pub fn invalid(path: impl Into<FieldPath>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, with its field path placed under `prefix` (the document it came from).
    pub fn within(self, prefix: &str) -> Self {
        match self {
            ModelError::Invalid { path, message } => ModelError::Invalid {
                path: path.under(prefix),
                message,
            },
            syntax => syntax,
        }
    }

    /// The offending field path, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ModelError::Invalid { path, .. } => Some(path.as_str()),
            ModelError::Syntax { .. } => None,
        }
    }
}

/// A dotted path to a field of a document, such as `servers[1].envFrom[0].secretRef.name`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `prefix` followed by this path.
    pub fn under(&self, prefix: &str) -> FieldPath {
        match (prefix.is_empty(), self.0.is_empty()) {
            (true, _) => self.clone(),
            (false, true) => FieldPath(prefix.to_owned()),
            (false, false) if self.0.starts_with('[') => FieldPath(format!("{prefix}{}", self.0)),
            (false, false) => FieldPath(format!("{prefix}.{}", self.0)),
        }
    }
}

impl From<&str> for FieldPath {
    fn from(value: &str) -> Self {
        FieldPath(value.to_owned())
    }
}

impl From<String> for FieldPath {
    fn from(value: String) -> Self {
        FieldPath(value)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(document)")
        } else {
            f.write_str(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_under_their_document() {
        let err = ModelError::invalid("replicas", "too many").within("servers[2]");
        assert_eq!(err.to_string(), "servers[2].replicas: too many");
        assert_eq!(err.field(), Some("servers[2].replicas"));
        let err = ModelError::invalid("[0]", "bad").within("args");
        assert_eq!(err.field(), Some("args[0]"));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = ModelError::Syntax {
            line: Some(3),
            column: Some(7),
            message: "did not find expected key".into(),
        };
        assert_eq!(
            err.to_string(),
            "line 3 column 7: did not find expected key"
        );
    }
}
