//! Integration tests of `mcp-conformance-server`: the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server mode) against the built binary over HTTP, and
//! a client driving it over STDIO the way mcpd's process backend does.
#![allow(clippy::unwrap_used)]

mod chain;
mod conformance;
mod fixture;
mod stdio;
mod suite;
