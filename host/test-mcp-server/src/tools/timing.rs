//! Tools that take time: `sleep` and `progress`.

use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ProgressNotificationParam, RequestMetaObject};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{ErrorData, Peer, RoleServer, tool, tool_router};
use serde::Deserialize;

use crate::server::TestServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SleepArgs {
    /// How long to sleep, in milliseconds.
    pub ms: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgressArgs {
    /// Number of progress notifications.
    pub steps: u32,
    /// Pause after each notification, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
}

#[tool_router(router = timing_tools, vis = "pub(super)")]
impl TestServer {
    #[tool(description = "Sleeps `ms` milliseconds, then returns `slept MS ms`.")]
    async fn sleep(&self, Parameters(args): Parameters<SleepArgs>) -> String {
        tokio::time::sleep(Duration::from_millis(args.ms)).await;
        format!("slept {} ms", args.ms)
    }

    #[tool(
        description = "Sends one progress notification per step (when the request has a progressToken), then returns `done`."
    )]
    async fn progress(
        &self,
        Parameters(args): Parameters<ProgressArgs>,
        meta: RequestMetaObject,
        client: Peer<RoleServer>,
    ) -> Result<String, ErrorData> {
        let token = meta.get_progress_token();
        for step in 1..=args.steps {
            if let Some(token) = &token {
                let notification = ProgressNotificationParam::new(token.clone(), f64::from(step))
                    .with_total(f64::from(args.steps))
                    .with_message(format!("step {step} of {}", args.steps));
                client
                    .notify_progress(notification)
                    .await
                    .map_err(|error| {
                        ErrorData::internal_error(format!("sending progress: {error}"), None)
                    })?;
            }
            tokio::time::sleep(Duration::from_millis(args.delay_ms)).await;
        }
        Ok("done".to_owned())
    }
}
