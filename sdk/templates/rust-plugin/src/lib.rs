//! `{{name}}`: an mcplocal plugin. It hides destructive tools (those whose own name, after
//! the `server/` prefix, starts with one of [`BLOCKED_PREFIXES`]) from the tool list, and
//! refuses calls to them with a message the model can read.
//!
//! A project uses it with `proxyModel: {{name}}`. Add `extends: ["default"]` to keep the
//! gate and the content pipeline as well.

use sdk::{HookContext, HookOutcome, LogLevel, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

sdk::export_plugin! {
    name: "{{name}}",
    extends: [],
    features: [sdk::features::LOG],
    hooks: {
        on_tools_list: tools_list,
        on_tool_call_before: tool_call_before,
    },
}

/// Tool names (after the server prefix) starting with these are blocked.
pub const BLOCKED_PREFIXES: &[&str] = &["delete", "drop"];

/// Whether `tool` (`server/tool`) is blocked.
pub fn is_blocked(tool: &str) -> bool {
    let own = tool.rsplit('/').next().unwrap_or(tool);
    BLOCKED_PREFIXES.iter().any(|p| own.starts_with(p))
}

/// The onToolsList message: `{"tools": [Tool]}` (other fields of a tool are kept as they are).
#[derive(Deserialize, Serialize)]
struct ToolsList {
    tools: Vec<Value>,
}

/// Leaves blocked tools out of the list.
pub fn tools_list(_context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    let mut list: ToolsList = sdk::message::parse(message)?;
    let before = list.tools.len();
    list.tools
        .retain(|tool| !tool["name"].as_str().is_some_and(is_blocked));
    if list.tools.len() == before {
        return Ok(HookOutcome::PassThrough);
    }
    sdk::message::modified(&list)
}

/// The onToolCallBefore message: the call's `name` and `arguments`.
#[derive(Deserialize)]
struct ToolCall {
    name: String,
}

/// Refuses a call to a blocked tool (a client may call a tool it was not shown).
pub fn tool_call_before(
    context: &HookContext<'_>,
    message: &str,
) -> Result<HookOutcome, PluginError> {
    let call: ToolCall = sdk::message::parse(message)?;
    if !is_blocked(&call.name) {
        return Ok(HookOutcome::PassThrough);
    }
    context.log(
        LogLevel::Warn,
        &format!("refused {} in project {}", call.name, context.project()),
    );
    Err(PluginError::Refused(
        format!(
            "{} is blocked by plugin {{name}}: tools starting with {} are not available in this project",
            call.name,
            BLOCKED_PREFIXES.join(" or ")
        )
        .into(),
    ))
}
