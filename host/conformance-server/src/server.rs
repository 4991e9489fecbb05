//! The rmcp `ServerHandler`: capabilities, and each request handed to its fixture module.
// Logging and resources/subscribe are deprecated by SEP-2577 but part of `2025-11-25`.
#![allow(deprecated)]

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CompleteRequestParams,
    CompleteResult, CompletionInfo, GetPromptRequestParams, GetPromptResponse, GetTaskParams,
    GetTaskResult, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, Reference, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use rmcp::task_manager::TaskManager;

use crate::changes::Changes;
use crate::input::{self, Resume};
use crate::logging::SessionLogLevel;
use crate::request_state::RequestStates;
use crate::{prompts, resources, tools};

/// What outlives one session: the list toggles and their listeners, `requestState`s, and
/// tasks.
pub struct Shared {
    changes: Changes,
    request_states: RequestStates,
    tasks: TaskManager,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared {
            changes: Changes::new(),
            request_states: RequestStates::default(),
            tasks: TaskManager::new(),
        })
    }
}

/// One session's handler (one request's, for stateless `2026-07-28`).
#[derive(Clone)]
pub struct ConformanceServer {
    shared: Arc<Shared>,
    log_level: Arc<SessionLogLevel>,
}

impl ConformanceServer {
    pub fn new_session(shared: Arc<Shared>) -> ConformanceServer {
        ConformanceServer {
            shared,
            log_level: Arc::default(),
        }
    }

    pub fn changes(&self) -> &Changes {
        &self.shared.changes
    }

    pub fn request_states(&self) -> &RequestStates {
        &self.shared.request_states
    }

    pub fn tasks(&self) -> &TaskManager {
        &self.shared.tasks
    }

    pub fn log_level(&self) -> &SessionLogLevel {
        &self.log_level
    }
}

impl ServerHandler for ConformanceServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_tasks()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                "mcp-conformance-server",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "mcpctl's MCP conformance fixture server: the tools, prompts and resources \
                 that the official conformance suite calls.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list(
            self.changes().has_extra_tool(),
        )))
    }

    /// Lets rmcp's HTTP transport check a `tools/call`'s `Mcp-Param-*` headers against the
    /// tool's `x-mcp-header` annotations (SEP-2243).
    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::list(self.changes().has_extra_tool())
            .into_iter()
            .find(|tool| tool.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        tools::call(self, request, context).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list(
            self.changes().has_extra_prompt(),
        )))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let with_dynamic = self.changes().has_extra_prompt();
        if let Some(result) = prompts::get(&request.name, request.arguments.as_ref(), with_dynamic)?
        {
            return Ok(result.into());
        }
        if request.name != prompts::INPUT_REQUIRED {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt {}", request.name),
                None,
            ));
        }
        let resume = Resume {
            input_responses: request.input_responses,
            request_state: request.request_state,
        };
        let outcome = input::drive(
            &context,
            self.request_states(),
            resume,
            prompts::input_required,
        )
        .await?;
        Ok(outcome.into_response())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let values = match &request.r#ref {
            Reference::Prompt(prompt) => prompts::complete(
                &prompt.name,
                &request.argument.name,
                &request.argument.value,
            ),
            _ => Vec::new(),
        };
        let completion =
            CompletionInfo::new(values).map_err(|error| ErrorData::internal_error(error, None))?;
        Ok(CompleteResult::new(completion))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.set(request.level);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&request.uri).map(Into::into)
    }

    /// Legacy `resources/subscribe`: accepted for the static resources. They never change,
    /// so no `notifications/resources/updated` follows.
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        known_static(&request.uri)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        known_static(&request.uri)
    }

    /// `2026-07-28` `subscriptions/listen`: whatever the client asks for (rmcp narrows it to
    /// the advertised capabilities).
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        self.changes().listen(subscription).await
    }

    /// Tasks extension: rmcp has already checked that the client declared it.
    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        self.tasks()
            .get_task(&request.task_id)
            .map(GetTaskResult::new)
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks()
            .update_task(&request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks().cancel_task(&request.task_id)
    }
}

fn known_static(uri: &str) -> Result<(), ErrorData> {
    if resources::is_static(uri) {
        Ok(())
    } else {
        Err(resources::not_found(uri))
    }
}
