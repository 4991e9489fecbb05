//! A pipeline (a ProxyModel's stages) and the runner that applies it: stages in order, the
//! latest sections stored for drill-down and replaced by their table of contents, the whole
//! result memoized through `ctx.cache` when the pipeline is `cacheable`, and a failing stage
//! logged and handled by the pipeline's fallback.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::stage::{ContentType, Section, StageContext, StageError, StageOutput, StageRegistry};
use crate::store::{SectionStore, StoreError};
use crate::toc::Presentation;

/// Bumped when what a cached pipeline result means changes.
const CACHE_KEY_VERSION: &str = "mcpctl-pipeline/1";

/// One step of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSpec {
    #[serde(rename = "type")]
    pub stage_type: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub config: Map<String, Value>,
}

impl StageSpec {
    pub fn new(stage_type: &str) -> Self {
        StageSpec {
            stage_type: stage_type.to_owned(),
            config: Map::new(),
        }
    }

    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.config.insert(field.to_owned(), value.into());
        self
    }
}

/// What the client gets when a stage fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Fallback {
    /// The content as it came, untransformed.
    #[default]
    Passthrough,
    /// An error naming the stage.
    Fail,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::Passthrough => "passthrough",
            Fallback::Fail => "fail",
        }
    }
}

pub const ALL_CONTENT_TYPES: [ContentType; 3] = [
    ContentType::ToolResult,
    ContentType::Prompt,
    ContentType::Resource,
];

pub fn content_type_name(content_type: ContentType) -> &'static str {
    match content_type {
        ContentType::ToolResult => "toolResult",
        ContentType::Prompt => "prompt",
        ContentType::Resource => "resource",
    }
}

/// A ProxyModel's pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    pub name: String,
    pub stages: Vec<StageSpec>,
    pub applies_to: Vec<ContentType>,
    pub cacheable: bool,
    pub fallback: Fallback,
}

impl Pipeline {
    pub fn new(name: &str, stages: Vec<StageSpec>) -> Self {
        Pipeline {
            name: name.to_owned(),
            stages,
            applies_to: ALL_CONTENT_TYPES.to_vec(),
            cacheable: false,
            fallback: Fallback::Passthrough,
        }
    }

    pub fn applies_to(&self, content_type: ContentType) -> bool {
        self.applies_to.contains(&content_type)
    }

    /// The cache key of this pipeline's result for `content`: SHA-256 over the stage list with
    /// its config, the content type and the content.
    pub fn cache_key(&self, content_type: ContentType, content: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(CACHE_KEY_VERSION.as_bytes());
        hash.update([0]);
        hash.update(
            serde_json::to_string(&self.stages)
                .unwrap_or_default()
                .as_bytes(),
        );
        hash.update([0]);
        hash.update(content_type_name(content_type).as_bytes());
        hash.update([0]);
        hash.update(content.as_bytes());
        let digest = hash.finalize();
        let mut key = String::from("pipeline:");
        for b in digest.iter() {
            key.push_str(&format!("{b:02x}"));
        }
        key
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("proxymodel {pipeline}: {source}")]
    Stage {
        pipeline: String,
        stage: String,
        #[source]
        source: StageError,
    },
    #[error("proxymodel {pipeline}: no stage named {stage:?} is loaded (a removed JS stage?)")]
    UnknownStage { pipeline: String, stage: String },
    #[error("proxymodel {pipeline}: {source}")]
    Store {
        pipeline: String,
        #[source]
        source: StoreError,
    },
    #[error("proxymodel {pipeline}: the pipeline cache failed: {message}")]
    Cache { pipeline: String, message: String },
}

impl PipelineError {
    /// The stage the error is about, when it is about one.
    pub fn stage(&self) -> Option<&str> {
        match self {
            PipelineError::Stage { stage, .. } | PipelineError::UnknownStage { stage, .. } => {
                Some(stage)
            }
            _ => None,
        }
    }
}

