//! Projects served by plugins: [`PluginHooks`] is mcplocal's [`Hooks`] for a project, running
//! the plugin its `proxyModel` names through the plugin host, and [`McpdServices`] answers the
//! plugins' calls back into the host (the project's prompts and prompt requests in mcpd, the
//! session's `tools/list_changed`, logging, the content pipeline).
//!
//! Messages cross as the JSON the plugin-api hook table documents (`plugin_api::hook`): each
//! hook serialises the rmcp value, dispatches, and parses what a `Modified` or `Respond`
//! outcome carries back into the rmcp type. A hook the plugin does not implement costs no
//! serialisation ([`plugin_host::Plugin::implements`] is checked first).
//!
//! Dispatch is synchronous and runs inline on the runtime thread: a hook of the built-in
//! plugins takes microseconds (`cargo xtask bench plugins`). Host calls that do I/O (listing
//! prompts, creating a prompt request: HTTP requests to mcpd) are polled once and, when they
//! must wait, finished inside [`tokio::task::block_in_place`], which hands the worker's other
//! tasks to another thread while this one waits; that needs the multi-threaded runtime
//! (mcplocal has it), and on any other those host calls fail with an error saying so.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use folder_watch::FolderWatch;

use plugin_host::{
    Call, ContentKind, DispatchError, HookPoint, HostServices, LoadError, Outcome, Plugin,
    PluginError, PluginHost, PluginInfo, PromptEntry, SearchPath, Source,
};
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, InitializeRequestParams,
    InitializeResult, Prompt, PromptMessage, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, Role, Tool,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use pipeline::{
    BoxFuture, ContentType, Stage, StageContext, StageError, StageOutput, StageRegistry,
    StageSource,
};

use crate::content::{ContentPipelines, RunFor};
use crate::hooks::{BeforeToolCall, Hooks, SessionInfo};
use crate::namespace::Target;

/// The proxy model of a project that names none.
pub const DEFAULT_PROXY_MODEL: &str = "default";

/// Largest answer mcplocal reads from mcpd's prompt list, in bytes.
pub const MAX_PROMPT_LIST_BYTES: usize = 8 * 1024 * 1024;

/// Time allowed for one request to mcpd on behalf of a plugin.
const MCPD_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a project cannot be served by the plugin it names.
#[derive(Debug, thiserror::Error)]
pub enum PluginsError {
    #[error(
        "project {project:?} uses proxyModel {model:?}, which this mcplocal has not loaded{refusal}; available: {available}. Install the plugin with 'mcpctl plugin install', or change the project's proxyModel"
    )]
    UnknownModel {
        project: String,
        model: String,
        /// Why it was refused at start, when it was (`"` (refused at start: ...)"`).
        refusal: String,
        available: String,
    },
}

/// The plugins mcplocal serves projects with: a set loaded at start and replaced as a whole
/// when `$MCPCTL_HOME/plugins` changes ([`Plugins::watch`]) or on `POST /proxymodels/reload`.
/// Each request takes the set current when it starts ([`Plugins::current`]) and finishes on it.
#[derive(Debug, Default)]
pub struct Plugins {
    loaded: RwLock<Arc<LoadedPlugins>>,
    /// Where a reload looks; `None` for a fixed set.
    search: Option<SearchPath>,
    /// One reload at a time (the watcher's and the API's).
    reloading: Mutex<()>,
    watches: Mutex<Vec<FolderWatch>>,
}

/// One loaded set of plugins, and the libraries refused (with the reason).
#[derive(Debug, Default)]
pub struct LoadedPlugins {
    host: PluginHost,
    refused: Vec<LoadError>,
}

impl Plugins {
    /// A fixed set: what [`PluginHost::load`] returned.
    pub fn new(host: PluginHost, refused: Vec<LoadError>) -> Plugins {
        Plugins {
            loaded: RwLock::new(Arc::new(LoadedPlugins { host, refused })),
            ..Plugins::default()
        }
    }

    /// The plugins of `search`, which [`Plugins::reload`] reads again.
    pub fn load(search: SearchPath) -> Plugins {
        let (host, refused) = PluginHost::load(&search);
        let plugins = Plugins {
            search: Some(search),
            ..Plugins::new(host, refused)
        };
        plugins.current().log();
        plugins
    }

