// The `test-swap` plugin, included by both test-plugin-swap crates with their own `MARK`.
//
// onSessionCreate records the session in this library's own state; onToolsList adds a tool
// `swap_version` whose description is `MARK session-known=BOOL`: which copy answered, and
// whether that copy saw the session's onSessionCreate (after a reload, the host replays it).
// Native stage `swap-mark` returns `MARK:content` (and panics on the content `panic`).

use std::collections::HashSet;
use std::sync::Mutex;

use plugin_api::stage::{StageContext, StageResult};
use plugin_api::{HookContext, HookOutcome, PluginError};

plugin_api::export_plugin! {
    name: "test-swap",
    extends: [],
    features: [plugin_api::features::STAGES],
    hooks: {
        on_session_create: session_create,
        on_tools_list: tools_list,
    },
    stages: {
        "swap-mark": mark,
    },
}

fn mark(content: &str, context: &StageContext) -> Result<StageResult, PluginError> {
    if content == "panic" {
        panic!("told to by {}", context.source_name);
    }
    Ok(StageResult::content(format!("{MARK}:{content}")))
}

static SESSIONS: Mutex<Option<HashSet<u64>>> = Mutex::new(None);

fn session_create(context: &HookContext<'_>, _message: &str) -> Result<HookOutcome, PluginError> {
    if let Ok(mut sessions) = SESSIONS.lock() {
        sessions.get_or_insert_with(HashSet::new).insert(context.session_id);
    }
    Ok(HookOutcome::PassThrough)
}

fn tools_list(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    let mut list: serde_json::Value = serde_json::from_str(message)
        .map_err(|e| PluginError::BadMessage(format!("onToolsList message: {e}").into()))?;
    let known = SESSIONS
        .lock()
        .map(|s| s.as_ref().is_some_and(|s| s.contains(&context.session_id)))
        .unwrap_or(false);
    let tool = serde_json::json!({
        "name": "swap_version",
        "description": format!("{MARK} session-known={known}"),
        "inputSchema": {"type": "object"},
    });
    match list.get_mut("tools").and_then(serde_json::Value::as_array_mut) {
        Some(tools) => tools.push(tool),
        None => return Err(PluginError::BadMessage("no tools array".into())),
    }
    Ok(HookOutcome::Modified(list.to_string().into()))
}
