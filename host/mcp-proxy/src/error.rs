//! The crate's error type and its mapping onto JSON-RPC errors.

use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use rmcp::service::{ClientInitializeError, ServiceError};

/// Everything that can go wrong between a client session and an upstream instance.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The provider knows no server of that name.
    #[error("no MCP server named {0:?}")]
    UnknownServer(String),

    /// The request path does not name a server (`/api/v1/mcp/{server}`).
    #[error("the path {0:?} does not name an MCP server")]
    BadPath(String),

    /// The server exists but no instance can take a client now (none healthy, starting...).
    #[error("MCP server {server:?} has no instance available: {reason}")]
    Unavailable { server: String, reason: String },

    /// The upstream `initialize` handshake failed.
    #[error("initialize with the upstream instance failed: {0}")]
    Initialize(#[source] Box<ClientInitializeError>),

    /// The event stream of a legacy HTTP+SSE upstream could not be opened, or named no
    /// usable message endpoint.
    #[error("cannot connect to the SSE upstream: {0}")]
    Sse(#[source] crate::SseError),

    /// The upstream's `mcp-stdio` stream (see [`crate::connect_stream`]) could not be opened.
    #[error("{0}")]
    Stream(#[source] crate::StreamError),

    /// The HTTP client for streamable-HTTP upstreams could not be built.
    #[error("cannot build the HTTP client for streamable-HTTP upstreams: {0}")]
    HttpClient(#[source] reqwest::Error),

    /// The upstream did not answer `initialize` in time.
    #[error("the upstream instance did not answer initialize within {0:?}")]
    InitializeTimeout(Duration),

    /// The upstream link is closed (the instance exited or its connection broke).
    #[error("the upstream link is closed")]
    Closed,

    /// The upstream did not answer a request (e.g. a ping) in time.
    #[error("the upstream instance did not answer within {0:?}")]
    Timeout(Duration),

    /// A request to the upstream failed below the MCP level.
    #[error("request to the upstream instance failed: {0}")]
    Upstream(#[source] Box<ServiceError>),
}

impl ProxyError {
    /// The JSON-RPC error a client sees for this error.
    pub fn to_error_data(&self) -> ErrorData {
        let code = match self {
            ProxyError::UnknownServer(_) | ProxyError::BadPath(_) => ErrorCode::INVALID_PARAMS,
            _ => ErrorCode::INTERNAL_ERROR,
        };
        ErrorData::new(code, self.to_string(), None)
    }
}

impl From<ProxyError> for ErrorData {
    fn from(error: ProxyError) -> Self {
        error.to_error_data()
    }
}

impl From<ServiceError> for ProxyError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::TransportClosed => ProxyError::Closed,
            ServiceError::Timeout { timeout } => ProxyError::Timeout(timeout),
            other => ProxyError::Upstream(Box::new(other)),
        }
    }
}