    /// Loads the plugins of the default search path (built-ins beside the executable or in
    /// `<exe>/../lib/mcpctl/plugins`, third-party ones in `$MCPCTL_HOME/plugins`), logging
    /// every refused library.
    pub fn load_default() -> Plugins {
        match plugin_host::SearchPath::from_env() {
            Ok(search) => Plugins::load(search),
            Err(error) => {
                tracing::error!(%error, "no plugins loaded");
                Plugins::default()
            }
        }
    }

    /// The set new requests use.
    pub fn current(&self) -> Arc<LoadedPlugins> {
        match self.loaded.read() {
            Ok(loaded) => loaded.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the search path again: unchanged libraries are kept, new and changed ones
    /// loaded as new copies, removed ones dropped from the set; requests already running
    /// finish on the set they started with. Returns how many plugins are loaded.
    pub fn reload(&self) -> usize {
        let Some(search) = &self.search else {
            return self.current().host.plugins().count();
        };
        let _one_at_a_time = self.reloading.lock();
        let before = self.current();
        let (host, refused) = before.host.reload(search);
        let next = Arc::new(LoadedPlugins { host, refused });
        next.log_changes(&before);
        let count = next.host.plugins().count();
        match self.loaded.write() {
            Ok(mut loaded) => *loaded = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        count
    }

    /// Reloads whenever a library in a third-party plugin folder is added, changed or
    /// removed, [`RELOAD_DEBOUNCE`] after the folder is quiet. Stops when `self` is dropped.
    pub fn watch(self: &Arc<Self>) {
        let Some(search) = &self.search else {
            return;
        };
        for dir in search.dirs.iter().filter(|d| d.source == Source::Local) {
            let plugins = Arc::downgrade(self);
            let started = FolderWatch::start(
                &dir.path,
                plugin_host::search_path::is_library_name,
                RELOAD_DEBOUNCE,
                "plugins-reload",
                move || {
                    if let Some(plugins) = plugins.upgrade() {
                        plugins.reload();
                    }
                },
            );
            match started {
                Ok(watch) => {
                    if let Ok(mut watches) = self.watches.lock() {
                        watches.push(watch);
                    }
                }
                Err(error) => tracing::warn!(%error, "plugins will not hot-reload"),
            }
        }
        // A library written between the first load and the watch start is picked up here.
        self.reload();
    }
}

/// How long a plugin folder must be quiet before a change is applied.
pub const RELOAD_DEBOUNCE: Duration = Duration::from_millis(300);

impl LoadedPlugins {
    /// Logs what loaded and what was refused.
    pub fn log(&self) {
        for error in &self.refused {
            tracing::error!(%error, "plugin refused");
        }
        let names: Vec<&str> = self.host.plugins().map(|p| p.name.as_str()).collect();
        tracing::info!(plugins = ?names, "plugins loaded");
    }

    /// Logs how this set differs from `before`.
    fn log_changes(&self, before: &LoadedPlugins) {
        for plugin in self.host.plugins() {
            match before.host.get(&plugin.name) {
                None => {
                    tracing::info!(plugin = %plugin.name, version = %plugin.version, file = %plugin.file.display(), "plugin loaded")
                }
                Some(old) if old.info().load_id != plugin.load_id => {
                    tracing::info!(plugin = %plugin.name, from = %old.info().version, to = %plugin.version, "plugin reloaded")
                }
                Some(_) => {}
            }
        }
        for plugin in before.host.plugins() {
            if self.host.get(&plugin.name).is_none() {
                tracing::info!(plugin = %plugin.name, "plugin removed");
            }
        }
        let known: Vec<String> = before.refused.iter().map(ToString::to_string).collect();
        for error in &self.refused {
            if !known.contains(&error.to_string()) {
                tracing::error!(%error, "plugin refused");
            }
        }
    }

    pub fn host(&self) -> &PluginHost {
        &self.host
    }

    /// The libraries refused at load, with the reason.
    pub fn refused(&self) -> &[LoadError] {
        &self.refused
    }

    /// The plugin that serves `project` with proxy model `model`.
    pub fn for_project<'a>(
        &'a self,
        project: &str,
        model: &str,
    ) -> Result<&'a Plugin, PluginsError> {
        self.host.get(model).ok_or_else(|| {
            let mut available: Vec<&str> = self.host.plugins().map(|p| p.name.as_str()).collect();
            available.sort_unstable();
            let refusal = self
                .refused
                .iter()
                .find(|e| refused_plugin(e) == Some(model))
                .map(|e| format!(" (refused: {e})"))
                .unwrap_or_default();
            PluginsError::UnknownModel {
                project: project.to_owned(),
                model: model.to_owned(),
                refusal,
                available: if available.is_empty() {
                    "none".to_owned()
                } else {
                    available.join(", ")
                },
            }
        })
    }
}

/// The plugin a load error is about, when it names one.
fn refused_plugin(error: &LoadError) -> Option<&str> {
    use plugin_host::ResolveError;
    match error {
        LoadError::Open { plugin, .. }
        | LoadError::AbiStable { plugin, .. }
        | LoadError::IncompatibleVersion { plugin, .. }
        | LoadError::IncompatibleLayout { plugin, .. }
        | LoadError::Init { plugin, .. }
        | LoadError::MissingFeature { plugin, .. }
        | LoadError::Copy { plugin, .. } => Some(plugin),
        LoadError::Resolve { error, .. } => match error {
            ResolveError::MissingParent { plugin, .. }
            | ResolveError::Cycle { plugin, .. }
            | ResolveError::Conflict { plugin, .. }
            | ResolveError::ParentFailed { plugin, .. } => Some(plugin),
        },
        _ => None,
    }
}

/// A plugin as `GET /proxymodels` shows it: name, kind `plugin`, source, version, extends,
/// hooks with the plugins each comes from, native stages, file, plugin-api version, features.
pub fn proxymodel_json(info: &PluginInfo) -> Value {
    json!({
        "name": info.name,
        "kind": "plugin",
        "source": info.source.as_str(),
        "version": info.version,
        "apiVersion": info.api_version,
        "extends": info.extends,
        "features": info.features,
        "hooks": info.hooks.iter().map(|h| json!({
            "hook": h.hook.name(),
            "from": h.from,
        })).collect::<Vec<_>>(),
        "stages": info.stages,
        "file": info.file.display().to_string(),
    })
}

/// The host side of the plugins' calls for one mcpd: prompts and prompt requests through its
/// REST API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct McpdServices {
    mcpd: Arc<str>,
    http: reqwest::Client,
}

