//! mcpd's MCP forwarding core.
//!
//! ```text
//! client session --streamable HTTP--> ProxySession --UpstreamLink (rmcp client)--> instance
//!   /api/v1/mcp/{server}               (ServerHandler)   STDIO, streamable HTTP or SSE
//!   or an mcp-stdio stream at /api/v1/mcp-stream/{server}
//! ```
//!
//! mcpd exposes one MCP endpoint per server ([`router`] / [`mcp_service`], route
//! [`MCP_ROUTE`]) and forwards everything a client sends to a healthy instance of that
//! server; clients never reach an instance directly. Instances are reached through
//! [`UpstreamLink`]s that a [`LinkProvider`] (mcpd's runtime) hands out.
//!
//! # Pieces
//!
//! - [`UpstreamTransport`]: STDIO pipes (a local process or an attached container), a
//!   streamable-HTTP URL, or a legacy HTTP+SSE URL (protocol 2024-11-05). rmcp 3 has no
//!   client for the last, so the crate has its own (`sse.rs`): an rmcp `Transport` that
//!   reads the event stream (one task; events capped at [`MAX_SSE_EVENT_BYTES`]) and POSTs
//!   to the endpoint the server names, one message at a time in send order (another task;
//!   30 s per POST). The endpoint must be on the stream's origin. The stream cannot be
//!   resumed: when it ends or fails the link closes.
//! - **Streams** ([`connect_stream`], [`accept_stream`], [`mcp_stream_service`] at
//!   [`MCP_STREAM_ROUTE`]): the same sessions over one upgraded HTTP/1.1 connection
//!   (`Upgrade: mcp-stdio`) in the STDIO framing, for the hops between our own programs
//!   (mcplocal → mcpd, `mcpctl mcp` → mcplocal); [`UpstreamTransport::Stream`] is a link over
//!   one. A server→client request relayed to a stream session names the client's request it
//!   belongs to in `_meta` ([`RELATED_REQUEST_META`]), which the receiving link routes by and
//!   removes.
//! - [`UpstreamLink`]: one initialized rmcp client session to one instance
//!   ([`UpstreamLink::connect`] with a timeout, [`UpstreamLink::ping`],
//!   [`UpstreamLink::is_closed`], [`UpstreamLink::server_info`]). Its upstream side is a
//!   `Service<RoleClient>` that handles whatever the instance sends at the enum level
//!   (`ServerRequest`, `ServerNotification`), and a hub of the client sessions using it.
//! - [`LinkProvider`]: `link(server, SessionMode)` and `report_broken(server, link)`;
//!   [`SessionMode::Shared`] returns the instance's one link, [`SessionMode::Dedicated`]
//!   a new link per client session, closed when the session ends.
//! - [`ProxySession`]: one client session of one server. rmcp's `StreamableHttpService`
//!   only hosts `ServerHandler`s, so that is what it implements; each handler method
//!   rebuilds the `ClientRequest` and calls one generic forwarding function, and methods
//!   rmcp does not know arrive as `CustomRequest` and are forwarded the same way.
//!
//! # How forwarding works
//!
//! - **Requests.** A client request is re-sent on the session's link with rmcp's peer,
//!   which gives it an upstream request id and progress token of its own, unique on the
//!   link; the answer comes back to the awaiting call, so many sessions can share one
//!   link (that is the request-id rewriting). Request `_meta` is passed on.
//! - **Initialize** is answered by the proxy: the upstream's capabilities, server info and
//!   instructions, and the client's protocol version when it is one the proxy speaks
//!   (2024-11-05 up to [`NEWEST_PROTOCOL_VERSION`], 2025-11-25), else the newest.
//!   2026-07-28 (no `initialize`) is not offered.
//! - **Progress.** When a forwarded request carries the client's progress token, the link
//!   maps the token rmcp gave it upstream to (session, client's token); the instance's
//!   progress notifications go to that session alone, under the client's token. Two
//!   sessions using the same token do not collide.
//! - **Other notifications** from the instance (logging, list_changed, resource updated,
//!   task status, custom) go to every session on the link.
//! - **Order.** A wrapper around the upstream transport takes the instance's notifications
//!   (but `notifications/cancelled`, which rmcp needs) off the wire in arrival order and
//!   hands them to one forwarder task per link, so they reach clients in the order sent
//!   (rmcp alone would give each its own task). An answer is held until the notifications
//!   the instance sent before it are delivered (at most 2 s), so a request's last progress
//!   notification is not lost behind its answer.
//! - **Server→client requests** (sampling, elicitation, roots): relayed to the session
//!   whose request the instance is serving: known exactly on a streamable-HTTP upstream
//!   (the SSE stream it arrived on), otherwise the most recent request in flight on the
//!   link; with none in flight, the instance gets an error, as it does when that client
//!   did not declare the capability. The relayed request rides the SSE stream of the
//!   client's request. The client's answer goes back upstream; progress the client reports
//!   on it goes back under the upstream's token; the instance cancelling it cancels it at
//!   the client. Servers that use these while several clients call them at once should run
//!   [`SessionMode::Dedicated`]: over STDIO nothing tells whose call caused the request.
//! - **Cancellation.** A client's `notifications/cancelled` cancels its request's context
//!   (rmcp); the forwarding call then sends `notifications/cancelled` upstream with the
//!   upstream request id. A session that ends cancels its requests the same way.
//! - **Dead upstreams.** A request that fails because the link closed, its transport
//!   failed, or the instance said "session not found" fails with `-32603` "upstream
//!   instance of server X went away; retry"; the link is closed and reported broken, and
//!   the session's next request gets a new link from the provider. A link found closed
//!   before a request is replaced without an error.
//!
//! # Limits
//!
//! Request bodies over [`ProxyConfig::max_request_body_bytes`] (8 MiB) get 413. Sessions
//! idle for [`ProxyConfig::session_idle_timeout`] are closed. A client session slower than
//! 5 s to take a notification misses it. Forwarded requests have no timeout of their own
//! (clients cancel). State a client sets on a shared link (logging level, subscriptions)
//! applies to every session on it and is lost when the link is replaced.

