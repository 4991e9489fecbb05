//! The downstream side: one client session of one server, forwarding everything to a link.

// Logging and resources/subscribe are deprecated for 2026-07-28 (SEP-2577); the revisions the
// proxy speaks still have them, and it forwards them.
#![allow(deprecated)]

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rmcp::model::NotificationMetaObject;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelTaskRequest,
    CancelledNotificationParam, ClientNotification, ClientRequest, CompleteRequest,
    CompleteRequestParams, CompleteResult, CustomNotification, CustomRequest, CustomResult,
    DiscoverRequestMethod, DiscoverResult, ErrorCode, GetPromptRequest, GetPromptRequestParams,
    GetPromptResponse, GetSkillRequest, GetSkillRequestParams, GetSkillResult, GetTaskParams,
    GetTaskRequest, GetTaskResult, Implementation, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListSkillsResult,
    ListToolsResult, NotificationNoParam, PaginatedRequestParams, PingRequest,
    ProgressNotification, ProgressNotificationParam, ProtocolVersion, ReadResourceDirectoryRequest,
    ReadResourceDirectoryRequestParams, ReadResourceRequest, ReadResourceRequestParams,
    ReadResourceResponse, RequestOptionalParam, ServerConfig, ServerResult, SetLevelRequest,
    SetLevelRequestParams, SubscribeRequest, SubscribeRequestParams, UnsubscribeRequest,
    UnsubscribeRequestParams, UpdateTaskParams, UpdateTaskRequest,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::de::DeserializeOwned;

use crate::error::ProxyError;
use crate::link::{ClientSession, ForwardError, UpstreamLink};
use crate::provider::{LinkProvider, SessionMode};

/// The newest protocol revision the proxy speaks to clients. 2026-07-28 (no `initialize`,
/// per-request metadata) is not offered: its requests could not be forwarded over an
/// upstream session that was initialized once.
pub const NEWEST_PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// Where a session learns which server it serves.
#[derive(Debug, Clone)]
enum ServerName {
    /// The last segment of the HTTP request path (`/api/v1/mcp/{server}`).
    FromPath,
    Fixed(String),
}

struct SessionState {
    session: ClientSession,
    mode: SessionMode,
}

/// One client session of one MCP server: an rmcp server handler that forwards every
/// request and notification to an [`UpstreamLink`] obtained from the provider.
///
/// rmcp's streamable-HTTP server only hosts [`ServerHandler`]s (not bare
/// `Service<RoleServer>`s), so this type implements `ServerHandler`; every request method
/// rebuilds its [`ClientRequest`] and goes through one generic forwarding path (and methods
/// rmcp does not know arrive as [`CustomRequest`] and are forwarded the same way).
pub struct ProxySession<P: LinkProvider> {
    provider: Arc<P>,
    server: ServerName,
    state: OnceLock<SessionState>,
    info: OnceLock<InitializeResult>,
    link: Mutex<Option<Arc<UpstreamLink>>>,
    acquire: tokio::sync::Mutex<()>,
}

impl<P: LinkProvider> std::fmt::Debug for ProxySession<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySession")
            .field("server", &self.server)
            .field("session", &self.state.get().map(|state| state.session.id()))
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server a request path names: its last non-empty segment, which must be a DNS label.
pub fn server_from_path(path: &str) -> Result<String, ProxyError> {
    let name = path.rsplit('/').find(|segment| !segment.is_empty());
    match name {
        Some(name)
            if name.len() <= 63
                && !name.starts_with('-')
                && !name.ends_with('-')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            Ok(name.to_owned())
        }
        _ => Err(ProxyError::BadPath(path.to_owned())),
    }
}

fn request_path(extensions: &rmcp::model::Extensions) -> Option<&str> {
    extensions
        .get::<http::request::Parts>()
        .map(|parts| parts.uri.path())
}

/// A session whose `initialize` has not arrived cannot forward anything.
fn not_initialized() -> ErrorData {
    ErrorData::invalid_request("the session is not initialized", None)
}

/// Turns the upstream's answer into the type rmcp's handler method returns. rmcp parses
/// results as an untagged union, so an answer may land in a different variant than the
/// request implies; it is re-read through JSON then.
fn convert<T: DeserializeOwned>(result: ServerResult, method: &str) -> Result<T, ErrorData> {
    serde_json::to_value(&result)
        .and_then(serde_json::from_value)
        .map_err(|error| {
            ErrorData::internal_error(
                format!("the upstream answered {method} with an unexpected result: {error}"),
                None,
            )
        })
}