/// What the client gets.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOutput {
    /// The transformed content, a table of contents, or (fallback) the content as it came.
    pub content: String,
    /// Set when sections were stored.
    pub result_id: Option<String>,
    /// How many sections were stored.
    pub sections: usize,
    /// Each stage's metadata, by stage type (a repeated type gets `#2`, `#3`).
    pub metadata: Map<String, Value>,
    /// The pipeline did not apply to this content type: `content` is untouched.
    pub skipped: bool,
    /// Served from the pipeline cache.
    pub cached: bool,
    /// A stage failed and the fallback passed the content through: the error.
    pub fell_back: Option<String>,
}

impl PipelineOutput {
    fn untouched(content: String) -> Self {
        PipelineOutput {
            content,
            result_id: None,
            sections: 0,
            metadata: Map::new(),
            skipped: true,
            cached: false,
            fell_back: None,
        }
    }
}

/// The stages' result before presentation (what the pipeline cache keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Staged {
    output: StageOutput,
    presentation: Presentation,
}

/// Runs pipelines with one registry and one section store.
#[derive(Clone)]
pub struct PipelineRunner {
    registry: Arc<dyn StageRegistry>,
    store: Arc<SectionStore>,
}

impl PipelineRunner {
    pub fn new(registry: Arc<dyn StageRegistry>, store: Arc<SectionStore>) -> Self {
        PipelineRunner { registry, store }
    }

    pub fn store(&self) -> &Arc<SectionStore> {
        &self.store
    }

    pub fn registry(&self) -> &Arc<dyn StageRegistry> {
        &self.registry
    }

    /// Content shorter than this many bytes passes `pipeline` unchanged: the smallest
    /// [`crate::Stage::unchanged_below`] of its stages (0 with an unknown stage; `usize::MAX` when
    /// no stage would change anything).
    pub fn unchanged_below(&self, pipeline: &Pipeline) -> usize {
        pipeline
            .stages
            .iter()
            .map(|spec| {
                self.registry
                    .stage(&spec.stage_type)
                    .map_or(0, |stage| stage.unchanged_below(&spec.config))
            })
            .min()
            .unwrap_or(usize::MAX)
    }

    /// Applies `pipeline` to `content`. `ctx` is the call's context (its `config` and
    /// `sections` are set per stage). Errors only when a stage fails and the fallback is
    /// `fail`; with `passthrough` the content comes back as it was, `fell_back` set.
    pub async fn run(
        &self,
        pipeline: &Pipeline,
        content: String,
        ctx: &StageContext,
    ) -> Result<PipelineOutput, PipelineError> {
        if !pipeline.applies_to(ctx.content_type) || pipeline.stages.is_empty() {
            return Ok(PipelineOutput::untouched(content));
        }
        let input = content.clone();
        let result = match (&ctx.cache, pipeline.cacheable) {
            (Some(cache), true) => {
                self.run_cached(pipeline, content, ctx, cache.as_ref())
                    .await
            }
            _ => self
                .run_stages(pipeline, content, ctx)
                .await
                .map(|o| (o, false)),
        };
        let presented = result.and_then(|(staged, cached)| {
            self.present(staged, cached)
                .map_err(|source| PipelineError::Store {
                    pipeline: pipeline.name.clone(),
                    source,
                })
        });
        match presented {
            Ok(output) => Ok(output),
            Err(error) => {
                let what = match error.stage() {
                    Some(stage) => format!("stage {stage} failed"),
                    None => "pipeline failed".to_owned(),
                };
                match pipeline.fallback {
                    Fallback::Passthrough => {
                        ctx.log.log(
                            "error",
                            &format!("{what}: {error}; fallback passthrough: the content is passed on untransformed"),
                        );
                        Ok(PipelineOutput {
                            content: input,
                            result_id: None,
                            sections: 0,
                            metadata: Map::new(),
                            skipped: false,
                            cached: false,
                            fell_back: Some(error.to_string()),
                        })
                    }
                    Fallback::Fail => {
                        ctx.log.log(
                            "error",
                            &format!("{what}: {error}; fallback fail: the call fails"),
                        );
                        Err(error)
                    }
                }
            }
        }
    }

