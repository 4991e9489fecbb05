//! Tools that talk back to the client: `log` (a notification) and `sample` (a request).
//! Both features are deprecated by SEP-2577 but are part of every revision this server
//! speaks, and relaying them is what the tests check.
#![allow(deprecated)]

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CreateMessageRequestParams, LoggingLevel, LoggingMessageNotificationParam, SamplingMessage,
    SamplingMessageContentBlock,
};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{ErrorData, Peer, RoleServer, tool, tool_router};
use serde::Deserialize;

use crate::server::TestServer;

/// Logger name in the logging notifications.
const LOGGER: &str = "mcp-test-server";
/// `maxTokens` of the sampling request.
const SAMPLE_MAX_TOKENS: u32 = 256;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogArgs {
    /// Severity: debug, info, notice, warning, error, critical, alert or emergency.
    pub level: LoggingLevel,
    /// The log message (the notification's `data`).
    pub message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SampleArgs {
    /// The user message sent to the client's model.
    pub prompt: String,
    /// Milliseconds to wait before asking (so other calls can start meanwhile).
    #[serde(default)]
    pub delay_ms: u64,
}

#[tool_router(router = relay_tools, vis = "pub(super)")]
impl TestServer {
    #[tool(
        description = "Sends a notifications/message logging notification, then returns `logged`."
    )]
    async fn log(
        &self,
        Parameters(args): Parameters<LogArgs>,
        client: Peer<RoleServer>,
    ) -> Result<String, ErrorData> {
        let notification = LoggingMessageNotificationParam::new(
            args.level,
            serde_json::Value::String(args.message),
        )
        .with_logger(LOGGER);
        client
            .notify_logging_message(notification)
            .await
            .map_err(|error| ErrorData::internal_error(format!("sending log: {error}"), None))?;
        Ok("logged".to_owned())
    }

    #[tool(
        description = "Sends a sampling/createMessage request with `prompt` to the client and returns the text of its answer."
    )]
    async fn sample(
        &self,
        Parameters(args): Parameters<SampleArgs>,
        client: Peer<RoleServer>,
    ) -> Result<String, ErrorData> {
        tokio::time::sleep(std::time::Duration::from_millis(args.delay_ms.min(60_000))).await;
        let request = CreateMessageRequestParams::new(
            vec![SamplingMessage::user_text(args.prompt)],
            SAMPLE_MAX_TOKENS,
        );
        let answer = client.create_message(request).await.map_err(|error| {
            ErrorData::internal_error(format!("sampling request failed: {error}"), None)
        })?;
        answer
            .message
            .content
            .iter()
            .find_map(|block| match block {
                SamplingMessageContentBlock::Text(text) => Some(text.text.clone()),
                _ => None,
            })
            .ok_or_else(|| ErrorData::internal_error("the client's answer has no text", None))
    }
}
