//! The stage contract.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A boxed, sendable future (stages are trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What kind of content a stage is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContentType {
    ToolResult,
    Prompt,
    Resource,
}

impl ContentType {
    /// The name stages see as `ctx.contentType` (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::ToolResult => "toolResult",
            ContentType::Prompt => "prompt",
            ContentType::Resource => "resource",
        }
    }
}

/// One piece of content a stage split off, reachable with `_resultId` + `_section`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Short, unique within one result (e.g. a JSON key, an element's `name`, `s3`).
    pub id: String,
    /// What the table of contents shows.
    pub title: String,
    pub content: String,
}

/// What a stage returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageOutput {
    pub content: String,
    /// When set, the framework keeps them and shows the client a table of contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<Section>>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

impl StageOutput {
    /// Content only.
    pub fn content(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            ..Self::default()
        }
    }
}

/// Why a stage failed. The pipeline's fallback (pass the content through, or fail the call)
/// decides what the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// The stage threw or returned something that is not a stage result.
    #[error("stage {stage}: {message}")]
    Failed { stage: String, message: String },
    /// The stage ran longer than its time limit.
    #[error("stage {stage} ran longer than {limit_ms} ms and was stopped")]
    TimedOut { stage: String, limit_ms: u64 },
    /// The stage needed more memory than its limit.
    #[error("stage {stage} needed more than {limit_bytes} bytes of memory and was stopped")]
    OutOfMemory { stage: String, limit_bytes: u64 },
    /// Its configuration is wrong (names the field).
    #[error("stage {stage}: config.{field}: {message}")]
    Config {
        stage: String,
        field: String,
        message: String,
    },
}

/// `ctx.llm`: a language model behind the host's provider routing.
pub trait LlmHandle: Send + Sync {
    /// Completes `prompt` with a provider of `tier` (`fast`, `heavy`); the error is one line.
    fn complete<'a>(
        &'a self,
        prompt: String,
        tier: &'a str,
    ) -> BoxFuture<'a, Result<String, String>>;

    /// How many `complete` calls of `tier` are worth sending at once (summarize-tree sends
    /// that many sections side by side). The host's router knows its providers' bounds.
    fn concurrency(&self, _tier: &str) -> usize {
        4
    }
}

/// `ctx.cache`: the persistent pipeline cache of the project's namespace.
pub trait CacheHandle: Send + Sync {
    /// The cached value of `key`, computing and storing it once (single-flight) when missing.
    fn get_or_compute<'a>(
        &'a self,
        key: String,
        compute: BoxFuture<'a, Result<String, String>>,
    ) -> BoxFuture<'a, Result<String, String>>;
}

/// `ctx.log`: lines the host logs with the stage's name.
pub trait StageLog: Send + Sync {
    fn log(&self, level: &str, message: &str);
}

/// Everything a stage may use besides its input.
#[derive(Clone)]
pub struct StageContext {
    pub content_type: ContentType,
    /// Tool name, prompt name or resource URI (as the client named it).
    pub source_name: String,
    pub project_name: String,
    pub session_id: String,
    /// The content before any stage ran.
    pub original_content: Arc<str>,
    /// The stage's `config` from the ProxyModel.
    pub config: Map<String, Value>,
    /// The sections an earlier stage of this pipeline split the content into (the latest
    /// such stage's), for stages that work on sections (summarize-tree). Set by the runner.
    pub sections: Option<Arc<[Section]>>,
    /// `None` when no provider is configured (stages then degrade, they do not fail).
    pub llm: Option<Arc<dyn LlmHandle>>,
    pub cache: Option<Arc<dyn CacheHandle>>,
    pub log: Arc<dyn StageLog>,
}

impl StageContext {
    /// A context with no config, no sections, no LLM and no cache.
    pub fn new(
        content_type: ContentType,
        source_name: impl Into<String>,
        original_content: impl Into<Arc<str>>,
        log: Arc<dyn StageLog>,
    ) -> Self {
        StageContext {
            content_type,
            source_name: source_name.into(),
            project_name: String::new(),
            session_id: String::new(),
            original_content: original_content.into(),
            config: Map::new(),
            sections: None,
            llm: None,
            cache: None,
            log,
        }
    }
}

impl std::fmt::Debug for StageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageContext")
            .field("content_type", &self.content_type)
            .field("source_name", &self.source_name)
            .field("project_name", &self.project_name)
            .field("session_id", &self.session_id)
            .field("sections", &self.sections.as_ref().map(|s| s.len()))
            .field("llm", &self.llm.is_some())
            .field("cache", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

/// One transformation step.
pub trait Stage: Send + Sync {
    /// The name ProxyModels use (`paginate`, or a JS file's name without extension).
    fn name(&self) -> &str;

    /// Transforms `content`.
    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>>;

    /// With `config`, content shorter than this many bytes comes out of the stage as it went
    /// in (same text, no sections), so a pipeline of such stages may be skipped for it
    /// ([`crate::PipelineRunner::unchanged_below`]). The default, 0, promises nothing.
    fn unchanged_below(&self, config: &Map<String, Value>) -> usize {
        let _ = config;
        0
    }
}

/// Where a stage comes from, as `GET /proxymodels/stages` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageSource {
    BuiltIn,
    /// A JS stage file in `$MCPCTL_HOME/stages`.
    Local,
    /// A native stage exported by a plugin library.
    Plugin,
}

/// Stages by name. Implementations: the built-in stages, the JS stages of
/// `$MCPCTL_HOME/stages/` (reloaded when files change), and a composition of both (local
/// stages shadow nothing: a local stage named like a built-in is refused).
pub trait StageRegistry: Send + Sync {
    /// The stage called `name`, as it is now (a reload swaps what later calls get).
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>>;

    /// Every stage with its source, sorted by name.
    fn list(&self) -> Vec<(String, StageSource)>;
}
