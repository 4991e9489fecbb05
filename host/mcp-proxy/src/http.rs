//! Serving the proxy over MCP streamable HTTP.

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;

use crate::provider::LinkProvider;
use crate::session::ProxySession;

/// Where mcpd mounts the proxy; `{server}` is the server's name.
pub const MCP_ROUTE: &str = "/api/v1/mcp/{server}";

/// The streamable-HTTP service that [`mcp_service`] builds.
pub type McpService<P> = StreamableHttpService<ProxySession<P>, LocalSessionManager>;

/// Settings of the HTTP side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// Largest JSON-RPC POST body accepted; larger ones get `413`. Default 8 MiB, as the
    /// REST API.
    pub max_request_body_bytes: usize,
    /// `Host` header values accepted (DNS-rebinding protection); `None` accepts any. Default:
    /// loopback names only, so mcpd must set this when it listens on another address.
    pub allowed_hosts: Option<Vec<String>>,
    /// SSE keep-alive comment interval. Default 15 s.
    pub sse_keep_alive: Option<Duration>,
    /// A client session idle this long is closed (and with it a dedicated link). Default
    /// 5 minutes.
    pub session_idle_timeout: Option<Duration>,
    /// Cancel it to end every session (shutdown).
    pub cancellation_token: CancellationToken,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            max_request_body_bytes: 8 * 1024 * 1024,
            allowed_hosts: Some(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ]),
            sse_keep_alive: Some(Duration::from_secs(15)),
            session_idle_timeout: Some(Duration::from_secs(300)),
            cancellation_token: CancellationToken::new(),
        }
    }
}

impl ProxyConfig {
    /// Sets [`Self::max_request_body_bytes`].
    pub fn with_max_request_body_bytes(mut self, bytes: usize) -> Self {
        self.max_request_body_bytes = bytes;
        self
    }

    /// Sets [`Self::allowed_hosts`].
    pub fn with_allowed_hosts(mut self, hosts: Option<Vec<String>>) -> Self {
        self.allowed_hosts = hosts;
        self
    }

    /// Sets [`Self::session_idle_timeout`].
    pub fn with_session_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// Sets [`Self::cancellation_token`].
    pub fn with_cancellation_token(mut self, token: CancellationToken) -> Self {
        self.cancellation_token = token;
        self
    }

    fn server_config(&self) -> StreamableHttpServerConfig {
        let config = StreamableHttpServerConfig::default()
            .with_max_request_body_bytes(self.max_request_body_bytes)
            .with_sse_keep_alive(self.sse_keep_alive)
            .with_cancellation_token(self.cancellation_token.clone());
        match &self.allowed_hosts {
            Some(hosts) => config.with_allowed_hosts(hosts.clone()),
            None => config.disable_allowed_hosts(),
        }
    }
}

/// The MCP endpoint of every server, as one tower service (rmcp's `StreamableHttpService`
/// with stateful sessions). Mount it where the last path segment is the server name:
/// `Router::new().route_service(MCP_ROUTE, mcp_service(provider, &config))`.
///
/// A session belongs to the server named by the path of its `initialize`; later requests of
/// that session under another server's path are refused.
pub fn mcp_service<P: LinkProvider>(provider: Arc<P>, config: &ProxyConfig) -> McpService<P> {
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = config.session_idle_timeout;
    StreamableHttpService::new(
        move || Ok(ProxySession::from_path(provider.clone())),
        Arc::new(sessions),
        config.server_config(),
    )
}

/// An axum router with [`mcp_service`] at [`MCP_ROUTE`].
pub fn router<P: LinkProvider>(provider: Arc<P>, config: &ProxyConfig) -> axum::Router {
    axum::Router::new().route_service(MCP_ROUTE, mcp_service(provider, config))
}
