//! The content pipelines mcplocal runs for plugins (the `content-pipeline` plugin and those
//! extending it), and the drill-down into the sections they make.
//!
//! - Stages: the built-ins and the JS stages of `$MCPCTL_HOME/stages/` (watched: a changed
//!   file takes effect on the next call).
//! - Pipelines: the built-in `default` and `subindex`, and `$MCPCTL_HOME/proxymodels/*.yaml`,
//!   re-read (cheaply) on every use.
//! - Which pipeline: a project whose `proxyModel` names a plugin runs the `default` pipeline;
//!   one whose `proxyModel` names a pipeline is served by the `content-pipeline` plugin with
//!   that pipeline (see [`ContentPipelines::serve`]).
//! - What runs: the text blocks of a tool result (joined), each text message of a prompt, each
//!   text content of a resource. Other blocks, and a tool's `structuredContent`, pass as they
//!   are.
//! - Drill-down: a pipeline that makes sections answers with a table of contents and a
//!   `_resultId`; a later `tools/call` or `prompts/get` with `_resultId` and `_section`
//!   arguments is answered from the section store without reaching the server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use js_stages::{JsLimits, JsStageRegistry};
use llm::{CompletionRequest, LlmRouter, Tier};
use pipeline::{
    BoxFuture, CacheHandle, CombinedRegistry, ContentType, DiskCache, LlmHandle, Pipeline,
    PipelineRunner, ProxyModelCatalog, SectionStore, StageContext, StageLog, StageRegistry,
    StoreOptions,
};
use result_cache::{CacheDir, CacheOptions, NamespaceCache, NamespaceId};
use serde_json::Value;

/// The pipeline a plugin-served project runs.
pub const DEFAULT_PIPELINE: &str = "default";

/// The plugin that serves a project whose `proxyModel` names a pipeline.
pub const PIPELINE_PLUGIN: &str = "content-pipeline";

/// The argument names of a drill-down call.
pub const RESULT_ID_ARG: &str = "_resultId";
pub const SECTION_ARG: &str = "_section";

/// Longest answer a model may get from one completion of a stage.
const STAGE_MAX_TOKENS: u32 = 1024;

/// Stages, pipelines, the section store and the handles stages get.
pub struct ContentPipelines {
    registry: Arc<dyn StageRegistry>,
    js: Option<Arc<JsStageRegistry>>,
    catalog: ProxyModelCatalog,
    runner: PipelineRunner,
    llm: Arc<LlmRouter>,
    cache: Option<CacheDir>,
    /// Namespaces opened so far, kept open: opening one scans its folder, which must not
    /// happen on every call.
    open_caches: Mutex<HashMap<NamespaceId, Arc<NamespaceCache>>>,
}

impl std::fmt::Debug for ContentPipelines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentPipelines")
            .field("js", &self.js.as_ref().map(|js| js.dir().to_path_buf()))
            .finish_non_exhaustive()
    }
}

/// Logs a stage's `ctx.log` lines with tracing.
struct TracingLog {
    source: String,
}

impl StageLog for TracingLog {
    fn log(&self, level: &str, message: &str) {
        let source = &self.source;
        match level {
            "error" => tracing::error!(%source, "stage: {message}"),
            "warn" => tracing::warn!(%source, "stage: {message}"),
            "info" => tracing::info!(%source, "stage: {message}"),
            _ => tracing::debug!(%source, "stage: {message}"),
        }
    }
}

/// `ctx.llm` over the router.
struct RouterLlm(Arc<LlmRouter>);

fn tier(name: &str) -> Tier {
    if name == "heavy" {
        Tier::Heavy
    } else {
        Tier::Fast
    }
}

impl LlmHandle for RouterLlm {
    fn complete<'a>(
        &'a self,
        prompt: String,
        tier_name: &'a str,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let request = CompletionRequest::new(prompt, STAGE_MAX_TOKENS);
            self.0
                .complete(tier(tier_name), &request)
                .await
                .map(|completion| completion.text)
                .map_err(|error| error.to_string())
        })
    }

    fn concurrency(&self, tier_name: &str) -> usize {
        self.0.concurrency(tier(tier_name)).max(1)
    }
}

/// Who a pipeline runs for.
#[derive(Debug, Clone, Copy)]
pub struct RunFor<'a> {
    pub project: &'a str,
    pub session: u64,
    pub pipeline: &'a str,
}

