//! Running a plugin's hooks and stages in-process, for its own tests.
//!
//! [`TestHost`] is a host that keeps a project's prompts in memory and records what a plugin
//! asks of it (logs, prompt requests, `tools/list_changed`). [`TestHost::call`] runs one of
//! your hook functions with a real [`HookContext`] whose handle calls back into it;
//! [`run_stage`] runs a stage function through the same JSON boundary mcplocal uses.
//! [`load_library`] loads your built cdylib through mcplocal's loader, with the same checks
//! (ABI version, type layout, host features), and dispatches hooks on it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use plugin_host::{Call, HostServices, Outcome, PluginHost, Source};

use crate::schema::PromptEntry;
use crate::stage::{StageContext, StageResult};
use crate::{ContentKind, HookContext, HookOutcome, HookPoint, LogLevel, PluginError};

/// A hook function as you write it (what [`export_plugin!`](crate::export_plugin) wraps).
pub type Hook = fn(&HookContext<'_>, &str) -> Result<HookOutcome, PluginError>;

/// A stage function as you write it.
pub type Stage = fn(&str, &StageContext) -> Result<StageResult, PluginError>;

/// A prompt request a plugin made: name and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRequest {
    pub name: String,
    pub content: String,
}

/// A line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// A recording host for one project; each [`TestHost::session`] is a new client session.
#[derive(Debug)]
pub struct TestHost {
    project: String,
    prompts: Vec<PromptEntry>,
    session: AtomicU64,
    logs: Mutex<Vec<LogLine>>,
    prompt_requests: Mutex<Vec<PromptRequest>>,
    tools_list_changed: AtomicU64,
}

impl TestHost {
    /// A host for project `project` with no prompts.
    pub fn new(project: &str) -> TestHost {
        TestHost {
            project: project.to_owned(),
            prompts: Vec::new(),
            session: AtomicU64::new(1),
            logs: Mutex::default(),
            prompt_requests: Mutex::default(),
            tools_list_changed: AtomicU64::new(0),
        }
    }

    /// Adds a project prompt (priority 1 to 10).
    pub fn with_prompt(mut self, name: &str, content: &str, priority: u8) -> TestHost {
        self.prompts.push(PromptEntry {
            name: name.to_owned(),
            content: content.to_owned(),
            priority,
        });
        self
    }

