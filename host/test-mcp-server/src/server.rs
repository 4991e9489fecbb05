//! The server handler: capabilities, the static resource, tool-call logging and the
//! `--hang-initialize` fault. The tools are in [`crate::tools`], the prompt in
//! [`crate::prompts`].

use std::borrow::Cow;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, InitializeRequestParams,
    InitializeResult, ListResourcesResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};

pub const STATIC_RESOURCE_URI: &str = "test://static";
pub const STATIC_RESOURCE_TEXT: &str = "static resource";

/// Longest argument text written into a tool-call log line.
const LOGGED_ARGUMENTS_MAX_CHARS: usize = 200;

#[derive(Clone)]
pub struct TestServer {
    tool_router: ToolRouter<TestServer>,
    prompt_router: PromptRouter<TestServer>,
    hang_initialize: bool,
}

impl TestServer {
    pub fn new(hang_initialize: bool, extra_tools: u32) -> TestServer {
        TestServer {
            tool_router: crate::tools::router(extra_tools),
            prompt_router: crate::prompts::router(),
            hang_initialize,
        }
    }

    pub fn hangs_on_initialize(&self) -> bool {
        self.hang_initialize
    }
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        #[allow(deprecated)] // logging is deprecated by SEP-2577 but still part of 2025-11-25
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_prompts()
            .enable_resources()
            .enable_tools()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                "mcp-test-server",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("mcpctl's test server: tools for relaying and fault tests.")
    }

    /// Only the revisions with an `initialize` handshake: `2026-07-28` forbids the
    /// server-to-client requests that `sample` makes.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(
            &ProtocolVersion::LATEST_WITH_INITIALIZE,
        ))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        if self.hang_initialize {
            eprintln!("initialize received; never answering (--hang-initialize)");
            std::future::pending::<()>().await;
        }
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        log_tool_call(&request);
        let call = ToolCallContext::new(self, request, context);
        self.tool_router.call(call).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resource = Resource::new(STATIC_RESOURCE_URI, "static")
            .with_description("A fixed text resource.")
            .with_mime_type("text/plain");
        Ok(ListResourcesResult::with_all_items(vec![resource]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != STATIC_RESOURCE_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        }
        let contents = ResourceContents::text(STATIC_RESOURCE_TEXT, STATIC_RESOURCE_URI);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// One stderr line per call: `tool call: NAME ARGUMENTS`, for log tests.
fn log_tool_call(request: &CallToolRequestParams) {
    let arguments = request
        .arguments
        .as_ref()
        .map(|arguments| serde_json::Value::Object(arguments.clone()).to_string())
        .unwrap_or_default();
    let arguments: String = arguments.chars().take(LOGGED_ARGUMENTS_MAX_CHARS).collect();
    eprintln!("tool call: {} {arguments}", request.name);
}