/// The parts of a prompt document mcplocal hands to plugins.
#[derive(Debug, serde::Deserialize)]
struct PromptDoc {
    name: String,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default = "default_priority")]
    priority: u8,
}

fn default_priority() -> u8 {
    5
}

#[derive(Debug, serde::Deserialize)]
struct PromptList {
    items: Vec<PromptDoc>,
}

impl McpdServices {
    /// Services for the mcpd at `mcpd` (`http://127.0.0.1:3000`).
    pub fn new(mcpd: &str) -> McpdServices {
        McpdServices {
            mcpd: mcpd.trim_end_matches('/').into(),
            http: reqwest::Client::builder()
                .timeout(MCPD_TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }

    /// `GET {mcpd}/api/v1/prompts?project=P`. A prompt linked to a resource (`link`) is
    /// handed over with a line naming the link, not the resource's content.
    pub async fn prompts(&self, project: &str) -> Result<Vec<PromptEntry>, String> {
        let url = format!("{}/api/v1/prompts?project={project}", self.mcpd);
        let mut response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("cannot reach mcpd at {url}: {e}"))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading GET {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_PROMPT_LIST_BYTES {
                return Err(format!(
                    "mcpd's prompt list of project {project} is larger than {MAX_PROMPT_LIST_BYTES} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(format!(
                "mcpd answered {status} to GET {url}: {}",
                mcpd_message(&body)
            ));
        }
        let list: PromptList = serde_json::from_slice(&body)
            .map_err(|e| format!("mcpd's prompt list (GET {url}) is not valid: {e}"))?;
        Ok(list
            .items
            .into_iter()
            .map(|p| PromptEntry {
                content: match (p.content, p.link) {
                    (Some(content), _) => content,
                    (None, Some(link)) => format!("(linked to {link})"),
                    (None, None) => String::new(),
                },
                name: p.name,
                priority: p.priority,
            })
            .collect())
    }

    /// `POST {mcpd}/api/v1/promptrequests?project=P` with `{name, content, requestedBy}`.
    pub async fn create_prompt_request(
        &self,
        project: &str,
        name: &str,
        content: &str,
        requested_by: &str,
    ) -> Result<(), String> {
        let url = format!("{}/api/v1/promptrequests?project={project}", self.mcpd);
        let body = json!({
            "kind": "promptrequest",
            "name": name,
            "content": content,
            "requestedBy": requested_by,
        });
        let response = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("cannot reach mcpd at {url}: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(format!(
            "mcpd refused prompt request {name:?} in project {project} ({status}): {}",
            mcpd_message(&body)
        ))
    }
}

/// The message of an mcpd error body (`{"error": {"message"}}`).
fn mcpd_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "no error message".to_owned())
}

