//! The `content-pipeline` plugin: tool results, prompts and resource contents go through the
//! project's content pipeline, which the host runs ([`plugin_api::HostVTable::run_pipeline`];
//! its stages come with the content-pipeline issue, until then it passes content through).

use plugin_api::{ContentKind, HookContext, HookOutcome, PluginError};
use serde_json::Value;

plugin_api::export_plugin! {
    name: "content-pipeline",
    extends: [],
    features: [plugin_api::features::CONTENT_PIPELINE],
    hooks: {
        on_tool_call_after: tool_call_after,
        on_prompt_get: prompt_get,
        on_resource_read: resource_read,
    },
}

fn tool_call_after(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    run(context, message, ContentKind::ToolResult, "name")
}

fn prompt_get(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    run(context, message, ContentKind::Prompt, "name")
}

fn resource_read(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    run(context, message, ContentKind::Resource, "uri")
}

/// `message` is `{"request": {..., source_field: SOURCE}, "result": RESULT}`: runs the pipeline
/// over RESULT and returns what it made of it.
fn run(
    context: &HookContext<'_>,
    message: &str,
    kind: ContentKind,
    source_field: &str,
) -> Result<HookOutcome, PluginError> {
    let message: Value = serde_json::from_str(message).map_err(PluginError::bad_message)?;
    let source = message
        .pointer(&format!("/request/{source_field}"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let result = message
        .get("result")
        .ok_or_else(|| PluginError::BadMessage("no `result` in the message".into()))?;
    match context.run_pipeline(kind, source, &result.to_string())? {
        Some(transformed) => Ok(HookOutcome::Modified(transformed.into())),
        None => Ok(HookOutcome::PassThrough),
    }
}