impl<P: LinkProvider> ProxySession<P> {
    /// A session that takes its server name from the HTTP request path, as mounted at
    /// `/api/v1/mcp/{server}` (see [`crate::mcp_service`]).
    pub fn from_path(provider: Arc<P>) -> Self {
        Self::new(provider, ServerName::FromPath)
    }

    /// A session of a fixed server on an `mcp-stdio` stream ([`crate::mcp_stream_service`]):
    /// its client is another mcpctl proxy, so relayed server→client requests carry
    /// [`crate::RELATED_REQUEST_META`].
    pub fn for_server(provider: Arc<P>, server: impl Into<String>) -> Self {
        Self::new(provider, ServerName::Fixed(server.into()))
    }

    fn new(provider: Arc<P>, server: ServerName) -> Self {
        Self {
            provider,
            server,
            state: OnceLock::new(),
            info: OnceLock::new(),
            link: Mutex::new(None),
            acquire: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> Result<&SessionState, ErrorData> {
        self.state.get().ok_or_else(not_initialized)
    }

    /// The session's link; a new one from the provider if it has none or it closed.
    async fn current_link(&self, state: &SessionState) -> Result<Arc<UpstreamLink>, ErrorData> {
        if let Some(link) = lock(&self.link).clone()
            && !link.is_closed()
        {
            return Ok(link);
        }
        let _acquiring = self.acquire.lock().await;
        let stale = {
            let mut slot = lock(&self.link);
            match slot.as_ref() {
                Some(link) if !link.is_closed() => return Ok(link.clone()),
                _ => slot.take(),
            }
        };
        if let Some(stale) = stale {
            tracing::info!(server = %state.session.label(), link = stale.id(), "upstream link closed; getting a new one");
            self.release(state, &stale, true);
        }
        let link = self
            .provider
            .link(state.session.label(), state.mode)
            .await
            .map_err(ErrorData::from)?;
        link.subscribe(&state.session);
        *lock(&self.link) = Some(link.clone());
        Ok(link)
    }

    /// Stops using `link`: unsubscribes, reports it if broken, closes it if dedicated.
    fn release(&self, state: &SessionState, link: &Arc<UpstreamLink>, broken: bool) {
        link.unsubscribe(state.session.id());
        if broken {
            self.provider.report_broken(state.session.label(), link);
        }
        if state.mode == SessionMode::Dedicated {
            link.close();
        }
    }

    /// `link` failed under a request: drop it so the next request gets a new one, and tell
    /// the client to retry.
    fn went_away(&self, state: &SessionState, link: &Arc<UpstreamLink>) -> ErrorData {
        let dropped = {
            let mut slot = lock(&self.link);
            match slot.as_ref() {
                Some(current) if Arc::ptr_eq(current, link) => slot.take(),
                _ => None,
            }
        };
        if dropped.is_some() {
            self.release(state, link, true);
        }
        // Dead for every session on it: closing lets them see it before their next call.
        link.close();
        let server = state.session.label();
        tracing::warn!(%server, link = link.id(), "upstream instance went away under a request");
        ErrorData::new(
            ErrorCode::INTERNAL_ERROR,
            format!("upstream instance of server {server} went away; retry"),
            Some(serde_json::json!({ "server": server, "retry": true })),
        )
    }

    /// A request that arrived on this session's id under another server's path.
    fn check_path(
        &self,
        state: &SessionState,
        context: &RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let ServerName::FromPath = self.server
            && let Some(path) = request_path(&context.extensions)
        {
            let server = server_from_path(path)?;
            if server != state.session.label() {
                return Err(ErrorData::invalid_request(
                    format!(
                        "this MCP session belongs to server {}, not {server}",
                        state.session.label()
                    ),
                    None,
                ));
            }
        }
        Ok(())
    }

    /// The one forwarding path for every client request.
    async fn forward(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let state = self.state()?;
        self.check_path(state, &context)?;
        let link = self.current_link(state).await?;
        match link.forward(&state.session, request, context.into()).await {
            Ok(result) => Ok(result),
            Err(ForwardError::Mcp(error)) => Err(error),
            Err(ForwardError::Gone) => Err(self.went_away(state, &link)),
            Err(ForwardError::Cancelled) => {
                Err(ErrorData::internal_error("request cancelled", None))
            }
            Err(ForwardError::Failed(error)) => Err(ErrorData::internal_error(
                format!("upstream request failed: {error}"),
                None,
            )),
        }
    }

    /// Forwards a notification to the current link, if there is one.
    async fn notify_upstream(
        &self,
        notification: ClientNotification,
        meta: NotificationMetaObject,
    ) {
        let Some(link) = lock(&self.link).clone() else {
            return;
        };
        link.notify(notification, meta).await;
    }

    /// Forwards a request whose answer carries nothing (`{}`).
    async fn forward_empty(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward(request, context).await.map(|_| ())
    }
}

impl<P: LinkProvider> Drop for ProxySession<P> {
    fn drop(&mut self) {
        let link = lock(&self.link).take();
        if let (Some(state), Some(link)) = (self.state.get(), link) {
            self.release(state, &link, false);
        }
    }
}

/// Generates `ServerHandler` methods that forward a request and pick the expected result.
macro_rules! forward_methods {
    ($( $method:ident($params:ty) -> $result:ident = $variant:ident($build:expr) ; )*) => {
        $(
            async fn $method(
                &self,
                params: $params,
                context: RequestContext<RoleServer>,
            ) -> Result<$result, ErrorData> {
                let request = ClientRequest::$variant($build(params));
                let method = request.method().to_owned();
                match self.forward(request, context).await? {
                    ServerResult::$result(result) => Ok(result),
                    other => convert(other, &method),
                }
            }
        )*
    };
}

impl<P: LinkProvider> ServerHandler for ProxySession<P> {
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        if self.state.get().is_some() {
            return Err(ErrorData::invalid_request(
                "the session is already initialized",
                None,
            ));
        }
        let session = match &self.server {
            ServerName::Fixed(server) => ClientSession::over_stream(server.clone()),
            ServerName::FromPath => {
                let path = request_path(&context.extensions).unwrap_or_default();
                ClientSession::new(server_from_path(path)?)
            }
        };
        let server = session.label().to_owned();
        session.set_peer(context.peer.clone());
        let mode = self.provider.session_mode(&server);
        let _ = self.state.set(SessionState { session, mode });
        let state = self.state()?;
        let link = self.current_link(state).await?;

        let upstream = link.server_info();
        let mut result = InitializeResult::new(upstream.capabilities.clone());
        result.server_info = upstream
            .server_info
            .clone()
            .unwrap_or_else(|| Implementation::new(server.clone(), "unknown"));
        result.instructions = upstream.instructions.clone();
        result.protocol_version = if self
            .supported_protocol_versions()
            .contains(&request.protocol_version)
        {
            request.protocol_version.clone()
        } else {
            NEWEST_PROTOCOL_VERSION
        };
        let _ = self.info.set(result.clone());
        tracing::debug!(%server, session = state.session.id(), link = link.id(), version = %result.protocol_version, "client session initialized");
        Ok(result)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&NEWEST_PROTOCOL_VERSION))
    }

    fn get_info(&self) -> ServerConfig {
        self.info.get().cloned().unwrap_or_default()
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        // Tells 2026-07-28 clients to fall back to `initialize`.
        Err(ErrorData::method_not_found::<DiscoverRequestMethod>())
    }

    async fn ping(&self, context: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        if self.state.get().is_none() {
            return Ok(());
        }
        self.forward_empty(ClientRequest::PingRequest(PingRequest::default()), context)
            .await
    }

    async fn set_level(
        &self,
        params: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward_empty(
            ClientRequest::SetLevelRequest(SetLevelRequest::new(params)),
            context,
        )
        .await
    }

    async fn subscribe(
        &self,
        params: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward_empty(
            ClientRequest::SubscribeRequest(SubscribeRequest::new(params)),
            context,
        )
        .await
    }

    async fn unsubscribe(
        &self,
        params: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward_empty(
            ClientRequest::UnsubscribeRequest(UnsubscribeRequest::new(params)),
            context,
        )
        .await
    }

    async fn update_task(
        &self,
        params: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward_empty(
            ClientRequest::UpdateTaskRequest(UpdateTaskRequest::new(params)),
            context,
        )
        .await
    }

    async fn cancel_task(
        &self,
        params: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward_empty(
            ClientRequest::CancelTaskRequest(CancelTaskRequest::new(params)),
            context,
        )
        .await
    }

    async fn call_tool(
        &self,
        params: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        match self.forward(request, context).await? {
            ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
            ServerResult::CreateTaskResult(result) => Ok(CallToolResponse::Task(result)),
            ServerResult::InputRequiredResult(result) => {
                Ok(CallToolResponse::InputRequired(result))
            }
            other => convert(other, "tools/call").map(CallToolResponse::Complete),
        }
    }

    async fn get_prompt(
        &self,
        params: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(params));
        match self.forward(request, context).await? {
            ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
            ServerResult::InputRequiredResult(result) => {
                Ok(GetPromptResponse::InputRequired(result))
            }
            other => convert(other, "prompts/get").map(GetPromptResponse::Complete),
        }
    }

    async fn read_resource(
        &self,
        params: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let request = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(params));
        match self.forward(request, context).await? {
            ServerResult::ReadResourceResult(result) => Ok(ReadResourceResponse::Complete(result)),
            ServerResult::InputRequiredResult(result) => {
                Ok(ReadResourceResponse::InputRequired(result))
            }
            other => convert(other, "resources/read").map(ReadResourceResponse::Complete),
        }
    }

    forward_methods! {
        complete(CompleteRequestParams) -> CompleteResult
            = CompleteRequest(CompleteRequest::new);
        list_prompts(Option<PaginatedRequestParams>) -> ListPromptsResult
            = ListPromptsRequest(paginated);
        list_resources(Option<PaginatedRequestParams>) -> ListResourcesResult
            = ListResourcesRequest(paginated);
        list_resource_templates(Option<PaginatedRequestParams>) -> ListResourceTemplatesResult
            = ListResourceTemplatesRequest(paginated);
        list_tools(Option<PaginatedRequestParams>) -> ListToolsResult
            = ListToolsRequest(paginated);
        get_task(GetTaskParams) -> GetTaskResult = GetTaskRequest(GetTaskRequest::new);
        list_skills(Option<PaginatedRequestParams>) -> ListSkillsResult
            = ListSkillsRequest(paginated);
        get_skill(GetSkillRequestParams) -> GetSkillResult = GetSkillRequest(GetSkillRequest::new);
    }

    async fn read_resource_directory(
        &self,
        params: ReadResourceDirectoryRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let request =
            ClientRequest::ReadResourceDirectoryRequest(ReadResourceDirectoryRequest::new(params));
        match self.forward(request, context).await? {
            ServerResult::ListResourcesResult(result) => Ok(result),
            other => convert(other, "resources/directory/read"),
        }
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method.clone();
        match self
            .forward(ClientRequest::CustomRequest(request), context)
            .await?
        {
            ServerResult::CustomResult(result) => Ok(result),
            other => serde_json::to_value(&other)
                .map(CustomResult::new)
                .map_err(|error| {
                    ErrorData::internal_error(
                        format!(
                            "the upstream answered {method} with an unexpected result: {error}"
                        ),
                        None,
                    )
                }),
        }
    }

    async fn on_cancelled(
        &self,
        _notification: CancelledNotificationParam,
        _context: NotificationContext<RoleServer>,
    ) {
        // rmcp turns it into the cancellation of the request's context; `forward` sees that
        // and cancels the upstream request under its upstream id.
    }

    async fn on_progress(
        &self,
        mut params: ProgressNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        // Progress the client reports on a relayed server→client request (e.g. sampling).
        let Some(state) = self.state.get() else {
            return;
        };
        let Some(upstream) = state
            .session
            .upstream_progress_token(&params.progress_token)
        else {
            return;
        };
        params.progress_token = upstream;
        let notification =
            ClientNotification::ProgressNotification(ProgressNotification::new(params));
        self.notify_upstream(notification, context.meta).await;
    }

    async fn on_initialized(&self, _context: NotificationContext<RoleServer>) {
        // The link initialized itself with the instance when it was made.
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        let notification = ClientNotification::RootsListChangedNotification(NotificationNoParam {
            method: Default::default(),
            extensions: Default::default(),
        });
        self.notify_upstream(notification, context.meta).await;
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleServer>,
    ) {
        self.notify_upstream(
            ClientNotification::CustomNotification(notification),
            context.meta,
        )
        .await;
    }
}

/// Builds a paginated list request (`tools/list`, `prompts/list`, ...).
fn paginated<M: Default>(
    params: Option<PaginatedRequestParams>,
) -> RequestOptionalParam<M, PaginatedRequestParams> {
    RequestOptionalParam {
        method: M::default(),
        params,
        extensions: Default::default(),
    }
}
