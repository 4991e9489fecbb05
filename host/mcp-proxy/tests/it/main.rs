//! Integration tests of the proxy against real MCP servers nobody here wrote:
//! mcp-server-time (Python) and server-everything (Node), over STDIO, streamable HTTP and
//! legacy HTTP+SSE.
#![allow(clippy::unwrap_used)]
// Sampling and logging are deprecated for 2026-07-28 (SEP-2577); these tests exercise them.
#![allow(deprecated)]

mod connection_reuse;
mod everything;
mod fault;
mod http_upstream;
mod protocol;
mod sse_upstream;
mod stream;
mod support;
mod time;
