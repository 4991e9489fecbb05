//! mcplocal's core: one MCP endpoint per project.
//!
//! A project lists servers in mcpd. [`ProjectUpstreams`] reads that list from mcpd's REST API
//! and keeps one MCP client session per server to mcpd's endpoint
//! `{mcpd}/api/v1/mcp/{server}` (never to instances directly; mcpd routes to a healthy one).
//! [`ProjectSession`] is the rmcp server handler of one client session: it merges the
//! servers' tools, prompts and resources under the [`namespace`] rules (`server/tool`) and
//! routes each call to the server behind the name or URI. [`Hooks`] are the points where the
//! plugin host will plug in; [`PassThrough`] changes nothing. [`mcp_service`] serves a project
//! over streamable HTTP.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use mcplocal::{PassThrough, ProjectConfig, ProjectUpstreams, mcp_service};
//!
//! let upstreams = ProjectUpstreams::connect("http://127.0.0.1:3000", "my-project",
//!     mcplocal::DEFAULT_CONNECT_TIMEOUT).await?;
//! let service = mcp_service(Arc::new(upstreams), Arc::new(PassThrough),
//!     Arc::new(ProjectConfig::default()), Default::default());
//! // axum::Router::new().route_service("/mcp", service) ...
//! # let _ = service; Ok(()) }
//! ```

pub mod content;
pub mod hooks;
pub mod llm;
pub mod namespace;
pub mod plugins;
pub mod server;
mod session;
pub mod traffic;
mod upstreams;
pub mod uri_template;

pub use hooks::{BeforeToolCall, Hooks, PassThrough, SessionClient, SessionInfo};
pub use namespace::{NameMap, Namespace, NamespaceConfig, PrefixMode, ResourceMap, Target};
pub use plugins::{McpdServices, PluginHooks, Plugins};
pub use session::{
    DEFAULT_SESSION_IDLE_TIMEOUT, FailMode, NEWEST_PROTOCOL_VERSION, ProjectConfig, ProjectService,
    ProjectSession, mcp_service, mcp_service_with_idle_timeout,
};
pub use upstreams::{
    DEFAULT_CONNECT_TIMEOUT, McpdTransport, ProjectDoc, ProjectUpstreams, UpstreamError,
    fetch_project, fetch_project_servers,
};