/// Runs an I/O future to completion from synchronous code on a runtime thread (a host call
/// made by a plugin), without stalling the worker's other tasks.
///
/// The future is polled once first: work that needs no waiting (a pipeline that leaves a
/// small result as it is, say) finishes there, without the cost of handing the worker's
/// other tasks to another thread; only a future that has to wait goes to `block_in_place`.
fn block_on_io<F: Future>(future: F) -> Result<F::Output, String> {
    // Tokio's resources need the runtime even for that first poll.
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| "the host has no async runtime for this call".to_owned())?;
    let mut future = std::pin::pin!(future);
    let mut first = std::task::Context::from_waker(std::task::Waker::noop());
    if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut first) {
        return Ok(output);
    }
    match handle.runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => {
            Ok(tokio::task::block_in_place(|| handle.block_on(future)))
        }
        _ => Err("mcplocal's plugin host calls need the multi-threaded runtime".to_owned()),
    }
}

/// The host services of one hook call: mcpd's, and the session it runs for.
struct SessionServices<'a> {
    mcpd: &'a McpdServices,
    session: &'a SessionInfo,
    plugin: &'a str,
    content: Option<&'a ContentPipelines>,
    pipeline: &'a str,
}

impl HostServices for SessionServices<'_> {
    fn prompts(&self, call: &Call<'_>) -> Result<Vec<PromptEntry>, String> {
        block_on_io(self.mcpd.prompts(call.project))?
    }

    fn create_prompt_request(
        &self,
        call: &Call<'_>,
        name: &str,
        content: &str,
    ) -> Result<(), String> {
        let by = format!(
            "mcplocal session {} (plugin {})",
            call.session_id, self.plugin
        );
        block_on_io(
            self.mcpd
                .create_prompt_request(call.project, name, content, &by),
        )?
    }

    fn notify_tools_list_changed(&self, _call: &Call<'_>) -> Result<(), String> {
        self.session.client.tool_list_changed();
        Ok(())
    }

    fn run_pipeline(
        &self,
        call: &Call<'_>,
        kind: ContentKind,
        source: &str,
        content: &str,
    ) -> Result<Option<String>, String> {
        let Some(pipelines) = self.content else {
            return Ok(None);
        };
        let kind = match kind {
            ContentKind::ToolResult => ContentType::ToolResult,
            ContentKind::Prompt => ContentType::Prompt,
            _ => ContentType::Resource,
        };
        let run = RunFor {
            project: call.project,
            session: call.session_id,
            pipeline: self.pipeline,
        };
        block_on_io(pipelines.transform(kind, source, content, run))?
    }

    // `log` goes through tracing (the trait's default).
}

/// mcplocal's [`Hooks`] for a project served by one plugin.
#[derive(Clone)]
pub struct PluginHooks {
    plugins: Arc<Plugins>,
    /// The plugin's name (a key of `plugins`, checked by [`PluginHooks::new`]).
    plugin: Arc<str>,
    mcpd: McpdServices,
    /// The content pipelines the plugin's host calls run, and the one this project uses.
    content: Option<Arc<ContentPipelines>>,
    pipeline: Arc<str>,
    /// Per live session: the plugin set it last ran on and the libraries whose
    /// `onSessionCreate` it has had (see [`PluginHooks::catch_up`]).
    sessions: Arc<Mutex<HashMap<u64, SessionPlugins>>>,
}

