//! Serving the proxy over MCP streamable HTTP.

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::IntoResponse;

use crate::provider::LinkProvider;
use crate::session::{ProxySession, server_from_path};
use crate::stream::{StreamConfig, accept_stream};

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
    /// Stream sessions ([`mcp_stream_service`]) open at once at most; more get 503.
    /// Default [`crate::DEFAULT_MAX_STREAM_SESSIONS`] (1,024).
    pub max_stream_sessions: usize,
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
            max_stream_sessions: crate::DEFAULT_MAX_STREAM_SESSIONS,
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

    /// Sets [`Self::max_stream_sessions`].
    pub fn with_max_stream_sessions(mut self, sessions: usize) -> Self {
        self.max_stream_sessions = sessions;
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

/// The same sessions as [`mcp_service`], one per upgraded connection (see
/// [`crate::connect_stream`]). Mount it where the last path segment is the server name:
/// `Router::new().route_service(MCP_STREAM_ROUTE, mcp_stream_service(provider, &config))`.
/// The `Host` check and the size limit ([`ProxyConfig::max_request_body_bytes`], per
/// line) are those of the HTTP endpoint; a stream session lasts as long as its connection
/// (no idle timeout).
pub fn mcp_stream_service<P: LinkProvider>(
    provider: Arc<P>,
    config: &ProxyConfig,
) -> axum::routing::MethodRouter {
    let allowed_hosts = config.allowed_hosts.clone();
    let stream = StreamConfig::new(
        config.max_request_body_bytes,
        config.max_stream_sessions,
        config.cancellation_token.clone(),
    );
    axum::routing::any(move |request: Request<Body>| {
        let provider = provider.clone();
        let allowed_hosts = allowed_hosts.clone();
        let stream = stream.clone();
        async move {
            if let Some(reason) = refused_host(request.headers(), allowed_hosts.as_deref()) {
                return (StatusCode::FORBIDDEN, reason).into_response();
            }
            let server = match server_from_path(request.uri().path()) {
                Ok(server) => server,
                Err(error) => {
                    return (StatusCode::BAD_REQUEST, format!("{error}\n")).into_response();
                }
            };
            accept_stream(request, &stream, || {
                ProxySession::for_server(provider, server)
            })
        }
    })
}

/// Why the request's `Host` is refused (DNS-rebinding protection), if it is: the host must
/// be one of `allowed` (an entry with a port must match the port too). `None` allows any.
fn refused_host(headers: &HeaderMap, allowed: Option<&[String]>) -> Option<String> {
    let allowed = allowed?;
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
    else {
        return Some("the request has no readable Host header\n".to_owned());
    };
    let Ok(authority) = host.parse::<http::uri::Authority>() else {
        return Some(format!("the Host header {host:?} is not a host name\n"));
    };
    let normalize = |host: &str| host.trim_matches(['[', ']']).to_ascii_lowercase();
    let (name, port) = (normalize(authority.host()), authority.port_u16());
    let matches = allowed
        .iter()
        .any(|entry| match entry.parse::<http::uri::Authority>() {
            Ok(entry) => {
                normalize(entry.host()) == name && entry.port_u16().is_none_or(|p| Some(p) == port)
            }
            Err(_) => normalize(entry) == name,
        });
    (!matches).then(|| format!("the Host header {host:?} is not an allowed host\n"))
}

/// An axum router with [`mcp_service`] at [`MCP_ROUTE`] and [`mcp_stream_service`] at
/// [`crate::MCP_STREAM_ROUTE`].
pub fn router<P: LinkProvider>(provider: Arc<P>, config: &ProxyConfig) -> axum::Router {
    axum::Router::new()
        .route_service(MCP_ROUTE, mcp_service(provider.clone(), config))
        .route_service(
            crate::MCP_STREAM_ROUTE,
            mcp_stream_service(provider, config),
        )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, value.parse().unwrap());
        headers
    }

    #[test]
    fn hosts_are_matched_by_name_and_by_port_where_the_entry_has_one() {
        let allowed = [
            "localhost".to_owned(),
            "::1".to_owned(),
            "mcpd.lan:3100".to_owned(),
        ];
        for ok in ["localhost", "LOCALHOST:3100", "[::1]:80", "mcpd.lan:3100"] {
            assert_eq!(refused_host(&host(ok), Some(&allowed)), None, "{ok}");
        }
        for refused in [
            "evil.example",
            "mcpd.lan:8080",
            "mcpd.lan",
            "localhost.evil:3100",
        ] {
            assert!(
                refused_host(&host(refused), Some(&allowed)).is_some(),
                "{refused}"
            );
        }
        assert!(refused_host(&HeaderMap::new(), Some(&allowed)).is_some());
        assert_eq!(refused_host(&host("anything"), None), None);
    }
}
