//! What a hook is called with: the session it runs for and a handle back into the host.

use abi_stable::StableAbi;
use abi_stable::marker_type::ErasedObject;
use abi_stable::sabi_types::RRef;
use abi_stable::std_types::{ROption, RResult, RStr, RString};

use crate::outcome::PluginError;
use crate::schema::PromptEntry;

/// Severity of a line a plugin logs through the host.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// What a piece of content passed to [`HostVTable::run_pipeline`] is.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// A `CallToolResult`; the source is the tool's name.
    ToolResult,
    /// A `GetPromptResult`; the source is the prompt's name.
    Prompt,
    /// A `ReadResourceResult`; the source is the resource's URI.
    Resource,
}

/// The host's side of the boundary, for the session a hook runs for: a table of functions
/// the host implements, each called with the host's (type-erased) data. Every function is
/// synchronous; the host answers from its own state or blocks until it has the answer.
///
/// A prefix type: new functions are appended (after the last one here) in later minor
/// versions, each with a feature name in [`crate::features`] that plugins using it declare.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostVTableRef)))]
#[sabi(missing_field(option))]
pub struct HostVTable {
    /// The project's prompts, as a JSON array of [`PromptEntry`].
    pub prompts: extern "C" fn(RRef<'_, ErasedObject>) -> RResult<RString, PluginError>,
    /// Proposes a prompt: creates a prompt request `name` with `content` in the project, for a
    /// user to approve (`mcpctl approve promptrequest NAME`).
    pub create_prompt_request:
        extern "C" fn(RRef<'_, ErasedObject>, RStr<'_>, RStr<'_>) -> RResult<(), PluginError>,
    /// Tells this session's client that its tool list changed
    /// (`notifications/tools/list_changed`).
    pub notify_tools_list_changed:
        extern "C" fn(RRef<'_, ErasedObject>) -> RResult<(), PluginError>,
    /// Logs a line in the host's log, attributed to the plugin.
    pub log: extern "C" fn(RRef<'_, ErasedObject>, LogLevel, RStr<'_>),
    /// Runs the project's content pipeline over `content` (JSON of `kind`, from `source`: a
    /// tool or prompt name, a resource URI). Returns the transformed JSON, or none when the
    /// pipeline left it unchanged.
    #[sabi(last_prefix_field)]
    pub run_pipeline: extern "C" fn(
        RRef<'_, ErasedObject>,
        ContentKind,
        RStr<'_>,
        RStr<'_>,
    ) -> RResult<ROption<RString>, PluginError>,
}

/// The host handle as it crosses the boundary: the host's data, borrowed for one call, and
/// the functions that use it.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct HostHandle<'a> {
    pub data: RRef<'a, ErasedObject>,
    pub vtable: HostVTableRef,
}

/// Who and what a hook runs for.
#[repr(C)]
#[derive(StableAbi)]
pub struct HookContext<'a> {
    /// The project's name.
    pub project: RStr<'a>,
    /// The client session: process-unique, the key for per-session state a plugin keeps.
    pub session_id: u64,
    /// The server a call or get is routed to, when there is one.
    pub server: ROption<RStr<'a>>,
    /// Calls back into the host for this session.
    pub host: HostHandle<'a>,
}

impl<'a> HookContext<'a> {
    /// A context for `session_id` of `project`, with `host` as the handle.
    pub fn new(
        project: &'a str,
        session_id: u64,
        server: Option<&'a str>,
        host: HostHandle<'a>,
    ) -> HookContext<'a> {
        HookContext {
            project: RStr::from_str(project),
            session_id,
            server: server.map(RStr::from_str).into(),
            host,
        }
    }

    pub fn project(&self) -> &str {
        self.project.as_str()
    }

    pub fn server(&self) -> Option<&str> {
        self.server.as_ref().map(|s| s.as_str()).into_option()
    }

    /// The project's prompts, parsed.
    pub fn prompts(&self) -> Result<Vec<PromptEntry>, PluginError> {
        let json = (self.host.vtable.prompts())(self.host.data).into_result()?;
        serde_json::from_str(json.as_str()).map_err(|e| {
            PluginError::Host(format!("the host's prompt list is not valid: {e}").into())
        })
    }

    pub fn create_prompt_request(&self, name: &str, content: &str) -> Result<(), PluginError> {
        (self.host.vtable.create_prompt_request())(
            self.host.data,
            RStr::from_str(name),
            RStr::from_str(content),
        )
        .into_result()
    }

    pub fn notify_tools_list_changed(&self) -> Result<(), PluginError> {
        (self.host.vtable.notify_tools_list_changed())(self.host.data).into_result()
    }

    pub fn log(&self, level: LogLevel, message: &str) {
        (self.host.vtable.log())(self.host.data, level, RStr::from_str(message));
    }

    /// Runs the project's pipeline; `None` means the content is unchanged.
    pub fn run_pipeline(
        &self,
        kind: ContentKind,
        source: &str,
        content: &str,
    ) -> Result<Option<String>, PluginError> {
        let out = (self.host.vtable.run_pipeline())(
            self.host.data,
            kind,
            RStr::from_str(source),
            RStr::from_str(content),
        )
        .into_result()?;
        Ok(out.into_option().map(RString::into_string))
    }
}