    /// Starts a new session: later calls run for it.
    pub fn new_session(&self) -> u64 {
        self.session.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The session calls run for.
    pub fn session(&self) -> u64 {
        self.session.load(Ordering::Relaxed)
    }

    /// Runs `hook` with `message` for the current session (no server).
    pub fn call(&self, hook: Hook, message: &str) -> Result<HookOutcome, PluginError> {
        self.call_for(None, hook, message)
    }

    /// Runs `hook` with `message` for the current session, routed to `server`.
    pub fn call_for(
        &self,
        server: Option<&str>,
        hook: Hook,
        message: &str,
    ) -> Result<HookOutcome, PluginError> {
        let call = self.call_info(server);
        plugin_host::services::with_context(self, &call, "plugin under test", |context| {
            hook(context, message)
        })
    }

    fn call_info<'a>(&'a self, server: Option<&'a str>) -> Call<'a> {
        Call {
            project: &self.project,
            session_id: self.session(),
            server,
        }
    }

    /// What the plugin logged, oldest first.
    pub fn logs(&self) -> Vec<LogLine> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The prompt requests the plugin made, oldest first.
    pub fn prompt_requests(&self) -> Vec<PromptRequest> {
        self.prompt_requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// How many times the plugin sent `tools/list_changed`.
    pub fn tools_list_changes(&self) -> u64 {
        self.tools_list_changed.load(Ordering::Relaxed)
    }
}

impl HostServices for TestHost {
    fn prompts(&self, _call: &Call<'_>) -> Result<Vec<PromptEntry>, String> {
        Ok(self.prompts.clone())
    }

    fn create_prompt_request(
        &self,
        _call: &Call<'_>,
        name: &str,
        content: &str,
    ) -> Result<(), String> {
        if let Ok(mut requests) = self.prompt_requests.lock() {
            requests.push(PromptRequest {
                name: name.to_owned(),
                content: content.to_owned(),
            });
        }
        Ok(())
    }

    fn notify_tools_list_changed(&self, _call: &Call<'_>) -> Result<(), String> {
        self.tools_list_changed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn log(&self, _call: &Call<'_>, _plugin: &str, level: LogLevel, message: &str) {
        if let Ok(mut logs) = self.logs.lock() {
            logs.push(LogLine {
                level,
                message: message.to_owned(),
            });
        }
    }

    fn run_pipeline(
        &self,
        _call: &Call<'_>,
        _kind: ContentKind,
        _source: &str,
        _content: &str,
    ) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// A context for a stage run over a tool result of `source` in project `test`.
pub fn stage_context(source: &str, config: serde_json::Value) -> StageContext {
    StageContext {
        content_type: "toolResult".to_owned(),
        source_name: source.to_owned(),
        project_name: "test".to_owned(),
        session_id: "1".to_owned(),
        original_content: String::new(),
        config: match config {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
    }
}

/// Runs `stage` over `content` the way mcplocal does: the context and result cross as JSON
/// and a panic becomes [`PluginError::Panicked`].
pub fn run_stage(
    stage: Stage,
    content: &str,
    context: &StageContext,
) -> Result<StageResult, PluginError> {
    let context = serde_json::to_string(context).map_err(PluginError::bad_message)?;
    crate::stage::run_typed("stage under test", content, &context, stage)
        .into_result()
        .and_then(|json| crate::stage::parse_result(json.as_str()))
}

/// A built plugin library, loaded through mcplocal's own loader.
#[derive(Debug)]
pub struct LoadedLibrary {
    host: PluginHost,
    name: String,
}

/// Loads the library at `file` as mcplocal loads a third-party plugin, with the same checks;
/// an error is mcplocal's own refusal message.
pub fn load_library(file: &Path) -> Result<LoadedLibrary, String> {
    let (host, refused) = PluginHost::load_files(&[(file.to_path_buf(), Source::Local)]);
    if let Some(error) = refused.first() {
        return Err(error.to_string());
    }
    let name = host
        .plugins()
        .next()
        .map(|p| p.name.clone())
        .ok_or_else(|| format!("{} loaded no plugin", file.display()))?;
    Ok(LoadedLibrary { host, name })
}

impl LoadedLibrary {
    /// The plugin's declared name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of its native stages.
    pub fn stages(&self) -> Vec<String> {
        self.host
            .stages()
            .map(|(_, s)| s.name.as_str().to_owned())
            .collect()
    }

    /// Dispatches `hook` with `message` through the library, for `host`'s current session.
    /// `Ok(None)` is a pass-through; `Ok(Some(json))` a modified message or an answer.
    pub fn dispatch(
        &self,
        host: &TestHost,
        hook: HookPoint,
        message: &str,
    ) -> Result<Option<String>, PluginError> {
        let call = host.call_info(None);
        match self.host.dispatch(&self.name, hook, &call, host, message) {
            Ok(Outcome::PassThrough) => Ok(None),
            Ok(Outcome::Modified(json) | Outcome::Respond(json)) => Ok(Some(json)),
            Err(plugin_host::DispatchError::Plugin { error, .. }) => Err(error),
            Err(other) => Err(PluginError::Host(other.to_string().into())),
        }
    }

    /// Runs its native stage `name` over `content`.
    pub fn run_stage(
        &self,
        name: &str,
        content: &str,
        context: &StageContext,
    ) -> Result<StageResult, PluginError> {
        let (_, decl) = self
            .host
            .stages()
            .find(|(_, s)| s.name.as_str() == name)
            .ok_or_else(|| PluginError::Host(format!("no stage {name:?}").into()))?;
        plugin_host::call_stage(decl.run, content, context)
    }
}

/// The library cargo built for the crate being tested, found from the test binary's own
/// location: `target/<profile>/deps/lib<crate>.so` (where `cargo test` leaves it), else
/// `target/<profile>/lib<crate>.so` (`cargo build`). `crate_name` is the crate's name with `_`.
pub fn built_library(crate_name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/deps/<test>-HASH
    let deps = exe.parent()?;
    let name = format!(
        "{}{crate_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    [deps.join(&name), deps.parent()?.join(&name)]
        .into_iter()
        .find(|file| file.exists())
}