/// What a session's plugin libraries have seen of it.
#[derive(Debug, Clone, Default)]
struct SessionPlugins {
    generation: u64,
    created_by: Vec<u64>,
}

impl std::fmt::Debug for PluginHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHooks")
            .field("plugin", &self.plugin)
            .finish()
    }
}

impl PluginHooks {
    /// Hooks running plugin `model` (a project's `proxyModel`) of `plugins` for `project`.
    pub fn new(
        plugins: Arc<Plugins>,
        project: &str,
        model: &str,
        mcpd: McpdServices,
    ) -> Result<PluginHooks, PluginsError> {
        let plugin: Arc<str> = plugins.current().for_project(project, model)?.name().into();
        Ok(PluginHooks {
            plugins,
            plugin,
            mcpd,
            content: None,
            pipeline: crate::content::DEFAULT_PIPELINE.into(),
            sessions: Arc::default(),
        })
    }

    /// Runs `pipeline` of `content` when the plugin asks the host for the content pipeline,
    /// and answers drill-down calls (`_resultId`, `_section`) from its sections.
    pub fn with_content(mut self, content: Arc<ContentPipelines>, pipeline: &str) -> Self {
        self.content = Some(content);
        self.pipeline = pipeline.into();
        self
    }

    /// The section a drill-down call asks for, as a tool result (an error result when the id
    /// or section is unknown). `None` for other calls.
    fn drill_down(
        &self,
        arguments: Option<&serde_json::Map<String, Value>>,
    ) -> Option<Result<String, String>> {
        self.content.as_ref()?.drill_down(arguments)
    }

    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Whether anything runs for `hook` in the current set (a plugin that is gone "runs":
    /// the call fails saying so).
    fn implements(&self, hook: HookPoint) -> bool {
        let current = self.plugins.current();
        current
            .host
            .get(&self.plugin)
            .is_none_or(|p| p.implements(hook))
    }

    /// Dispatches `hook` with `message` for `session`, on the plugin set current now.
    fn run(
        &self,
        session: &SessionInfo,
        server: Option<&str>,
        hook: HookPoint,
        message: &str,
    ) -> Result<Outcome, ErrorData> {
        let current = self.plugins.current();
        let Some(plugin) = current.host.get(&self.plugin) else {
            return Err(ErrorData::internal_error(
                format!(
                    "plugin `{}` of project {:?} is no longer loaded (removed from the plugin folder, or refused on reload); install it again or change the project's proxyModel",
                    self.plugin, session.project
                ),
                Some(json!({"plugin": &*self.plugin, "hook": hook.name()})),
            ));
        };
        let call = Call {
            project: &session.project,
            session_id: session.id,
            server,
        };
        let services = SessionServices {
            mcpd: &self.mcpd,
            session,
            plugin: &self.plugin,
            content: self.content.as_deref(),
            pipeline: &self.pipeline,
        };
        if hook == HookPoint::SessionCreate {
            self.record_session(session.id, current.host.generation(), plugin);
        } else if hook != HookPoint::SessionDestroy {
            self.catch_up(current.host.generation(), plugin, &call, &services)?;
        }
        plugin
            .dispatch(hook, &call, &services, message)
            .map_err(|e| dispatch_error(&e))
    }

    fn record_session(&self, session: u64, generation: u64, plugin: &Plugin) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(
                session,
                SessionPlugins {
                    generation,
                    created_by: plugin.libraries_of(HookPoint::SessionCreate),
                },
            );
        }
    }

    /// After a reload, a live session's first hook on the new set runs `onSessionCreate` of
    /// the libraries new to it (a swapped-in copy starts without the old copy's state).
    fn catch_up(
        &self,
        generation: u64,
        plugin: &Plugin,
        call: &Call<'_>,
        services: &SessionServices<'_>,
    ) -> Result<(), ErrorData> {
        let seen = {
            let Ok(mut sessions) = self.sessions.lock() else {
                return Ok(());
            };
            let entry = sessions.entry(call.session_id).or_default();
            if entry.generation == generation {
                return Ok(());
            }
            entry.generation = generation;
            std::mem::replace(
                &mut entry.created_by,
                plugin.libraries_of(HookPoint::SessionCreate),
            )
        };
        plugin
            .dispatch_from(
                HookPoint::SessionCreate,
                |library| !seen.contains(&library),
                call,
                services,
                "{}",
            )
            .map(|_| ())
            .map_err(|e| dispatch_error(&e))
    }

    /// Runs `hook` over `value` serialised as `message`; a `Modified` outcome is parsed as `T`.
    fn modify<T: DeserializeOwned>(
        &self,
        session: &SessionInfo,
        server: Option<&str>,
        hook: HookPoint,
        message: &impl Serialize,
    ) -> Result<Option<T>, ErrorData> {
        let message = to_json(hook, message)?;
        match self.run(session, server, hook, &message)? {
            Outcome::PassThrough => Ok(None),
            Outcome::Modified(json) => self.parse(hook, &json).map(Some),
            Outcome::Respond(_) => Err(self.invalid_outcome(hook, "answered")),
        }
    }

    fn parse<T: DeserializeOwned>(&self, hook: HookPoint, json: &str) -> Result<T, ErrorData> {
        serde_json::from_str(json).map_err(|e| self.bad_json(hook, &e))
    }

    fn bad_json(&self, hook: HookPoint, error: &serde_json::Error) -> ErrorData {
        ErrorData::internal_error(
            format!(
                "plugin `{}` returned invalid JSON from {hook}: {error}",
                self.plugin
            ),
            Some(json!({"plugin": &*self.plugin, "hook": hook.name()})),
        )
    }

    fn invalid_outcome(&self, hook: HookPoint, what: &str) -> ErrorData {
        ErrorData::internal_error(
            format!(
                "plugin `{}` {what} from {hook}, which only passes through or modifies",
                self.plugin
            ),
            Some(json!({"plugin": &*self.plugin, "hook": hook.name()})),
        )
    }

    /// Runs a lifecycle hook; a failure is logged (nothing waits for its answer).
    fn lifecycle(&self, session: &SessionInfo, hook: HookPoint) {
        if !self.implements(hook) {
            return;
        }
        if let Err(error) = self.run(session, None, hook, "{}") {
            tracing::warn!(
                plugin = &*self.plugin,
                project = %session.project,
                session = session.id,
                "{hook} failed: {}",
                error.message
            );
        }
    }

    /// A list hook: `{key: items}` in, `{key: items}` out.
    fn list<T: Serialize + DeserializeOwned>(
        &self,
        session: &SessionInfo,
        hook: HookPoint,
        key: &str,
        items: Vec<T>,
    ) -> Result<Vec<T>, ErrorData> {
        if !self.implements(hook) {
            return Ok(items);
        }
        let message = std::collections::BTreeMap::from([(key, &items)]);
        match self.modify::<Value>(session, None, hook, &message)? {
            None => Ok(items),
            Some(mut modified) => match modified.get_mut(key).map(Value::take) {
                Some(list) => serde_json::from_value(list).map_err(|e| self.bad_json(hook, &e)),
                None => Err(ErrorData::internal_error(
                    format!(
                        "plugin `{}` returned no `{key}` array from {hook}",
                        self.plugin
                    ),
                    Some(json!({"plugin": &*self.plugin, "hook": hook.name()})),
                )),
            },
        }
    }

    /// A hook over `{"request", "result"}` whose `Modified` is the new result.
    fn result<R: Serialize + DeserializeOwned>(
        &self,
        session: &SessionInfo,
        server: Option<&str>,
        hook: HookPoint,
        request: &impl Serialize,
        result: R,
    ) -> Result<R, ErrorData> {
        if !self.implements(hook) {
            return Ok(result);
        }
        let message = RequestAndResult {
            request,
            result: &result,
        };
        Ok(self
            .modify(session, server, hook, &message)?
            .unwrap_or(result))
    }
}

