//! `mcp-conformance-server`: the fixture server for the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server mode).
//!
//! It carries every tool, prompt and resource the suite's server scenarios call, for the
//! session-based revisions (up to `2025-11-25`) and the stateless `2026-07-28`, and serves
//! them over streamable HTTP (`--listen`) or STDIO (`--stdio`, as a process server behind
//! mcpd). Nothing a fixture does depends on the transport: requests to the client go through
//! the MCP session, progress and logs are notifications during the call. Logs go to stderr.

mod arguments;
mod changes;
mod cli;
mod input;
mod logging;
mod media;
mod prompts;
mod request_state;
mod resources;
mod server;
mod tools;
mod transport;

use clap::Parser;

use crate::cli::Args;
use crate::server::Shared;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // rmcp's own diagnostics, on stderr; `warn` unless MCP_CONFORMANCE_SERVER_LOG says
    // otherwise. SIGTERM and SIGINT keep their default action: the process ends.
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCP_CONFORMANCE_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    transport::serve(&args, Shared::new()).await?;
    Ok(())
}
