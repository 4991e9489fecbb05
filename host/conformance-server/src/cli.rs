//! Command-line flags: where the server listens.

use std::net::SocketAddr;

use clap::{ArgGroup, Parser};

/// The MCP conformance fixture server. Exactly one of `--listen` and `--stdio`.
#[derive(Debug, Parser)]
#[command(name = "mcp-conformance-server", version)]
#[command(group(ArgGroup::new("transport").required(true).args(["listen", "stdio"])))]
pub struct Args {
    /// Serve streamable HTTP at `http://ADDR/mcp` (port 0 picks a free one). When ready the
    /// server prints `listening on http://ADDR/mcp` on stdout.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Serve one MCP session over stdin/stdout (for mcpd's process backend).
    #[arg(long)]
    pub stdio: bool,
}
