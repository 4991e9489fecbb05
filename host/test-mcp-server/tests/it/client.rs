//! An rmcp client that records the notifications it gets and answers sampling requests.
#![allow(deprecated)] // sampling and logging are deprecated by SEP-2577, and tested here

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, CreateMessageRequestParams,
    CreateMessageResult, Implementation, LoggingMessageNotificationParam,
    ProgressNotificationParam, SamplingMessage, SamplingMessageContentBlock,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceError, ServiceExt};

use crate::process::PATIENCE;

pub type Client = RunningService<RoleClient, RecordingClient>;

#[derive(Clone, Default)]
pub struct RecordingClient {
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    pub logs: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
}

/// What the client's "model" answers to a sampling request for `prompt`.
pub fn sampling_answer(prompt: &str) -> String {
    format!("client answer to: {prompt}")
}

impl ClientHandler for RecordingClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_sampling().build(),
            Implementation::new("test-mcp-server-it", "0"),
        )
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let prompt = params
            .messages
            .iter()
            .flat_map(|message| message.content.iter())
            .find_map(|block| match block {
                SamplingMessageContentBlock::Text(text) => Some(text.text.clone()),
                _ => None,
            })
            .unwrap_or_default();
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(sampling_answer(&prompt)),
            "test-model".to_owned(),
        ))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params);
    }
}

/// Connects over any rmcp transport (initialize included), failing after [`PATIENCE`].
pub async fn connect<T, E, A>(transport: T) -> Client
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::time::timeout(PATIENCE, RecordingClient::default().serve(transport))
        .await
        .expect("initialize timed out")
        .unwrap()
}

/// Calls a tool and returns its text content.
pub async fn call_text(client: &Client, tool: &str, arguments: serde_json::Value) -> String {
    let result = try_call(client, tool, arguments).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{tool} failed: {result:?}");
    result
        .content
        .iter()
        .filter_map(|block| block.as_text())
        .map(|text| text.text.as_str())
        .collect()
}

pub async fn try_call(
    client: &Client,
    tool: &str,
    arguments: serde_json::Value,
) -> Result<rmcp::model::CallToolResult, ServiceError> {
    let mut request = CallToolRequestParams::new(tool.to_owned());
    if let serde_json::Value::Object(arguments) = arguments {
        request = request.with_arguments(arguments);
    }
    tokio::time::timeout(PATIENCE, client.call_tool(request))
        .await
        .unwrap_or_else(|_| panic!("{tool} did not answer"))
}
