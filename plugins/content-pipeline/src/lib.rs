//! The `content-pipeline` plugin: tool results, prompts and resource contents go through the
//! project's content pipeline, which the host runs ([`plugin_api::HostVTable::run_pipeline`];
//! its stages come with the content-pipeline issue, until then it passes content through).

use plugin_api::{ContentKind, HookContext, HookOutcome, PluginError};
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

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
    run(context, message, ContentKind::ToolResult, SourceField::Name)
}

fn prompt_get(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    run(context, message, ContentKind::Prompt, SourceField::Name)
}

fn resource_read(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    run(context, message, ContentKind::Resource, SourceField::Uri)
}

/// `message` is `{"request": {..., source_field: SOURCE}, "result": RESULT}`: runs the pipeline
/// over RESULT and returns what it made of it. RESULT is handed on as the message's own text
/// (never parsed here, nor written again).
fn run(
    context: &HookContext<'_>,
    message: &str,
    kind: ContentKind,
    source_field: SourceField,
) -> Result<HookOutcome, PluginError> {
    let message: Message<'_> = serde_json::from_str(message).map_err(PluginError::bad_message)?;
    let source = match source_field {
        SourceField::Name => message.request.name,
        SourceField::Uri => message.request.uri,
    };
    let source = source.as_deref().unwrap_or_default();
    let result = message
        .result
        .ok_or_else(|| PluginError::BadMessage("no `result` in the message".into()))?;
    match context.run_pipeline(kind, source, result.get())? {
        Some(transformed) => Ok(HookOutcome::Modified(transformed.into())),
        None => Ok(HookOutcome::PassThrough),
    }
}

/// Which request field names the content's source.
#[derive(Clone, Copy)]
enum SourceField {
    Name,
    Uri,
}

/// A hook's message, borrowed: the request's source fields, the result as raw JSON.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    request: Request<'a>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}

/// The request's fields a source comes from (others are skipped unread).
#[derive(Deserialize, Default)]
struct Request<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_read_borrowed_with_the_result_as_its_own_text() {
        let text = r#"{"request": {"name": "say \"hi\"", "arguments": {"n": 1}, "_meta": null}, "result": {"content": [ {"type": "text", "text": "a\nb"} ], "isError": false}}"#;
        let message: Message<'_> = serde_json::from_str(text).expect("parses");
        assert_eq!(message.request.name.as_deref(), Some(r#"say "hi""#));
        assert_eq!(message.request.uri, None);
        assert_eq!(
            message.result.map(RawValue::get),
            Some(r#"{"content": [ {"type": "text", "text": "a\nb"} ], "isError": false}"#),
            "the result's text exactly as sent"
        );
        let resource: Message<'_> =
            serde_json::from_str(r#"{"request": {"uri": "test://r"}, "result": {}}"#)
                .expect("parses");
        assert_eq!(resource.request.uri.as_deref(), Some("test://r"));
        let bare: Message<'_> =
            serde_json::from_str(r#"{"request": {"name": null}}"#).expect("parses");
        assert!(bare.result.is_none() && bare.request.name.is_none());
    }
}