/// The request part of onToolCallAfter's message.
#[derive(Serialize)]
struct ToolNamed<'a> {
    name: Option<&'a str>,
}

/// The message of the hooks that see a request and its result.
#[derive(Serialize)]
struct RequestAndResult<'a, Q, R> {
    request: &'a Q,
    result: &'a R,
}

fn to_json(hook: HookPoint, value: &impl Serialize) -> Result<String, ErrorData> {
    serde_json::to_string(value).map_err(|e| {
        ErrorData::internal_error(
            format!("cannot write the message of {hook} as JSON: {e}"),
            None,
        )
    })
}

/// The JSON-RPC error a client sees for a failed hook: the plugin's own words for a refusal
/// or bad arguments, the plugin and hook named for a failure.
pub fn dispatch_error(error: &DispatchError) -> ErrorData {
    match error {
        DispatchError::UnknownPlugin { plugin } => {
            ErrorData::internal_error(format!("plugin `{plugin}` is not loaded"), None)
        }
        DispatchError::Plugin {
            plugin,
            hook,
            error,
        } => {
            let data = Some(json!({
                "plugin": plugin,
                "hook": hook.name(),
                "kind": error.kind(),
            }));
            match error {
                PluginError::Refused(message) => {
                    ErrorData::new(ErrorCode::INVALID_REQUEST, message.to_string(), data)
                }
                PluginError::InvalidParams(message) => {
                    ErrorData::new(ErrorCode::INVALID_PARAMS, message.to_string(), data)
                }
                PluginError::BadMessage(message)
                | PluginError::Host(message)
                | PluginError::Failed(message)
                | PluginError::Panicked(message) => ErrorData::internal_error(
                    format!(
                        "plugin `{plugin}` failed in {hook} ({}): {message}",
                        error.kind()
                    ),
                    data,
                ),
            }
        }
    }
}

