//! mcplocal against the real mcpd: servers run by mcpd (mcp-server-time in Python and the
//! project's test server), a project endpoint served over streamable HTTP and driven by an
//! rmcp client.
#![allow(clippy::unwrap_used)]

mod content;
mod llm;
mod plugins;
mod project;
mod streams;
mod support;
mod under_load;
