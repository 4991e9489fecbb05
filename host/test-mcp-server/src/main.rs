//! `mcp-test-server`: the project's own MCP server for tests.
//!
//! It serves over STDIO (default) or streamable HTTP, offers tools that exercise every part of
//! MCP relaying (progress, logging, sampling, large results), and has fault switches (exit
//! after a delay, crash on a tool call, never answer `initialize`) for the runtime's failure
//! tests. Every log line goes to stderr: over STDIO, stdout is the MCP channel.

mod cli;
mod faults;
mod prompts;
mod server;
mod tools;
mod transport;

use clap::Parser;

use crate::cli::Args;
use crate::server::TestServer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_tracing();
    faults::print_stderr_lines(args.stderr_lines);
    if args.exit_immediately {
        faults::exit_now();
    }
    if let Some(ms) = args.exit_after_ms {
        faults::exit_after(ms);
    }
    let server = TestServer::new(args.hang_initialize, args.extra_tools);
    tokio::select! {
        result = transport::serve(&args, server) => result,
        () = shutdown_signal() => Ok(()),
    }
}

/// rmcp's own diagnostics, at `warn` unless `MCP_TEST_SERVER_LOG` says otherwise.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCP_TEST_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// SIGTERM or SIGINT. As PID 1 in a container the process has no default handlers, so
/// without this `docker stop` would wait for its timeout.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => eprintln!("terminated by SIGTERM"),
        _ = int.recv() => eprintln!("interrupted by SIGINT"),
    }
}