impl Hooks for PluginHooks {
    async fn session_created(&self, session: &SessionInfo) {
        self.lifecycle(session, HookPoint::SessionCreate);
    }

    fn session_destroyed(&self, session: &SessionInfo) {
        self.lifecycle(session, HookPoint::SessionDestroy);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&session.id);
        }
    }

    async fn initialize(
        &self,
        session: &SessionInfo,
        request: &InitializeRequestParams,
        result: InitializeResult,
    ) -> Result<InitializeResult, ErrorData> {
        self.result(session, None, HookPoint::Initialize, request, result)
    }

    async fn tools_list(
        &self,
        session: &SessionInfo,
        tools: Vec<Tool>,
    ) -> Result<Vec<Tool>, ErrorData> {
        self.list(session, HookPoint::ToolsList, "tools", tools)
    }

    async fn before_tool_call(
        &self,
        session: &SessionInfo,
        target: Option<&Target>,
        request: CallToolRequestParams,
    ) -> Result<BeforeToolCall, ErrorData> {
        if let Some(section) = self.drill_down(request.arguments.as_ref()) {
            let result = match section {
                Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
                Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
            };
            return Ok(BeforeToolCall::Respond(CallToolResponse::Complete(result)));
        }
        let hook = HookPoint::ToolCallBefore;
        if !self.implements(hook) {
            return Ok(BeforeToolCall::Forward(request));
        }
        let message = to_json(hook, &request)?;
        let server = target.map(|t| t.server.as_str());
        match self.run(session, server, hook, &message)? {
            Outcome::PassThrough => Ok(BeforeToolCall::Forward(request)),
            Outcome::Modified(json) => self.parse(hook, &json).map(BeforeToolCall::Forward),
            Outcome::Respond(json) => self
                .parse::<CallToolResult>(hook, &json)
                .map(|result| BeforeToolCall::Respond(CallToolResponse::Complete(result))),
        }
    }

    async fn after_tool_call(
        &self,
        session: &SessionInfo,
        target: Option<&Target>,
        response: CallToolResponse,
    ) -> Result<CallToolResponse, ErrorData> {
        let CallToolResponse::Complete(result) = response else {
            return Ok(response);
        };
        // The hook sees the tool's name on its server: `Hooks::after_tool_call` is not given
        // the client's request.
        let request = ToolNamed {
            name: target.map(|t| t.name.as_str()),
        };
        let server = target.map(|t| t.server.as_str());
        self.result(session, server, HookPoint::ToolCallAfter, &request, result)
            .map(CallToolResponse::Complete)
    }

    async fn resources_list(
        &self,
        session: &SessionInfo,
        resources: Vec<Resource>,
    ) -> Result<Vec<Resource>, ErrorData> {
        self.list(session, HookPoint::ResourcesList, "resources", resources)
    }

    async fn resource_read(
        &self,
        session: &SessionInfo,
        server: &str,
        request: &ReadResourceRequestParams,
        response: ReadResourceResponse,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let ReadResourceResponse::Complete(result) = response else {
            return Ok(response);
        };
        self.result::<ReadResourceResult>(
            session,
            Some(server),
            HookPoint::ResourceRead,
            request,
            result,
        )
        .map(ReadResourceResponse::Complete)
    }

    async fn prompts_list(
        &self,
        session: &SessionInfo,
        prompts: Vec<Prompt>,
    ) -> Result<Vec<Prompt>, ErrorData> {
        self.list(session, HookPoint::PromptsList, "prompts", prompts)
    }

    async fn before_prompt_get(
        &self,
        _session: &SessionInfo,
        _target: &Target,
        request: &GetPromptRequestParams,
    ) -> Result<Option<GetPromptResponse>, ErrorData> {
        match self.drill_down(request.arguments.as_ref()) {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(GetPromptResponse::Complete(GetPromptResult::new(
                vec![PromptMessage::new_text(Role::User, text)],
            )))),
            Some(Err(message)) => Err(ErrorData::invalid_params(message, None)),
        }
    }

    async fn prompt_get(
        &self,
        session: &SessionInfo,
        target: &Target,
        request: &GetPromptRequestParams,
        response: GetPromptResponse,
    ) -> Result<GetPromptResponse, ErrorData> {
        let GetPromptResponse::Complete(result) = response else {
            return Ok(response);
        };
        self.result::<GetPromptResult>(
            session,
            Some(&target.server),
            HookPoint::PromptGet,
            request,
            result,
        )
        .map(GetPromptResponse::Complete)
    }
}

