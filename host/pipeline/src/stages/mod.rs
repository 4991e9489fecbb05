//! The built-in stages and their registry.

pub mod paginate;
pub mod passthrough;
pub mod section_split;
pub mod summarize_tree;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::stage::{Stage, StageError, StageRegistry, StageSource};

/// `passthrough`, `paginate`, `section-split` and `summarize-tree`.
pub struct BuiltinStages {
    /// Sorted by name.
    stages: Vec<Arc<dyn Stage>>,
}

impl Default for BuiltinStages {
    fn default() -> Self {
        BuiltinStages::new()
    }
}

impl BuiltinStages {
    pub fn new() -> Self {
        let mut stages: Vec<Arc<dyn Stage>> = vec![
            Arc::new(passthrough::Passthrough),
            Arc::new(paginate::Paginate),
            Arc::new(section_split::SectionSplit),
            Arc::new(summarize_tree::SummarizeTree),
        ];
        stages.sort_by(|a, b| a.name().cmp(b.name()));
        BuiltinStages { stages }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.name())
    }

    /// Whether `name` is a built-in stage.
    pub fn contains(&self, name: &str) -> bool {
        self.stages.iter().any(|s| s.name() == name)
    }
}

/// Checks a built-in stage's config without running it (`None`: not a built-in stage).
pub fn validate_config(stage: &str, config: &Map<String, Value>) -> Option<Result<(), StageError>> {
    Some(match stage {
        passthrough::NAME => passthrough::validate(config),
        paginate::NAME => paginate::validate(config),
        section_split::NAME => section_split::validate(config),
        summarize_tree::NAME => summarize_tree::validate(config),
        _ => return None,
    })
}

impl StageRegistry for BuiltinStages {
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>> {
        self.stages.iter().find(|s| s.name() == name).cloned()
    }

    fn list(&self) -> Vec<(String, StageSource)> {
        self.names()
            .map(|n| (n.to_owned(), StageSource::BuiltIn))
            .collect()
    }
}
