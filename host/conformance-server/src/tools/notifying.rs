//! Tools that send notifications during the call: logs and progress.
#![allow(deprecated)] // logging is deprecated by SEP-2577 but part of every revision

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock, LoggingLevel, ProgressNotificationParam, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::{no_arguments, tool};
use crate::logging::{SessionLogLevel, log};

/// Pause between the notifications of one call.
const PAUSE: Duration = Duration::from_millis(50);

pub fn tools() -> Vec<Tool> {
    vec![
        tool(
            "test_tool_with_logging",
            "Sends three info log notifications during the call, 50 ms apart.",
            no_arguments(),
        ),
        tool(
            "test_logging_tool",
            "Sends three info log notifications during the call (none on 2026-07-28 unless the request sets a logLevel).",
            no_arguments(),
        ),
        tool(
            "test_tool_with_progress",
            "Sends progress 0, 50 and 100 of 100 with the request's progressToken, 50 ms apart.",
            no_arguments(),
        ),
        tool(
            "test_reconnection",
            "Answers after a short pause. It does not close its SSE stream mid-call: rmcp gives a handler no way to close its own POST stream.",
            no_arguments(),
        ),
    ]
}

pub async fn with_logging(
    context: &RequestContext<RoleServer>,
    session: &SessionLogLevel,
) -> Result<CallToolResult, ErrorData> {
    log(
        context,
        session,
        LoggingLevel::Info,
        "Tool execution started",
    )
    .await?;
    tokio::time::sleep(PAUSE).await;
    log(context, session, LoggingLevel::Info, "Tool processing data").await?;
    tokio::time::sleep(PAUSE).await;
    log(
        context,
        session,
        LoggingLevel::Info,
        "Tool execution completed",
    )
    .await?;
    Ok(CallToolResult::success(vec![ContentBlock::text(
        "Tool with logging executed successfully",
    )]))
}

pub async fn with_progress(
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, ErrorData> {
    let token = context.meta.get_progress_token();
    for (step, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if step > 0 {
            tokio::time::sleep(PAUSE).await;
        }
        if let Some(token) = &token {
            let notification =
                ProgressNotificationParam::new(token.clone(), progress).with_total(100.0);
            context
                .peer
                .notify_progress(notification)
                .await
                .map_err(|error| {
                    ErrorData::internal_error(format!("sending progress: {error}"), None)
                })?;
        }
    }
    Ok(CallToolResult::success(vec![ContentBlock::text(
        "Tool with progress executed successfully",
    )]))
}

pub async fn reconnection() -> CallToolResult {
    tokio::time::sleep(PAUSE).await;
    CallToolResult::success(vec![ContentBlock::text("Reconnection test completed")])
}
