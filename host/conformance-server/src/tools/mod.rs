//! The tools the suite calls, and a few of our own that make the rest testable.
//!
//! | tool | what it does |
//! |---|---|
//! | `test_simple_text`, `test_image_content`, `test_audio_content`, `test_embedded_resource`, `test_multiple_content_types` | return that content ([`content`]) |
//! | `test_error_handling` | a result with `isError: true` |
//! | `json_schema_2020_12_tool` | advertises a JSON Schema 2020-12 input schema (`$defs`, `$anchor`, `allOf`, `if`/`then`/`else`) |
//! | `test_tool_with_logging`, `test_logging_tool` | three `notifications/message` during the call ([`notifying`]) |
//! | `test_tool_with_progress` | progress 0, 50, 100 of 100 with the request's `progressToken` |
//! | `test_reconnection` | answers after a pause (see [`notifying`]) |
//! | `test_sampling`, `test_elicitation`, `test_elicitation_sep1034_defaults`, `test_elicitation_sep1330_enums`, `test_streaming_elicitation`, `test_missing_capability`, `test_input_required_result_*` | ask the client first ([`asking`], [`crate::input`]) |
//! | `test_trigger_tool_change`, `test_trigger_prompt_change` | add or remove `test_dynamic_tool` / `test_dynamic_prompt` and notify ([`crate::changes`]) |
//! | `greet`, `slow_compute`, `failing_job`, `protocol_error_job`, `confirm_delete`, `multi_input`, `test_tool_with_task` | the Tasks extension's fixtures ([`tasks`]) |

mod asking;
mod content;
mod notifying;
mod tasks;

use std::sync::Arc;

use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, JsonObject, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};

use crate::changes::Change;
use crate::input::{self, Resume};
use crate::server::ConformanceServer;

pub const DYNAMIC_TOOL: &str = "test_dynamic_tool";

/// Every tool, in a fixed order (the `2026-07-28` suite checks that the order is stable).
pub fn list(with_dynamic: bool) -> Vec<Tool> {
    let mut tools = content::tools();
    tools.extend(notifying::tools());
    tools.extend(asking::tools());
    tools.extend(tasks::tools());
    tools.push(tool(
        "test_trigger_tool_change",
        "Adds test_dynamic_tool if it is missing, removes it otherwise, and notifies listeners (tools/list_changed).",
        no_arguments(),
    ));
    tools.push(tool(
        "test_trigger_prompt_change",
        "Adds test_dynamic_prompt if it is missing, removes it otherwise, and notifies listeners (prompts/list_changed).",
        no_arguments(),
    ));
    if with_dynamic {
        tools.push(tool(
            DYNAMIC_TOOL,
            "A tool that test_trigger_tool_change adds and removes.",
            no_arguments(),
        ));
    }
    tools
}

pub async fn call(
    server: &ConformanceServer,
    params: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let name = params.name.as_ref();
    let arguments = params.arguments.as_ref();
    if let Some(result) = content::call(name, arguments)? {
        return Ok(result.into());
    }
    let resume = Resume {
        input_responses: params.input_responses,
        request_state: params.request_state,
    };
    if let Some(tool) = tasks::parse(name, arguments)? {
        return tasks::call(server, tool, resume, &context).await;
    }
    if let Some(fixture) = asking::fixture(name, arguments)? {
        let outcome = input::drive(&context, server.request_states(), resume, |answers| {
            fixture.step(answers)
        })
        .await?;
        return Ok(outcome.into_response());
    }
    let result = match name {
        "test_tool_with_logging" | "test_logging_tool" => {
            notifying::with_logging(&context, server.log_level()).await
        }
        "test_tool_with_progress" => notifying::with_progress(&context).await,
        "test_reconnection" => Ok(notifying::reconnection().await),
        "test_trigger_tool_change" => trigger(server, Change::Tools, &context).await,
        "test_trigger_prompt_change" => trigger(server, Change::Prompts, &context).await,
        DYNAMIC_TOOL if server.changes().has_extra_tool() => {
            Ok(text("test_dynamic_tool is listed and answers."))
        }
        _ => {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name}"),
                Some(json!({"tool": name})),
            ));
        }
    };
    result.map(Into::into)
}

async fn trigger(
    server: &ConformanceServer,
    change: Change,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ErrorData> {
    let listed = server.changes().toggle(change, context).await?;
    let subject = match change {
        Change::Tools => DYNAMIC_TOOL,
        Change::Prompts => crate::prompts::DYNAMIC,
    };
    let state = if listed { "added" } else { "removed" };
    Ok(text(&format!("{subject} {state}")))
}

fn tool(name: &'static str, description: &'static str, schema: Value) -> Tool {
    let schema = match schema {
        Value::Object(schema) => schema,
        _ => JsonObject::new(),
    };
    Tool::new(name, description, Arc::new(schema))
}

fn no_arguments() -> Value {
    json!({"type": "object", "properties": {}})
}

fn text(text: &str) -> CallToolResult {
    CallToolResult::success(vec![rmcp::model::ContentBlock::text(text)])
}