/// The native stages of the current plugin set, as a [`pipeline::StageRegistry`]: a reload
/// of the plugins changes what later pipeline runs get.
#[derive(Debug)]
pub struct NativeStages {
    plugins: Arc<Plugins>,
}

impl NativeStages {
    pub fn new(plugins: Arc<Plugins>) -> NativeStages {
        NativeStages { plugins }
    }
}

impl StageRegistry for NativeStages {
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>> {
        let current = self.plugins.current();
        let (plugin, decl) = current
            .host
            .stages()
            .find(|(_, decl)| decl.name.as_str() == name)?;
        Some(Arc::new(NativeStage {
            name: name.to_owned(),
            plugin: plugin.name.clone(),
            decl: *decl,
        }))
    }

    fn list(&self) -> Vec<(String, StageSource)> {
        let current = self.plugins.current();
        let mut list: Vec<(String, StageSource)> = current
            .host
            .stages()
            .map(|(_, decl)| (decl.name.as_str().to_owned(), StageSource::Plugin))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list.dedup_by(|a, b| a.0 == b.0);
        list
    }
}

/// One native stage: a function of a plugin library (never unloaded, so the pointer stays
/// valid however long a call holds it).
struct NativeStage {
    name: String,
    plugin: String,
    decl: plugin_host::StageDecl,
}

impl Stage for NativeStage {
    fn name(&self) -> &str {
        &self.name
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let context = plugin_host::StageContext {
                content_type: ctx.content_type.as_str().to_owned(),
                source_name: ctx.source_name.clone(),
                project_name: ctx.project_name.clone(),
                session_id: ctx.session_id.clone(),
                original_content: ctx.original_content.to_string(),
                config: ctx.config.clone(),
            };
            let failed = |kind: &str, message: String| StageError::Failed {
                stage: self.name.clone(),
                message: format!("plugin `{}` ({kind}): {message}", self.plugin),
            };
            let json = plugin_host::call_json(self.decl.run, &content, &context)
                .map_err(|error| failed(error.kind(), error.to_string()))?;
            // The stage contract's JSON is `StageOutput`'s own serde form.
            serde_json::from_str(&json).map_err(|error| {
                failed(
                    "bad message",
                    format!("the stage returned invalid JSON: {error}"),
                )
            })
        })
    }
}