mod error;
mod http;
mod http_client;
mod hub;
mod link;
mod list_cache;
mod provider;
mod session;
mod sse;
mod stream;
mod tcp;

pub use error::ProxyError;
pub use http::{MCP_ROUTE, McpService, ProxyConfig, mcp_service, mcp_stream_service, router};
pub use http_client::{pooled_http_client, same_origin_redirect_policy, shared_http_client};
pub use link::{
    ClientSession, ForwardContext, ForwardError, RELATED_REQUEST_META, UpstreamLink,
    UpstreamTransport,
};
pub use list_cache::{LIST_TTL, ListCache, Listed};
pub use provider::{LinkProvider, SessionMode};
pub use session::{NEWEST_PROTOCOL_VERSION, ProxySession, server_from_path};
pub use sse::{MAX_SSE_EVENT_BYTES, SseError};
pub use stream::{
    DEFAULT_MAX_STREAM_SESSIONS, MCP_STREAM_ROUTE, STREAM_PROTOCOL, StreamConfig, StreamError,
    accept_stream, connect_stream, wants_stream,
};
pub use tcp::{KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, tune_tcp};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_come_from_the_last_path_segment() {
        assert_eq!(
            server_from_path("/api/v1/mcp/time").ok().as_deref(),
            Some("time")
        );
        assert_eq!(
            server_from_path("/api/v1/mcp/my-server/").ok().as_deref(),
            Some("my-server")
        );
        assert!(server_from_path("/api/v1/mcp/Bad_Name").is_err());
        assert!(server_from_path("/").is_err());
        assert!(server_from_path("/api/v1/mcp/-x").is_err());
    }

    #[test]
    #[allow(deprecated)]
    fn the_link_advertises_what_it_relays() {
        let config = link::client_config();
        assert!(config.capabilities.sampling.is_some());
        assert!(config.capabilities.roots.is_some());
        let elicitation = config.capabilities.elicitation.unwrap_or_default();
        assert!(elicitation.form.is_some() && elicitation.url.is_some());
    }
}