impl ContentPipelines {
    /// Stages and pipelines under `home` (none of the local ones without a home), and the
    /// `native` stages of plugins.
    pub fn load(
        home: Option<&Path>,
        llm: Arc<LlmRouter>,
        native: Option<Arc<dyn StageRegistry>>,
    ) -> Arc<ContentPipelines> {
        let js = home.map(|home| {
            let js = JsStageRegistry::open(home.join("stages"), JsLimits::default());
            if let Err(error) = js.watch() {
                tracing::warn!(%error, "JS stages are not watched; POST /proxymodels/reload picks up changes");
            }
            js
        });
        let others: Vec<Arc<dyn StageRegistry>> = js
            .iter()
            .map(|js| js.clone() as Arc<dyn StageRegistry>)
            .chain(native)
            .collect();
        let registry: Arc<dyn StageRegistry> = Arc::new(CombinedRegistry::new(others));
        let store = Arc::new(SectionStore::new(StoreOptions::default()));
        let catalog = match home {
            Some(home) => ProxyModelCatalog::from_home(home),
            None => ProxyModelCatalog::from_home(&PathBuf::from("/nonexistent-mcpctl-home")),
        };
        Arc::new(ContentPipelines {
            runner: PipelineRunner::new(registry.clone(), store),
            registry,
            js,
            catalog,
            llm,
            cache: home.map(|home| CacheDir::under_home(home, CacheOptions::default())),
            open_caches: Mutex::default(),
        })
    }

    /// Whether `name` is a pipeline (built-in or local).
    pub fn has_pipeline(&self, name: &str) -> bool {
        self.catalog.get(name, &*self.registry).is_ok()
    }

