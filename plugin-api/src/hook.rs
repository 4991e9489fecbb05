//! The ten hook points, in the order mcplocal calls them over a session's life, and the JSON
//! each receives.
//!
//! | hook | message (JSON) | `Modified` carries | `Respond` carries |
//! |---|---|---|---|
//! | onSessionCreate | `{}` | — | — |
//! | onSessionDestroy | `{}` | — | — |
//! | onInitialize | `{"request": InitializeRequestParams, "result": InitializeResult}` | InitializeResult | — |
//! | onToolsList | `{"tools": [Tool]}` | `{"tools": [Tool]}` | — |
//! | onToolCallBefore | CallToolRequestParams (`{"name", "arguments"}`) | CallToolRequestParams | CallToolResult |
//! | onToolCallAfter | `{"request": CallToolRequestParams, "result": CallToolResult}` | CallToolResult | — |
//! | onResourcesList | `{"resources": [Resource]}` | `{"resources": [Resource]}` | — |
//! | onResourceRead | `{"request": ReadResourceRequestParams, "result": ReadResourceResult}` | ReadResourceResult | — |
//! | onPromptsList | `{"prompts": [Prompt]}` | `{"prompts": [Prompt]}` | — |
//! | onPromptGet | `{"request": GetPromptRequestParams, "result": GetPromptResult}` | GetPromptResult | — |
//!
//! The MCP types are those of the MCP specification, in its JSON form (camelCase). Lists are
//! the merged, namespaced lists; call and get requests carry the name the client used, and
//! [`crate::HookContext::server`] names the server it routes to (none for a tool no server
//! has, such as a plugin's own tools). `Respond` is only meaningful for onToolCallBefore
//! (answer instead of forwarding); a lifecycle hook's outcome other than an error is ignored.

use abi_stable::StableAbi;
use abi_stable::std_types::{RResult, RStr};

use crate::context::HookContext;
use crate::outcome::{HookOutcome, PluginError};

/// The signature of every hook across the boundary.
pub type HookFn = extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>;

/// One of the ten hook points.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookPoint {
    SessionCreate,
    SessionDestroy,
    Initialize,
    ToolsList,
    ToolCallBefore,
    ToolCallAfter,
    ResourcesList,
    ResourceRead,
    PromptsList,
    PromptGet,
}

impl HookPoint {
    /// Every hook point, in declaration order.
    pub const ALL: [HookPoint; 10] = [
        HookPoint::SessionCreate,
        HookPoint::SessionDestroy,
        HookPoint::Initialize,
        HookPoint::ToolsList,
        HookPoint::ToolCallBefore,
        HookPoint::ToolCallAfter,
        HookPoint::ResourcesList,
        HookPoint::ResourceRead,
        HookPoint::PromptsList,
        HookPoint::PromptGet,
    ];

    /// The hook's name as users see it (`onToolsList`).
    pub const fn name(self) -> &'static str {
        match self {
            HookPoint::SessionCreate => "onSessionCreate",
            HookPoint::SessionDestroy => "onSessionDestroy",
            HookPoint::Initialize => "onInitialize",
            HookPoint::ToolsList => "onToolsList",
            HookPoint::ToolCallBefore => "onToolCallBefore",
            HookPoint::ToolCallAfter => "onToolCallAfter",
            HookPoint::ResourcesList => "onResourcesList",
            HookPoint::ResourceRead => "onResourceRead",
            HookPoint::PromptsList => "onPromptsList",
            HookPoint::PromptGet => "onPromptGet",
        }
    }

    /// The hook point of a name as users write it (`onToolsList`).
    pub fn from_name(name: &str) -> Option<HookPoint> {
        HookPoint::ALL.into_iter().find(|h| h.name() == name)
    }

    /// Lifecycle hooks inherited from several parents run one after another; any other hook
    /// inherited from two parents is a conflict the child must resolve.
    pub const fn is_lifecycle(self) -> bool {
        matches!(self, HookPoint::SessionCreate | HookPoint::SessionDestroy)
    }

    /// Position in [`HookPoint::ALL`] (and in [`HookSet`]).
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for HookPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The hooks a plugin implements, one optional function per hook point; [`crate::export_plugin!`]
/// fills it and [`crate::PluginModule`] carries it across the boundary.
#[derive(Debug, Clone, Copy, Default)]
pub struct HookSet {
    pub on_session_create: Option<HookFn>,
    pub on_session_destroy: Option<HookFn>,
    pub on_initialize: Option<HookFn>,
    pub on_tools_list: Option<HookFn>,
    pub on_tool_call_before: Option<HookFn>,
    pub on_tool_call_after: Option<HookFn>,
    pub on_resources_list: Option<HookFn>,
    pub on_resource_read: Option<HookFn>,
    pub on_prompts_list: Option<HookFn>,
    pub on_prompt_get: Option<HookFn>,
}

impl HookSet {
    /// The function for `point`, if the plugin implements it.
    pub const fn get(&self, point: HookPoint) -> Option<HookFn> {
        match point {
            HookPoint::SessionCreate => self.on_session_create,
            HookPoint::SessionDestroy => self.on_session_destroy,
            HookPoint::Initialize => self.on_initialize,
            HookPoint::ToolsList => self.on_tools_list,
            HookPoint::ToolCallBefore => self.on_tool_call_before,
            HookPoint::ToolCallAfter => self.on_tool_call_after,
            HookPoint::ResourcesList => self.on_resources_list,
            HookPoint::ResourceRead => self.on_resource_read,
            HookPoint::PromptsList => self.on_prompts_list,
            HookPoint::PromptGet => self.on_prompt_get,
        }
    }
}
