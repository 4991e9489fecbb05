//! The gate's hook implementations.

use plugin_api::schema::PromptEntry;
use plugin_api::{HookContext, HookOutcome, LogLevel, PluginError};
use serde_json::{Map, Value};

use crate::rank::rank;
use crate::sessions;
use crate::tools::{self, BEGIN_SESSION, PROPOSE_PROMPT};

const INSTRUCTIONS: &str = "This project is gated: call begin_session with a description of your task first. It delivers the project's guidance for that task and makes the project's tools available.";

pub fn session_create(
    context: &HookContext<'_>,
    _message: &str,
) -> Result<HookOutcome, PluginError> {
    sessions::forget(context.session_id);
    Ok(HookOutcome::PassThrough)
}

pub fn session_destroy(
    context: &HookContext<'_>,
    _message: &str,
) -> Result<HookOutcome, PluginError> {
    sessions::forget(context.session_id);
    Ok(HookOutcome::PassThrough)
}

/// Adds the gate's instructions to the `initialize` answer.
pub fn initialize(_context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    let mut message: Map<String, Value> = parse(message)?;
    let Some(Value::Object(result)) = message.get_mut("result") else {
        return Err(PluginError::BadMessage(
            "onInitialize: no `result` object".into(),
        ));
    };
    let instructions = match result.get("instructions").and_then(Value::as_str) {
        Some(existing) if !existing.is_empty() => format!("{INSTRUCTIONS}\n\n{existing}"),
        _ => INSTRUCTIONS.to_owned(),
    };
    result.insert("instructions".into(), Value::String(instructions));
    modified(&message["result"])
}

/// Gated: only `begin_session`. Ungated: the project's tools and `propose_prompt`.
pub fn tools_list(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    let mut list: Map<String, Value> = parse(message)?;
    let tools = if sessions::is_gated(context.session_id) {
        vec![tools::begin_session()]
    } else {
        let Some(Value::Array(tools)) = list.remove("tools") else {
            return Err(PluginError::BadMessage(
                "onToolsList: no `tools` array".into(),
            ));
        };
        let mut tools = tools;
        tools.push(tools::propose_prompt());
        tools
    };
    list.insert("tools".into(), Value::Array(tools));
    modified(&Value::Object(list))
}

pub fn tool_call_before(
    context: &HookContext<'_>,
    message: &str,
) -> Result<HookOutcome, PluginError> {
    // Every call passes here: the name is read borrowed and the arguments kept as raw JSON,
    // parsed only for the gate's own two tools.
    let call: ToolCall<'_> = serde_json::from_str(message).map_err(PluginError::bad_message)?;
    let name = call.name.as_ref();
    let gated = sessions::is_gated(context.session_id);
    // Arguments that are not an object count as none.
    let arguments = || -> Result<Option<Map<String, Value>>, PluginError> {
        match call.arguments.map(|raw| serde_json::from_str(raw.get())) {
            Some(Ok(Value::Object(arguments))) => Ok(Some(arguments)),
            Some(Err(e)) => Err(PluginError::bad_message(e)),
            _ => Ok(None),
        }
    };
    match name {
        BEGIN_SESSION => begin_session(context, arguments()?.as_ref()),
        PROPOSE_PROMPT if !gated => propose_prompt(context, arguments()?.as_ref()),
        _ if gated => Err(PluginError::Refused(
            format!(
                "tool `{name}` is not available yet: call {BEGIN_SESSION} with a description of your task first, then the project's tools appear"
            )
            .into(),
        )),
        _ => Ok(HookOutcome::PassThrough),
    }
}

fn begin_session(
    context: &HookContext<'_>,
    arguments: Option<&Map<String, Value>>,
) -> Result<HookOutcome, PluginError> {
    let task = string_argument(
        arguments,
        BEGIN_SESSION,
        "description",
        tools::MAX_TASK_CHARS,
    )?;
    let prompts = context.prompts()?;
    let text = delivery(&prompts, task);
    if sessions::ungate(context.session_id)
        && let Err(e) = context.notify_tools_list_changed()
    {
        context.log(
            LogLevel::Warn,
            &format!(
                "session {} ungated, but the client was not told: {e}",
                context.session_id
            ),
        );
    }
    Ok(HookOutcome::Respond(
        tools::text_result(text).to_string().into(),
    ))
}

/// The answer of `begin_session`: the relevant prompts' text, then the names of the others.
fn delivery(prompts: &[PromptEntry], task: &str) -> String {
    let ranked = rank(prompts, task, tools::MAX_DELIVERED);
    let mut text = String::from("Session started; the project's tools are now available.\n");
    let mut quoted = Vec::new();
    let mut budget = tools::MAX_DELIVERED_CHARS;
    for r in &ranked {
        let p = &prompts[r.index];
        let size = p.content.chars().count();
        if size <= budget {
            budget -= size;
            quoted.push(r.index);
            text.push_str(&format!(
                "\n## {} (priority {})\n\n{}\n",
                p.name, p.priority, p.content
            ));
        }
    }
    if quoted.is_empty() {
        text.push_str("\nNo project prompt matches this task.\n");
    }
    let others: Vec<&str> = prompts
        .iter()
        .enumerate()
        .filter(|(i, _)| !quoted.contains(i))
        .map(|(_, p)| p.name.as_str())
        .collect();
    if !others.is_empty() {
        text.push_str(&format!(
            "\nOther project prompts (read one with prompts/get): {}\n",
            others.join(", ")
        ));
    }
    text
}

fn propose_prompt(
    context: &HookContext<'_>,
    arguments: Option<&Map<String, Value>>,
) -> Result<HookOutcome, PluginError> {
    let name = string_argument(
        arguments,
        PROPOSE_PROMPT,
        "name",
        tools::MAX_PROMPT_NAME_CHARS,
    )?;
    let content = string_argument(
        arguments,
        PROPOSE_PROMPT,
        "content",
        tools::MAX_PROMPT_CONTENT_CHARS,
    )?;
    context.create_prompt_request(name, content)?;
    Ok(HookOutcome::Respond(
        tools::text_result(format!(
            "Prompt request `{name}` created in project {}; a user approves it with `mcpctl approve promptrequest {name} --project {}`.",
            context.project(),
            context.project()
        ))
        .to_string()
        .into(),
    ))
}

/// A non-empty string argument of at most `max` characters.
fn string_argument<'a>(
    arguments: Option<&'a Map<String, Value>>,
    tool: &str,
    argument: &str,
    max: usize,
) -> Result<&'a str, PluginError> {
    let value = arguments
        .and_then(|a| a.get(argument))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            PluginError::InvalidParams(
                format!("{tool} needs a non-empty string `{argument}`").into(),
            )
        })?;
    if value.chars().count() > max {
        return Err(PluginError::InvalidParams(
            format!("{tool}: `{argument}` is longer than {max} characters").into(),
        ));
    }
    Ok(value)
}

/// A `tools/call` request: its name, and its arguments unparsed.
#[derive(serde::Deserialize)]
struct ToolCall<'a> {
    #[serde(borrow, default)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a serde_json::value::RawValue>,
}

fn parse(message: &str) -> Result<Map<String, Value>, PluginError> {
    serde_json::from_str(message).map_err(PluginError::bad_message)
}

fn modified(value: &Value) -> Result<HookOutcome, PluginError> {
    Ok(HookOutcome::Modified(value.to_string().into()))
}