    /// The plugin and pipeline that serve a project with `proxy_model`: a plugin of that name
    /// with the default pipeline, else (when it names a pipeline) the content-pipeline plugin
    /// with it.
    pub fn serve<'a>(&self, proxy_model: &'a str, is_plugin: bool) -> (&'a str, &'a str) {
        if is_plugin || !self.has_pipeline(proxy_model) {
            (proxy_model, DEFAULT_PIPELINE)
        } else {
            (PIPELINE_PLUGIN, proxy_model)
        }
    }

    /// Every pipeline, as `GET /proxymodels` lists them.
    pub fn pipelines(&self) -> Value {
        serde_json::to_value(self.catalog.list(&*self.registry)).unwrap_or_default()
    }

    /// Every stage with its source (`GET /proxymodels/stages`).
    pub fn stages(&self) -> Value {
        Value::Array(
            self.registry
                .list()
                .into_iter()
                .map(|(name, source)| serde_json::json!({ "name": name, "source": source }))
                .collect(),
        )
    }

    /// Reads stages and pipelines again (`POST /proxymodels/reload`): how many of each load.
    pub fn reload(&self) -> (usize, usize) {
        let stages = self.js.as_ref().map_or(0, |js| js.reload().loaded);
        let pipelines = self.catalog.reload(&*self.registry);
        (stages, pipelines)
    }

    fn pipeline(&self, name: &str) -> Result<Arc<Pipeline>, String> {
        self.catalog
            .get(name, &*self.registry)
            .map_err(|error| error.to_string())
    }

    fn context(
        &self,
        kind: ContentType,
        source: &str,
        content: &str,
        run: RunFor<'_>,
    ) -> StageContext {
        let log = Arc::new(TracingLog {
            source: source.to_owned(),
        });
        let mut ctx = StageContext::new(kind, source, content, log);
        ctx.project_name = run.project.to_owned();
        ctx.session_id = run.session.to_string();
        if !self.llm.is_empty() {
            ctx.llm = Some(Arc::new(RouterLlm(self.llm.clone())));
        }
        ctx.cache = self.cache_for(run.pipeline);
        ctx
    }

    /// The cache namespace `<provider>--<model>--<pipeline>` (the first fast provider, or
    /// `none--none` without one).
    fn cache_for(&self, pipeline: &str) -> Option<Arc<dyn CacheHandle>> {
        let dir = self.cache.as_ref()?;
        let (provider, model) = self
            .llm
            .candidates(Tier::Fast)
            .first()
            .map(|p| (p.name().to_owned(), p.status().model))
            .unwrap_or_else(|| ("none".to_owned(), "none".to_owned()));
        let id = NamespaceId::new(&provider, &model, pipeline);
        let mut open = self
            .open_caches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(namespace) = open.get(&id) {
            return Some(Arc::new(DiskCache(namespace.clone())));
        }
        match dir.namespace(&id) {
            Ok(namespace) => {
                open.insert(id, namespace.clone());
                Some(Arc::new(DiskCache(namespace)))
            }
            Err(error) => {
                tracing::warn!(%error, "pipeline cache unavailable");
                None
            }
        }
    }

    async fn run_text(
        &self,
        pipeline: &Pipeline,
        kind: ContentType,
        source: &str,
        text: String,
        run: RunFor<'_>,
    ) -> Result<Option<String>, String> {
        let ctx = self.context(kind, source, &text, run);
        let output = self
            .runner
            .run(pipeline, text.clone(), &ctx)
            .await
            .map_err(|error| error.to_string())?;
        if let Some(error) = &output.fell_back {
            tracing::warn!(source, pipeline = %pipeline.name, %error, "a stage failed; content passed through");
        }
        Ok((!output.skipped && output.content != text).then_some(output.content))
    }

    /// Runs pipeline `run.pipeline` over a hook's `result` JSON (a tool result, prompt or
    /// resource); the new result JSON, or `None` when nothing changed.
    pub async fn transform(
        &self,
        kind: ContentType,
        source: &str,
        result: &str,
        run: RunFor<'_>,
    ) -> Result<Option<String>, String> {
        let pipeline = self.pipeline(run.pipeline)?;
        if !pipeline.applies_to(kind) {
            return Ok(None);
        }
        // Every text the pipeline would get (one text, or a tool result's texts joined with
        // one `\n` each) is shorter than the JSON holding it, so a result shorter than what
        // any stage acts on comes out unchanged: not parsed, nothing built (the small calls
        // of the `default` pipeline, passthrough → paginate).
        if result.len() < self.runner.unchanged_below(&pipeline) {
            return Ok(None);
        }
        let mut result: Value =
            serde_json::from_str(result).map_err(|error| format!("not a result: {error}"))?;
        let changed = match kind {
            ContentType::ToolResult => {
                self.transform_tool(&pipeline, source, &mut result, run)
                    .await?
            }
            ContentType::Prompt => {
                let messages = result.get_mut("messages").and_then(Value::as_array_mut);
                let texts = messages
                    .into_iter()
                    .flatten()
                    .filter_map(|message| message.pointer_mut("/content/text"));
                self.transform_each(&pipeline, kind, source, texts.collect(), run)
                    .await?
            }
            ContentType::Resource => {
                let contents = result.get_mut("contents").and_then(Value::as_array_mut);
                let texts = contents
                    .into_iter()
                    .flatten()
                    .filter_map(|content| content.get_mut("text"));
                self.transform_each(&pipeline, kind, source, texts.collect(), run)
                    .await?
            }
        };
        Ok(changed.then(|| result.to_string()))
    }

    /// A tool result's text blocks, joined, through the pipeline; one text block in their place.
    async fn transform_tool(
        &self,
        pipeline: &Pipeline,
        source: &str,
        result: &mut Value,
        run: RunFor<'_>,
    ) -> Result<bool, String> {
        let Some(blocks) = result.get_mut("content").and_then(Value::as_array_mut) else {
            return Ok(false);
        };
        let texts: Vec<&str> = blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect();
        if texts.is_empty() {
            return Ok(false);
        }
        let joined = texts.join("\n");
        let Some(content) = self
            .run_text(pipeline, ContentType::ToolResult, source, joined, run)
            .await?
        else {
            return Ok(false);
        };
        let first_text = blocks.iter().position(|block| block["type"] == "text");
        blocks.retain(|block| block["type"] != "text");
        let at = first_text.unwrap_or(0).min(blocks.len());
        blocks.insert(at, serde_json::json!({ "type": "text", "text": content }));
        Ok(true)
    }

    async fn transform_each(
        &self,
        pipeline: &Pipeline,
        kind: ContentType,
        source: &str,
        texts: Vec<&mut Value>,
        run: RunFor<'_>,
    ) -> Result<bool, String> {
        let mut changed = false;
        for text in texts {
            let Some(current) = text.as_str().map(str::to_owned) else {
                continue;
            };
            if let Some(content) = self.run_text(pipeline, kind, source, current, run).await? {
                *text = Value::String(content);
                changed = true;
            }
        }
        Ok(changed)
    }

    /// The section a drill-down asks for: `arguments` with `_resultId` and `_section`.
    /// `None` when the arguments are not a drill-down.
    pub fn drill_down(
        &self,
        arguments: Option<&serde_json::Map<String, Value>>,
    ) -> Option<Result<String, String>> {
        let arguments = arguments?;
        let result_id = arguments.get(RESULT_ID_ARG)?;
        let Some(result_id) = result_id.as_str() else {
            return Some(Err(format!("{RESULT_ID_ARG} must be a string")));
        };
        let section = match arguments.get(SECTION_ARG) {
            Some(Value::String(section)) => section.clone(),
            Some(Value::Number(number)) => number.to_string(),
            Some(_) => return Some(Err(format!("{SECTION_ARG} must be a string"))),
            None => {
                return Some(Err(format!(
                    "{RESULT_ID_ARG} needs {SECTION_ARG}: the id of one section of the table of contents"
                )));
            }
        };
        Some(
            self.runner
                .store()
                .get(result_id, &section)
                .map(|section| section.content)
                .map_err(|error| error.to_string()),
        )
    }
}