    async fn run_cached(
        &self,
        pipeline: &Pipeline,
        content: String,
        ctx: &StageContext,
        cache: &dyn crate::stage::CacheHandle,
    ) -> Result<(Staged, bool), PipelineError> {
        let key = pipeline.cache_key(ctx.content_type, &content);
        let failure: Mutex<Option<PipelineError>> = Mutex::new(None);
        let computed = std::sync::atomic::AtomicBool::new(false);
        let compute = Box::pin(async {
            computed.store(true, std::sync::atomic::Ordering::Relaxed);
            match self.run_stages(pipeline, content.clone(), ctx).await {
                Ok(output) => serde_json::to_string(&output).map_err(|e| e.to_string()),
                Err(error) => {
                    let message = error.to_string();
                    *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                    Err(message)
                }
            }
        });
        let answer = cache.get_or_compute(key, compute).await;
        let was_computed = computed.load(std::sync::atomic::Ordering::Relaxed);
        match answer {
            Ok(json) => match serde_json::from_str::<Staged>(&json) {
                Ok(output) => Ok((output, !was_computed)),
                Err(e) => {
                    ctx.log.log(
                        "warn",
                        &format!("proxymodel {}: unreadable pipeline cache entry ({e}); computing afresh", pipeline.name),
                    );
                    self.run_stages(pipeline, content, ctx)
                        .await
                        .map(|o| (o, false))
                }
            },
            Err(message) => {
                let failure = failure.lock().unwrap_or_else(|e| e.into_inner()).take();
                Err(failure.unwrap_or(PipelineError::Cache {
                    pipeline: pipeline.name.clone(),
                    message,
                }))
            }
        }
    }

    /// Runs every stage; the output's metadata holds each stage's metadata under its type.
    async fn run_stages(
        &self,
        pipeline: &Pipeline,
        mut content: String,
        ctx: &StageContext,
    ) -> Result<Staged, PipelineError> {
        let mut sections: Option<Arc<[Section]>> = None;
        let mut metadata = Map::new();
        let mut presentation = Presentation::default();
        for spec in &pipeline.stages {
            let stage = self.registry.stage(&spec.stage_type).ok_or_else(|| {
                PipelineError::UnknownStage {
                    pipeline: pipeline.name.clone(),
                    stage: spec.stage_type.clone(),
                }
            })?;
            let mut stage_ctx = ctx.clone();
            stage_ctx.config = spec.config.clone();
            stage_ctx.sections = sections.clone();
            let output =
                stage
                    .run(content, &stage_ctx)
                    .await
                    .map_err(|source| PipelineError::Stage {
                        pipeline: pipeline.name.clone(),
                        stage: spec.stage_type.clone(),
                        source,
                    })?;
            content = output.content;
            if let Some(new) = output.sections {
                sections = Some(new.into());
                presentation.reset_for_new_sections();
            }
            presentation.absorb(&output.metadata);
            let mut key = spec.stage_type.clone();
            let mut n = 1;
            while metadata.contains_key(&key) {
                n += 1;
                key = format!("{}#{n}", spec.stage_type);
            }
            metadata.insert(key, Value::Object(output.metadata));
        }
        Ok(Staged {
            output: StageOutput {
                content,
                sections: sections.map(|s| s.to_vec()),
                metadata,
            },
            presentation,
        })
    }

    /// Stores the sections (if any) and renders what the client sees.
    fn present(&self, staged: Staged, cached: bool) -> Result<PipelineOutput, StoreError> {
        let Staged {
            output:
                StageOutput {
                    content,
                    sections,
                    metadata,
                },
            presentation,
        } = staged;
        let mut output = PipelineOutput {
            content,
            result_id: None,
            sections: 0,
            metadata,
            skipped: false,
            cached,
            fell_back: None,
        };
        if let Some(sections) = sections.filter(|s| !s.is_empty()) {
            output.sections = sections.len();
            let (id, text) = self
                .store
                .put_with(sections, |id, sections| presentation.render(id, sections))?;
            output.content = text;
            output.result_id = Some(id);
        }
        Ok(output)
    }
}
