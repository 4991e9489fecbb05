//! Command-line flags: the transport and the fault switches.

use clap::{Parser, ValueEnum};

/// The project's own MCP server for tests. Logs go to stderr; over STDIO, stdout is the MCP
/// channel.
#[derive(Debug, Parser)]
#[command(name = "mcp-test-server", version)]
pub struct Args {
    /// How clients reach the server.
    #[arg(long, value_enum, default_value_t = TransportKind::Stdio)]
    pub transport: TransportKind,

    /// TCP port for `--transport streamable-http` (listens on 0.0.0.0, path `/mcp`).
    #[arg(long, required_if_eq("transport", "streamable-http"))]
    pub port: Option<u16>,

    /// Exit with code 1 this many milliseconds after start (a crash loop).
    #[arg(long, value_name = "MS")]
    pub exit_after_ms: Option<u64>,

    /// Exit with code 1 right after start (after the `--stderr-lines`).
    #[arg(long)]
    pub exit_immediately: bool,

    /// Accept connections but never answer `initialize` (an unhealthy server).
    #[arg(long)]
    pub hang_initialize: bool,

    /// Print this many numbered lines to stderr at start.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub stderr_lines: u32,

    /// Offer this many more tools, `extra_1` … `extra_N`, each returning its `text` (wide
    /// tool lists for benchmarks; at most 5000).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::tools::extra::MAX_EXTRA_TOOLS)))]
    pub extra_tools: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportKind {
    /// JSON-RPC lines on stdin/stdout.
    Stdio,
    /// MCP streamable HTTP on `http://0.0.0.0:PORT/mcp`.
    StreamableHttp,
}
