//! The upstream side: one initialized rmcp client session to one instance, and the
//! `Service<RoleClient>` that routes what the instance sends back to client sessions.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use rmcp::model::JsonRpcMessage;
use rmcp::model::{
    CancelledNotification, CancelledNotificationParam, ClientCapabilities, ClientConfig,
    ClientNotification, ClientRequest, ClientResult, ErrorCode, GetExtensions, GetMeta,
    Implementation, NotificationMetaObject, PingRequest, ProgressToken, ProtocolVersion, RequestId,
    RequestMetaObject, ServerNotification, ServerPeerInfo, ServerRequest, ServerResult,
};
use rmcp::service::{
    InboundStreamOrigin, NotificationContext, OriginatingRequestId, Peer, PeerRequestOptions,
    RequestContext, RunningService, serve_client_with_ct,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::common::client_side_sse::ExponentialBackoff;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, Transport};
use rmcp::{ErrorData, RoleClient, RoleServer, Service, ServiceError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::ProxyError;
use crate::http_client::shared_http_client;
use crate::hub::{DownstreamSession, Hub};
use crate::sse::SseTransport;
use crate::stream::connect_stream;

static NEXT_LINK_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_CLIENT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

/// How long an answer waits for the notifications the instance sent before it.
const NOTIFICATION_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// One client (downstream) session as the links it uses see it: where the instance's
/// notifications, progress and server→client requests for it go. Cheap to clone.
///
/// A session must be [`UpstreamLink::subscribe`]d to a link to receive the instance's
/// broadcast notifications (logging, list_changed, ...); [`UpstreamLink::forward`] routes
/// progress and relayed requests to it either way.
#[derive(Debug, Clone)]
pub struct ClientSession {
    inner: Arc<DownstreamSession>,
}

/// The `_meta` key under which a server→client request relayed to a stream session
/// ([`ClientSession::over_stream`]) names the client's request it belongs to. A link reads
/// it (and removes it) where its transport cannot tell, so a proxy behind a proxy still
/// relays to the right session.
pub const RELATED_REQUEST_META: &str = "io.mcpctl/relatedRequestId";

impl ClientSession {
    /// A new session; `label` names it in logs (the server or project it belongs to).
    pub fn new(label: impl Into<String>) -> Self {
        Self::create(label.into(), false)
    }

    /// A session whose client is another mcpctl proxy on an `mcp-stdio` stream: relayed
    /// server→client requests carry [`RELATED_REQUEST_META`].
    pub fn over_stream(label: impl Into<String>) -> Self {
        Self::create(label.into(), true)
    }

    fn create(label: String, marks_relays: bool) -> Self {
        let id = NEXT_CLIENT_SESSION_ID.fetch_add(1, Ordering::Relaxed);
        Self {
            inner: Arc::new(DownstreamSession::new(id, label, marks_relays)),
        }
    }

    /// A process-unique number of the session.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// What the session was labelled with.
    pub fn label(&self) -> &str {
        &self.inner.server
    }

    /// Sets the client's rmcp peer (once, when its `initialize` arrives); later calls are
    /// ignored.
    pub fn set_peer(&self, peer: Peer<RoleServer>) {
        let _ = self.inner.peer.set(peer);
    }

    /// The upstream's progress token for a token this session's client uses on a relayed
    /// server→client request (sampling, elicitation), if one is in flight.
    pub fn upstream_progress_token(&self, downstream: &ProgressToken) -> Option<ProgressToken> {
        self.inner.upstream_progress_token(downstream)
    }
}

/// Why [`UpstreamLink::forward`] returned no result.
#[derive(Debug)]
pub enum ForwardError {
    /// The instance answered with an MCP error.
    Mcp(ErrorData),
    /// The link is dead: its transport closed or failed, or the instance no longer knows
    /// the session ("session not found"). The caller should replace the link.
    Gone,
    /// The client cancelled the request (the instance was told).
    Cancelled,
    /// rmcp failed otherwise.
    Failed(ServiceError),
}

/// What a forwarded request carries from the client's request.
#[derive(Debug)]
pub struct ForwardContext {
    /// The client's request id (server→client requests it causes are delivered on its stream).
    pub id: RequestId,
    /// The client's `_meta` (its progress token among them).
    pub meta: RequestMetaObject,
    /// Cancelled when the client cancels the request or its session ends.
    pub ct: CancellationToken,
}

impl From<RequestContext<RoleServer>> for ForwardContext {
    fn from(context: RequestContext<RoleServer>) -> Self {
        let RequestContext { ct, id, meta, .. } = context;
        Self { id, meta, ct }
    }
}

/// Was `error` the upstream saying it no longer knows our session?
pub(crate) fn is_session_gone(error: &ErrorData) -> bool {
    let message = error.message.to_ascii_lowercase();
    [
        "session not found",
        "session expired",
        "unknown session",
        "invalid session",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// How to reach an instance.
pub enum UpstreamTransport {
    /// Newline-delimited JSON-RPC over a byte stream pair: the stdout/stdin pipes of a local
    /// process, or the attached stdout/stdin of a container.
    Stdio {
        /// What the instance writes (its stdout).
        reader: Box<dyn AsyncRead + Send + Unpin>,
        /// What the instance reads (its stdin).
        writer: Box<dyn AsyncWrite + Send + Unpin>,
    },
    /// An MCP streamable-HTTP endpoint, e.g. `http://172.17.0.5:8000/mcp`.
    StreamableHttp {
        /// The endpoint URL.
        url: String,
        /// Keep HTTP connections between requests, in the process's shared pool
        /// ([`crate::shared_http_client`]); otherwise rmcp's default client opens a new TCP
        /// connection per request. Only for servers known to set `TCP_NODELAY` (mcpd,
        /// mcplocal): over a kept connection, a server that does not (axum's `serve`
        /// default) sends each SSE answer ~40 ms late, on the client's delayed ACK.
        keep_alive: bool,
    },
    /// An `mcp-stdio` stream to one of our own servers (mcpd's
    /// [`crate::MCP_STREAM_ROUTE`]): one upgraded HTTP connection carrying the STDIO
    /// framing, e.g. `http://127.0.0.1:3100/api/v1/mcp-stream/time`. The link lives as
    /// long as the connection. See [`crate::connect_stream`].
    Stream {
        /// The stream endpoint's URL.
        url: String,
    },
    /// A legacy HTTP+SSE server (protocol 2024-11-05), e.g. `http://172.17.0.5:8000/sse`:
    /// the link reads the event stream at `url` and POSTs to the endpoint the server names
    /// in it (see [`crate::SseError`] for what can fail). rmcp 3 has no client for this
    /// transport; the crate's own is used.
    Sse {
        /// The event stream's URL (usually ending in `/sse`).
        url: String,
    },
}

impl UpstreamTransport {
    /// The transport's name, as [`UpstreamLink::transport`] reports it.
    pub fn name(&self) -> &'static str {
        match self {
            UpstreamTransport::Stdio { .. } => "stdio",
            UpstreamTransport::StreamableHttp { .. } => "streamable-http",
            UpstreamTransport::Stream { .. } => "stream",
            UpstreamTransport::Sse { .. } => "sse",
        }
    }
}

impl std::fmt::Debug for UpstreamTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamTransport::Stdio { .. } => f.write_str("Stdio"),
            UpstreamTransport::StreamableHttp { url, keep_alive } => f
                .debug_struct("StreamableHttp")
                .field("url", url)
                .field("keep_alive", keep_alive)
                .finish(),
            UpstreamTransport::Stream { url } => {
                f.debug_struct("Stream").field("url", url).finish()
            }
            UpstreamTransport::Sse { url } => f.debug_struct("Sse").field("url", url).finish(),
        }
    }
}

