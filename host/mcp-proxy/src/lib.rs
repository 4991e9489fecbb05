//! mcp-proxy (docs to be written)

mod error;
mod http;
mod hub;
mod link;
mod provider;
mod session;

pub use error::ProxyError;
pub use http::{MCP_ROUTE, McpService, ProxyConfig, mcp_service, router};
pub use link::{UpstreamLink, UpstreamTransport};
pub use provider::{LinkProvider, SessionMode};
pub use session::{NEWEST_PROTOCOL_VERSION, ProxySession, server_from_path};
