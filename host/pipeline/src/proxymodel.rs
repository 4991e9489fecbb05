//! ProxyModel definitions: the built-in pipelines and the YAML files users write.
//!
//! ```yaml
//! kind: ProxyModel
//! metadata:
//!   name: my-pipeline
//! spec:
//!   stages:
//!     - type: section-split
//!       config: {minSectionSize: 1000}
//!     - type: summarize-tree
//!   appliesTo: [toolResult, prompt]   # default: all three
//!   cacheable: true                    # default: false
//!   fallback: passthrough              # or fail; default: passthrough
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::pipeline::{ALL_CONTENT_TYPES, Fallback, Pipeline, StageSpec};
use crate::stage::{ContentType, StageError, StageRegistry};
use crate::stages::{paginate, passthrough, section_split, summarize_tree, validate_config};

pub const DEFAULT: &str = "default";
pub const SUBINDEX: &str = "subindex";

/// Most stages one pipeline may have.
pub const MAX_STAGES: usize = 32;
/// Largest ProxyModel file read.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// `default` (passthrough → paginate 8000) and `subindex` (section-split → summarize-tree).
pub fn builtin_pipelines() -> Vec<Pipeline> {
    vec![
        Pipeline::new(
            DEFAULT,
            vec![
                StageSpec::new(passthrough::NAME),
                StageSpec::new(paginate::NAME).with("pageSize", paginate::DEFAULT_PAGE_SIZE),
            ],
        ),
        Pipeline::new(
            SUBINDEX,
            vec![
                StageSpec::new(section_split::NAME),
                StageSpec::new(summarize_tree::NAME),
            ],
        ),
    ]
}

/// What is wrong with a ProxyModel file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProxyModelError {
    pub file: PathBuf,
    /// 1-based, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ProxyModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl ProxyModelError {
    fn at(file: &Path, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        ProxyModelError {
            file: file.to_owned(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    kind: String,
    metadata: DocMetadata,
    spec: DocSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocMetadata {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DocSpec {
    stages: Vec<DocStage>,
    #[serde(default)]
    applies_to: Option<Vec<ContentType>>,
    #[serde(default)]
    cacheable: bool,
    #[serde(default)]
    fallback: Fallback,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocStage {
    #[serde(rename = "type")]
    stage_type: String,
    #[serde(default)]
    config: Option<Map<String, Value>>,
}

/// Parses one ProxyModel file's text (`file` names it in errors). Checks the shape, the name,
/// and the config of built-in stages; [`check_stages`] checks that the stages exist.
pub fn parse_proxymodel(text: &str, file: &Path) -> Result<Pipeline, ProxyModelError> {
    let document: Document = serde_path_to_error::deserialize(
        serde_yaml_ng::Deserializer::from_str(text),
    )
    .map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let position = inner.location().map(|l| (l.line(), l.column()));
        let message = strip_position(&inner.to_string());
        // serde_yaml_ng names the enclosing path itself (`spec: unknown field ...`).
        let message = match message.split_once(": ") {
            Some((prefix, rest)) if path.starts_with(prefix) => rest.to_owned(),
            _ => message,
        };
        let message = if path == "." {
            message
        } else {
            format!("{path}: {message}")
        };
        ProxyModelError::at(file, position, message)
    })?;
    let locate = |needle: &str| locate(text, needle);
    if !document.kind.eq_ignore_ascii_case("proxymodel") {
        return Err(ProxyModelError::at(
            file,
            locate("kind:"),
            format!("kind: expected ProxyModel, got {:?}", document.kind),
        ));
    }
    let name = document.metadata.name;
    if let Err(why) = check_name(&name) {
        return Err(ProxyModelError::at(
            file,
            locate("name:"),
            format!("metadata.name: {why}"),
        ));
    }
    let stages = document.spec.stages;
    if stages.is_empty() || stages.len() > MAX_STAGES {
        return Err(ProxyModelError::at(
            file,
            locate("stages:"),
            format!(
                "spec.stages: expected 1 to {MAX_STAGES} stages, got {}",
                stages.len()
            ),
        ));
    }
    let mut specs = Vec::with_capacity(stages.len());
    for (i, stage) in stages.into_iter().enumerate() {
        let config = stage.config.unwrap_or_default();
        if let Some(Err(error)) = validate_config(&stage.stage_type, &config) {
            let (field, message) = match error {
                StageError::Config { field, message, .. } => (field, message),
                other => (String::new(), other.to_string()),
            };
            return Err(ProxyModelError::at(
                file,
                locate(&format!("{field}:")).or_else(|| locate(&stage.stage_type)),
                format!(
                    "spec.stages[{i}].config.{field}: {message} (stage {})",
                    stage.stage_type
                ),
            ));
        }
        specs.push(StageSpec {
            stage_type: stage.stage_type,
            config,
        });
    }
    let applies_to = document
        .spec
        .applies_to
        .unwrap_or_else(|| ALL_CONTENT_TYPES.to_vec());
    Ok(Pipeline {
        name,
        stages: specs,
        applies_to,
        cacheable: document.spec.cacheable,
        fallback: document.spec.fallback,
    })
}

/// Every stage of `pipeline` must be in `registry`.
pub fn check_stages(
    pipeline: &Pipeline,
    registry: &dyn StageRegistry,
    file: &Path,
    text: Option<&str>,
) -> Result<(), ProxyModelError> {
    for (i, spec) in pipeline.stages.iter().enumerate() {
        if registry.stage(&spec.stage_type).is_none() {
            let available: Vec<String> = registry.list().into_iter().map(|(n, _)| n).collect();
            return Err(ProxyModelError::at(
                file,
                text.and_then(|t| locate(t, &spec.stage_type)),
                format!(
                    "spec.stages[{i}].type: no stage named {:?}; available: {}",
                    spec.stage_type,
                    available.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid name (1 to 63 lowercase letters, digits and dashes, not starting or ending with a dash)"
        ))
    }
}

/// serde_yaml_ng puts ` at line L column C` into messages; the position is shown apart.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_owned(),
        _ => message.to_owned(),
    }
}

/// 1-based line and column of the first occurrence of `needle`.
fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        line.find(needle)
            .map(|at| (i + 1, line[..at].chars().count() + 1))
    })
}

/// The built-in pipeline called `name`.
pub fn builtin(name: &str) -> Option<Pipeline> {
    builtin_pipelines().into_iter().find(|p| p.name == name)
}

/// Content types as the YAML spells them, for listings.
pub fn applies_to_names(pipeline: &Pipeline) -> Vec<&'static str> {
    pipeline
        .applies_to
        .iter()
        .map(|t| crate::pipeline::content_type_name(*t))
        .collect()
}