/// One initialized MCP client session to one instance, shared by any number of client
/// sessions (see [`crate::SessionMode`]).
///
/// rmcp's peer gives every forwarded request its own upstream request id and progress token,
/// so answers from the instance reach the client session that asked; the link's hub maps
/// them back (see the crate docs). Dropping the last `Arc` closes the link.
pub struct UpstreamLink {
    id: u64,
    transport: &'static str,
    peer: Peer<RoleClient>,
    hub: Arc<Hub>,
    server_info: Arc<ServerPeerInfo>,
    ct: CancellationToken,
    _service: RunningService<RoleClient, LinkHandler>,
}

impl std::fmt::Debug for UpstreamLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamLink")
            .field("id", &self.id)
            .field("transport", &self.transport)
            .field("server_info", &self.server_info.server_info)
            .field("closed", &self.is_closed())
            .field("hub", &self.hub)
            .finish()
    }
}

impl UpstreamLink {
    /// Connects over `transport` and performs the MCP `initialize` handshake, waiting at most
    /// `timeout` for it. The link advertises sampling, elicitation and roots to the instance:
    /// it relays those requests to a client session (which must support them itself).
    ///
    /// rmcp's client handshake future cannot be proven `Send` (it selects on a borrowed
    /// cancellation token), which would make every caller's future non-`Send`. The handshake
    /// therefore runs to completion on a blocking thread with `Handle::block_on`, still on the
    /// caller's runtime, so the session task rmcp spawns lives there; the returned future is
    /// `Send`. Needs a multi-threaded runtime.
    pub async fn connect(
        transport: UpstreamTransport,
        timeout: Duration,
    ) -> Result<UpstreamLink, ProxyError> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            handle.block_on(Self::connect_inner(transport, timeout))
        })
        .await
        .map_err(|_| ProxyError::Closed)?
    }

    async fn connect_inner(
        transport: UpstreamTransport,
        timeout: Duration,
    ) -> Result<UpstreamLink, ProxyError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let transport_name = transport.name();
        // An SSE upstream's event stream is opened first (its `endpoint` event is needed
        // before anything can be sent), within the same `timeout`.
        let transport = match transport {
            UpstreamTransport::Stdio { reader, writer } => Ready::Stdio { reader, writer },
            UpstreamTransport::StreamableHttp { url, keep_alive } => Ready::StreamableHttp {
                url,
                // Every keep-alive link of the process shares one pool of connections.
                client: if keep_alive {
                    Some(shared_http_client().map_err(ProxyError::HttpClient)?)
                } else {
                    None
                },
            },
            UpstreamTransport::Stream { url } => {
                let (reader, writer) = tokio::time::timeout_at(deadline, connect_stream(&url))
                    .await
                    .map_err(|_elapsed| ProxyError::InitializeTimeout(timeout))?
                    .map_err(ProxyError::Stream)?;
                Ready::Stdio {
                    reader: Box::new(reader),
                    writer: Box::new(writer),
                }
            }
            UpstreamTransport::Sse { url } => Ready::Sse(
                SseTransport::connect(&url, timeout)
                    .await
                    .map_err(ProxyError::Sse)?,
            ),
        };
        let hub = Arc::new(Hub::default());
        let handler = LinkHandler { hub: hub.clone() };
        let (queue, notifications) = mpsc::channel(NOTIFICATION_QUEUE);
        tokio::spawn(forward_notifications(hub.clone(), notifications));
        let observed_hub = hub.clone();
        let ct = CancellationToken::new();
        // An owned token, not a borrow: a future holding `&CancellationToken` across an
        // await is not provably `Send` for every lifetime, and callers spawn this.
        let serve_ct = ct.clone();
        let serve = async move {
            match transport {
                Ready::Stdio { reader, writer } => {
                    let transport = Observed::new(
                        AsyncRwTransport::new_client(reader, writer),
                        observed_hub,
                        queue,
                    );
                    serve_client_with_ct(handler, transport, serve_ct).await
                }
                Ready::StreamableHttp { url, client } => {
                    // A dropped SSE stream is resumed a few times, then the requests on it
                    // fail (rmcp's default retries forever, hanging them on a dead instance).
                    let mut backoff = ExponentialBackoff::default();
                    backoff.max_times = Some(3);
                    backoff.base_duration = Duration::from_millis(200);
                    backoff.max_delay = Some(Duration::from_secs(1));
                    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
                    config.retry_config = Arc::new(backoff);
                    let transport = Observed::new(
                        match client {
                            Some(client) => {
                                StreamableHttpClientTransport::with_client(client, config)
                            }
                            None => StreamableHttpClientTransport::from_config(config),
                        },
                        observed_hub,
                        queue,
                    );
                    serve_client_with_ct(handler, transport, serve_ct).await
                }
                Ready::Sse(transport) => {
                    let transport = Observed::new(transport, observed_hub, queue);
                    serve_client_with_ct(handler, transport, serve_ct).await
                }
            }
        };
        let service = match tokio::time::timeout_at(deadline, serve).await {
            Ok(Ok(service)) => service,
            Ok(Err(error)) => {
                ct.cancel();
                return Err(ProxyError::Initialize(Box::new(error)));
            }
            Err(_elapsed) => {
                ct.cancel();
                return Err(ProxyError::InitializeTimeout(timeout));
            }
        };
        let peer = service.peer().clone();
        let Some(server_info) = peer.peer_info() else {
            ct.cancel();
            return Err(ProxyError::Closed);
        };
        Ok(UpstreamLink {
            id: NEXT_LINK_ID.fetch_add(1, Ordering::Relaxed),
            transport: transport_name,
            peer,
            hub,
            server_info,
            ct,
            _service: service,
        })
    }

    /// A process-unique number for this link (for logs and for providers comparing links).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The transport it runs over: `stdio`, `streamable-http`, `stream` (`mcp-stdio`) or
    /// `sse`.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// What the instance answered to `initialize`: protocol version, capabilities, server
    /// name and version, instructions.
    pub fn server_info(&self) -> &ServerPeerInfo {
        &self.server_info
    }

    /// Sends an MCP `ping` and waits at most `timeout` for the answer; returns the round trip.
    pub async fn ping(&self, timeout: Duration) -> Result<Duration, ProxyError> {
        if self.is_closed() {
            return Err(ProxyError::Closed);
        }
        let start = Instant::now();
        let handle = self
            .peer
            .send_request_with_option(
                ClientRequest::PingRequest(PingRequest::default()),
                PeerRequestOptions::with_timeout(timeout),
            )
            .await?;
        handle.await_response().await?;
        Ok(start.elapsed())
    }

    /// The connection is gone: the instance exited, the transport failed (for an SSE
    /// upstream: its event stream ended or failed), or [`Self::close`].
    pub fn is_closed(&self) -> bool {
        self.ct.is_cancelled() || self.peer.is_transport_closed()
    }

    /// Closes the link (the STDIO pipes, the HTTP session or the SSE stream). Requests in
    /// flight fail.
    pub fn close(&self) {
        self.ct.cancel();
    }

    /// How many client sessions currently use this link.
    pub fn session_count(&self) -> usize {
        self.hub.subscriber_count()
    }

    /// How many forwarded requests are waiting for this instance's answer.
    pub fn in_flight(&self) -> usize {
        self.hub.in_flight_count()
    }

    /// The rmcp peer of the upstream session, for the runtime's own requests (e.g. a
    /// `tools/list` health probe). Requests sent here bypass the proxy's routing.
    pub fn peer(&self) -> &Peer<RoleClient> {
        &self.peer
    }

    /// The instance's lists as this link keeps them for all its sessions.
    pub fn lists(&self) -> &crate::list_cache::ListCache {
        &self.hub.lists
    }

    /// Lets `session` receive the instance's broadcast notifications (logging,
    /// list_changed, resource updates). Idempotent.
    pub fn subscribe(&self, session: &ClientSession) {
        self.hub.subscribe(session.inner.clone());
    }

    /// Stops broadcasting to the session with this id.
    pub fn unsubscribe(&self, session_id: u64) {
        self.hub.unsubscribe(session_id);
    }

    /// Sends one client request to the instance on behalf of `session` and waits for the
    /// answer. rmcp gives the request an upstream id and progress token unique on the link;
    /// the instance's progress comes back to the session under its own token, and
    /// server→client requests the instance makes while serving it are relayed to the
    /// session's client. Cancelling `context.ct` cancels the request upstream. The instance's
    /// notifications sent before its answer are delivered before it returns.
    pub async fn forward(
        &self,
        session: &ClientSession,
        mut request: ClientRequest,
        context: ForwardContext,
    ) -> Result<ServerResult, ForwardError> {
        let ForwardContext { id, meta, ct } = context;
        let downstream_token = meta.get_progress_token();
        // rmcp's peer replaces the progress token with one unique on this link.
        *request.get_meta_mut() = meta;

        let pending = self.hub.begin();
        let handle = match self
            .peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
        {
            Ok(handle) => handle,
            Err(error) => return Err(classify(error)),
        };
        let upstream_id = handle.id.clone();
        let _in_flight = self.hub.register(
            &session.inner,
            id,
            upstream_id.clone(),
            handle.progress_token.clone(),
            downstream_token,
        );
        drop(pending);

        let response = tokio::select! {
            response = handle.await_response() => response,
            () = ct.cancelled() => {
                // The client cancelled (or its session ended): cancel upstream under the
                // id rmcp gave the forwarded request.
                let cancel = CancelledNotification::new(CancelledNotificationParam::new(
                    Some(upstream_id),
                    Some("cancelled by the MCP client".to_owned()),
                ));
                let _ = self
                    .peer
                    .send_notification(ClientNotification::CancelledNotification(cancel))
                    .await;
                return Err(ForwardError::Cancelled);
            }
        };
        // Progress and logging the instance sent before its answer go out before it.
        self.hub
            .flush_notifications(NOTIFICATION_FLUSH_TIMEOUT)
            .await;
        response.map_err(classify)
    }

    /// Sends a notification from a client session to the instance.
    pub async fn notify(&self, mut notification: ClientNotification, meta: NotificationMetaObject) {
        *notification.get_meta_mut() = meta;
        if let Err(error) = self.peer.send_notification(notification).await {
            tracing::debug!(link = self.id, %error, "could not forward a notification upstream");
        }
    }
}

