//! Hook points of a project session, for the plugin host (a later issue) to fill.
//!
//! Every method has a pass-through default, so an implementation overrides only what it
//! needs; [`PassThrough`] overrides nothing. A hook that returns an error fails the request
//! with that error (the client sees it as the JSON-RPC error of its request).
//!
//! Names in what hooks see: lists are the merged, *namespaced* lists (before pagination);
//! call and get hooks see the client's request (exposed name) and the [`Target`] it resolved
//! to (server and original name).

use std::future::Future;
use std::sync::{Arc, OnceLock};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    InitializeRequestParams, InitializeResult, Prompt, ReadResourceRequestParams,
    ReadResourceResponse, Resource, Tool,
};
use rmcp::service::Peer;
use rmcp::{ErrorData, RoleServer};

use crate::namespace::Target;

/// Who a hook is called for.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// A process-unique number of the client session.
    pub id: u64,
    /// The project the session belongs to.
    pub project: String,
    /// A way to tell the session's client that something changed.
    pub client: SessionClient,
}

/// Sends notifications to one client session (once it has initialized; before that they
/// are dropped). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SessionClient {
    peer: Arc<OnceLock<Peer<RoleServer>>>,
}

impl SessionClient {
    /// Sets the session's peer (once; later calls are ignored).
    pub(crate) fn set_peer(&self, peer: Peer<RoleServer>) {
        let _ = self.peer.set(peer);
    }

    /// Tells the client its tool list changed (`notifications/tools/list_changed`). Sent in
    /// the background: the notification goes out after the current answer is queued.
    pub fn tool_list_changed(&self) {
        if let Some(peer) = self.peer.get().cloned() {
            tokio::spawn(async move {
                if let Err(error) = peer.notify_tool_list_changed().await {
                    tracing::debug!(%error, "cannot tell the client its tools changed");
                }
            });
        }
    }

    /// Tells the client its prompt list changed (`notifications/prompts/list_changed`).
    pub fn prompt_list_changed(&self) {
        if let Some(peer) = self.peer.get().cloned() {
            tokio::spawn(async move {
                if let Err(error) = peer.notify_prompt_list_changed().await {
                    tracing::debug!(%error, "cannot tell the client its prompts changed");
                }
            });
        }
    }
}

/// What [`Hooks::before_tool_call`] decides.
#[derive(Debug)]
pub enum BeforeToolCall {
    /// Forward the (possibly changed) request to the target server. Its `name` is replaced
    /// by the target's original name before it is sent.
    Forward(CallToolRequestParams),
    /// Answer the client with this instead of calling the server (`after_tool_call` still
    /// runs on it).
    Respond(CallToolResponse),
}

/// The hook points of [`crate::ProjectSession`], called in this order over a session's life:
/// `session_created` (once, while initializing), `initialize`, then any of the request hooks,
/// then `session_destroyed` (when the session ends, if it was created).
pub trait Hooks: Send + Sync + 'static {
    /// A client session began initializing.
    fn session_created(&self, session: &SessionInfo) -> impl Future<Output = ()> + Send {
        let _ = session;
        async {}
    }

    /// The client session ended (closed, timed out, or the server shut down). Called from
    /// `Drop`, so it is synchronous: spawn work that must wait.
    fn session_destroyed(&self, session: &SessionInfo) {
        let _ = session;
    }

    /// May change the `initialize` answer (capabilities, instructions, server info).
    fn initialize(
        &self,
        session: &SessionInfo,
        request: &InitializeRequestParams,
        result: InitializeResult,
    ) -> impl Future<Output = Result<InitializeResult, ErrorData>> + Send {
        let _ = (session, request);
        async { Ok(result) }
    }

    /// May filter, reorder or change the merged tool list. Routing uses the names as listed
    /// before this hook, so a tool it hides is still callable by name unless
    /// [`Self::before_tool_call`] refuses it.
    fn tools_list(
        &self,
        session: &SessionInfo,
        tools: Vec<Tool>,
    ) -> impl Future<Output = Result<Vec<Tool>, ErrorData>> + Send {
        let _ = session;
        async { Ok(tools) }
    }

    /// Before a tool call is forwarded: may change it or answer it itself. `target` is
    /// `None` when no server of the project has the tool: a hook may answer such calls (tools
    /// it added to the list itself); forwarding one fails with "unknown tool".
    fn before_tool_call(
        &self,
        session: &SessionInfo,
        target: Option<&Target>,
        request: CallToolRequestParams,
    ) -> impl Future<Output = Result<BeforeToolCall, ErrorData>> + Send {
        let _ = (session, target);
        async { Ok(BeforeToolCall::Forward(request)) }
    }

    /// After a tool call: may transform its result. `target` is `None` for calls
    /// [`Self::before_tool_call`] answered without a server.
    fn after_tool_call(
        &self,
        session: &SessionInfo,
        target: Option<&Target>,
        response: CallToolResponse,
    ) -> impl Future<Output = Result<CallToolResponse, ErrorData>> + Send {
        let _ = (session, target);
        async { Ok(response) }
    }

    /// May filter or change the merged resource list.
    fn resources_list(
        &self,
        session: &SessionInfo,
        resources: Vec<Resource>,
    ) -> impl Future<Output = Result<Vec<Resource>, ErrorData>> + Send {
        let _ = session;
        async { Ok(resources) }
    }

    /// After a resource was read from `server`: may transform the contents.
    fn resource_read(
        &self,
        session: &SessionInfo,
        server: &str,
        request: &ReadResourceRequestParams,
        response: ReadResourceResponse,
    ) -> impl Future<Output = Result<ReadResourceResponse, ErrorData>> + Send {
        let _ = (session, server, request);
        async { Ok(response) }
    }

    /// May filter or change the merged prompt list.
    fn prompts_list(
        &self,
        session: &SessionInfo,
        prompts: Vec<Prompt>,
    ) -> impl Future<Output = Result<Vec<Prompt>, ErrorData>> + Send {
        let _ = session;
        async { Ok(prompts) }
    }

    /// Before a prompt is fetched: may answer it itself (e.g. a drill-down into sections a
    /// pipeline made of an earlier answer). `None`: fetch it from the server.
    fn before_prompt_get(
        &self,
        session: &SessionInfo,
        target: &Target,
        request: &GetPromptRequestParams,
    ) -> impl Future<Output = Result<Option<GetPromptResponse>, ErrorData>> + Send {
        let _ = (session, target, request);
        async { Ok(None) }
    }

    /// After a prompt was fetched: may transform it.
    fn prompt_get(
        &self,
        session: &SessionInfo,
        target: &Target,
        request: &GetPromptRequestParams,
        response: GetPromptResponse,
    ) -> impl Future<Output = Result<GetPromptResponse, ErrorData>> + Send {
        let _ = (session, target, request);
        async { Ok(response) }
    }
}

/// Hooks that change nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThrough;

impl Hooks for PassThrough {}
