//! Integration tests of `mcp-test-server`: the built binary driven by an rmcp client over
//! STDIO and streamable HTTP, and its Docker image.
#![allow(clippy::unwrap_used)]

mod checks;
mod client;
mod container;
mod faults;
mod http;
mod process;
mod stdio;