/// Sorts an rmcp failure of a forwarded request.
fn classify(error: ServiceError) -> ForwardError {
    match error {
        ServiceError::McpError(error) if is_session_gone(&error) => ForwardError::Gone,
        ServiceError::McpError(error) => ForwardError::Mcp(error),
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => ForwardError::Gone,
        other => ForwardError::Failed(other),
    }
}

/// An [`UpstreamTransport`] ready for the handshake.
enum Ready {
    Stdio {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        writer: Box<dyn AsyncWrite + Send + Unpin>,
    },
    StreamableHttp {
        url: String,
        /// `None`: rmcp's default client (a new connection per request).
        client: Option<reqwest::Client>,
    },
    Sse(SseTransport),
}

/// The capabilities and identity the link presents to the instance.
pub(crate) fn client_config() -> ClientConfig {
    // Built from JSON: the typed builder marks roots and sampling deprecated (SEP-2577), but
    // 2025-11-25 servers still use them and the proxy relays them.
    let capabilities: ClientCapabilities = serde_json::from_value(serde_json::json!({
        "sampling": {},
        "elicitation": { "form": {}, "url": {} },
        "roots": { "listChanged": true },
    }))
    .unwrap_or_default();
    ClientConfig::new(
        capabilities,
        Implementation::new("mcpd", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
}

/// The upstream-side rmcp service: handles what the instance sends to the proxy.
pub(crate) struct LinkHandler {
    hub: Arc<Hub>,
}

fn server_request_method(request: &ServerRequest) -> &str {
    match request {
        ServerRequest::PingRequest(_) => "ping",
        ServerRequest::CreateMessageRequest(_) => "sampling/createMessage",
        ServerRequest::ListRootsRequest(_) => "roots/list",
        ServerRequest::ElicitRequest(_) => "elicitation/create",
        ServerRequest::CustomRequest(request) => &request.method,
        _ => "server request",
    }
}

impl LinkHandler {
    /// Sends a server→client request to the client session that has a request in flight on
    /// this link and returns its answer.
    async fn relay(
        &self,
        mut request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<ClientResult, ErrorData> {
        let method = server_request_method(&request).to_owned();
        let mut meta = context.meta;
        // Taken off in any case: it names a request of this link, not of the next hop.
        let marked = meta
            .remove(RELATED_REQUEST_META)
            .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
        let origin = match context.extensions.get::<InboundStreamOrigin>() {
            Some(InboundStreamOrigin::OutboundRequest(id)) => Some(id.clone()),
            _ => marked,
        };
        let target = self.hub.relay_target(origin.as_ref()).await;
        let Some((session, downstream_id)) = target else {
            return Err(ErrorData::new(
                ErrorCode::INVALID_REQUEST,
                format!("{method}: no client session has a request in flight to answer it"),
                None,
            ));
        };
        let Some(peer) = session.peer.get().cloned() else {
            return Err(ErrorData::internal_error(
                format!("{method}: the client session is not initialized"),
                None,
            ));
        };
        check_client_capability(&peer, &request, &method)?;
        let upstream_token = meta.get_progress_token();
        if session.marks_relays {
            meta.insert(
                RELATED_REQUEST_META.to_owned(),
                serde_json::to_value(&downstream_id).unwrap_or_default(),
            );
        }
        *request.get_meta_mut() = meta;
        // Deliver it on the SSE stream of the client's request that caused it.
        request
            .extensions_mut()
            .insert(OriginatingRequestId(downstream_id));
        let handle = peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .map_err(|error| client_gone(&method, &error))?;
        let request_id = handle.id.clone();
        let _progress = upstream_token
            .map(|upstream| session.map_client_progress(handle.progress_token.clone(), upstream));
        tokio::select! {
            response = handle.await_response() => match response {
                Ok(result) => Ok(result),
                Err(ServiceError::McpError(error)) => Err(error),
                Err(error) => Err(client_gone(&method, &error)),
            },
            () = context.ct.cancelled() => {
                // The instance cancelled its request: cancel it at the client too.
                let cancel = CancelledNotification::new(CancelledNotificationParam::new(
                    Some(request_id),
                    Some("cancelled by the MCP server".to_owned()),
                ));
                let _ = peer
                    .send_notification(ServerNotification::CancelledNotification(cancel))
                    .await;
                Err(ErrorData::internal_error(format!("{method}: cancelled"), None))
            }
        }
    }
}

fn client_gone(method: &str, error: &ServiceError) -> ErrorData {
    ErrorData::internal_error(
        format!("{method}: the client session could not answer: {error}"),
        None,
    )
}

fn check_client_capability(
    peer: &Peer<rmcp::RoleServer>,
    request: &ServerRequest,
    method: &str,
) -> Result<(), ErrorData> {
    let Some(info) = peer.peer_info() else {
        return Err(ErrorData::internal_error(
            format!("{method}: the client session is not initialized"),
            None,
        ));
    };
    let capabilities = &info.capabilities;
    let supported = match request {
        ServerRequest::CreateMessageRequest(_) => capabilities.sampling.is_some(),
        ServerRequest::ElicitRequest(_) => capabilities.elicitation.is_some(),
        ServerRequest::ListRootsRequest(_) => capabilities.roots.is_some(),
        _ => true,
    };
    if supported {
        Ok(())
    } else {
        Err(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("the MCP client of this session does not support {method}"),
            None,
        ))
    }
}

impl Service<RoleClient> for LinkHandler {
    async fn handle_request(
        &self,
        request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<ClientResult, ErrorData> {
        match request {
            // The link itself is the instance's client: it answers liveness checks.
            ServerRequest::PingRequest(_) => Ok(ClientResult::empty(())),
            request => self.relay(request, context).await,
        }
    }

    async fn handle_notification(
        &self,
        mut notification: ServerNotification,
        context: NotificationContext<RoleClient>,
    ) -> Result<(), ErrorData> {
        // Only `notifications/cancelled` gets here (the transport wrapper queues the rest for
        // the forwarder), and rmcp has already cancelled the relayed request's context with
        // it (see `relay`). Anything else is dispatched as the forwarder would.
        if !matches!(notification, ServerNotification::CancelledNotification(_)) {
            *notification.get_meta_mut() = context.meta;
            dispatch(&self.hub, notification).await;
        }
        Ok(())
    }

    fn get_info(&self) -> ClientConfig {
        client_config()
    }
}

/// How many notifications from one instance may wait for the forwarder before the link
/// stops reading from the instance.
const NOTIFICATION_QUEUE: usize = 256;

/// How long the forwarder waits for one client session to take a notification.
const DOWNSTREAM_SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Forwards the instance's notifications one at a time, in the order they arrived (rmcp
/// would hand each to a task of its own, in no particular order). Ends with the link.
async fn forward_notifications(hub: Arc<Hub>, mut queue: mpsc::Receiver<ServerNotification>) {
    while let Some(notification) = queue.recv().await {
        dispatch(&hub, notification).await;
        hub.notification_forwarded();
    }
}

/// Progress to the session that owns the token (under its own token); everything else to
/// every session on the link.
async fn dispatch(hub: &Hub, notification: ServerNotification) {
    match notification {
        ServerNotification::ProgressNotification(mut progress) => {
            let token = progress.params.progress_token.clone();
            let Some((session, downstream_token)) = hub.progress_route(&token).await else {
                tracing::debug!(?token, "progress for no request in flight; dropped");
                return;
            };
            progress.params.progress_token = downstream_token;
            if let Some(peer) = session.peer.get() {
                let notification = ServerNotification::ProgressNotification(progress);
                send_to(session.id, peer, notification).await;
            }
        }
        notification => {
            let sessions = hub.subscribers();
            let sends = sessions.iter().filter_map(|session| {
                let peer = session.peer.get()?;
                Some(send_to(session.id, peer, notification.clone()))
            });
            join_all(sends).await;
        }
    }
}

async fn send_to(session: u64, peer: &Peer<RoleServer>, notification: ServerNotification) {
    match tokio::time::timeout(
        DOWNSTREAM_SEND_TIMEOUT,
        peer.send_notification(notification),
    )
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::debug!(session, %error, "client session did not take a notification");
        }
        Err(_) => tracing::warn!(session, "client session too slow to take a notification"),
    }
}

/// The upstream transport, with the instance's notifications (but `notifications/cancelled`,
/// which rmcp needs) diverted to the link's forwarder in arrival order. Answers that follow
/// a notification reach rmcp only after it is queued, so [`Hub::flush_notifications`] can
/// hold an answer back until the notifications before it are delivered.
struct Observed<T> {
    inner: T,
    hub: Arc<Hub>,
    queue: mpsc::Sender<ServerNotification>,
    /// A notification read but not yet queued (the queue was full when `receive` was
    /// cancelled).
    held: Option<ServerNotification>,
}

impl<T> Observed<T> {
    fn new(inner: T, hub: Arc<Hub>, queue: mpsc::Sender<ServerNotification>) -> Self {
        Self {
            inner,
            hub,
            queue,
            held: None,
        }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Observed<T> {
    type Error = T::Error;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    // Cancel-safe, as rmcp's loop needs: a notification is either still in `held` or queued.
    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            if self.held.is_some() {
                let permit = self.queue.reserve().await;
                if let (Ok(permit), Some(notification)) = (permit, self.held.take()) {
                    self.hub.notification_queued();
                    permit.send(notification);
                }
                self.held = None;
            }
            match self.inner.receive().await? {
                JsonRpcMessage::Notification(notification)
                    if !matches!(
                        notification.notification,
                        ServerNotification::CancelledNotification(_)
                    ) =>
                {
                    // Before any answer read after it: a list asked for later is fresh.
                    self.hub.lists.observe(&notification.notification);
                    self.held = Some(notification.notification);
                }
                message => return Some(message),
            }
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
