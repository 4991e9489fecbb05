//! `mcp-bench`: the load client of `cargo xtask bench runtime`. Each subcommand measures one
//! thing and prints one JSON object on stdout; xtask drives it and builds the table.
//!
//! - `image`: builds (or finds) the Docker image of `mcp-test-server`
//!   (`test_support::test_server_image()`; set `MCP_TEST_SERVER_BIN` to the binary).
//! - `calls`: sequential `tools/call echo` round trips over streamable HTTP (`--url`) or the
//!   STDIO pipes of a child (`--stdio`), in one or more sessions at once: percentiles and
//!   throughput.
//! - `list`: repeated `tools/list` on one warm streamable-HTTP session: the first page and
//!   the whole list (every page), percentiles.
//! - `http`: plain HTTP round trips (keep-alive, reqwest) to a URL: the floor under an MCP
//!   call over HTTP.
//! - `first-call`: `POST /api/v1/servers` to mcpd, then the first successful `tools/call`
//!   through mcpd, with the phases in between.
//! - `spawn-call`: spawn a STDIO server command (`mcp-test-server`, `docker run -i --rm IMAGE`),
//!   initialize, call once: the baseline of create-to-first-call.
//!
//! Every loop is bounded by a count and every run by `--timeout-s`.

mod calls;
mod lists;
mod procstat;
mod startup;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "mcp-bench", version)]
struct Args {
    /// Worker threads of the client's async runtime (1: a current-thread runtime).
    #[arg(long, default_value_t = 1, global = true)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build or find the test server's Docker image; prints {"image": TAG}.
    Image,
    /// tools/call latency and throughput.
    Calls {
        /// Streamable-HTTP endpoint (`http://127.0.0.1:P/mcp`, `http://MCPD/api/v1/mcp/NAME`).
        #[arg(long, required_unless_present_any = ["stdio", "stream"], conflicts_with_all = ["stdio", "stream"])]
        url: Option<String>,
        /// A STDIO server binary to spawn; its sessions share the child's one MCP session.
        #[arg(long, conflicts_with = "stream")]
        stdio: Option<PathBuf>,
        /// An `mcp-stdio` stream endpoint of mcpd (`http://MCPD/api/v1/mcp-stream/NAME`).
        #[arg(long)]
        stream: Option<String>,
        /// Sessions calling at once (each one call at a time).
        #[arg(long, default_value_t = 1)]
        sessions: usize,
        /// Measured calls per session.
        #[arg(long, default_value_t = 2000)]
        calls: usize,
        /// Unmeasured calls per session first.
        #[arg(long, default_value_t = 200)]
        warmup: usize,
        /// The text `echo` returns.
        #[arg(long, default_value = "hello from mcp-bench")]
        text: String,
        /// Give the HTTP client a pooled reqwest client (rmcp's default opens a new TCP
        /// connection per request). `MCP_BENCH_KEEP_ALIVE=true` sets it for every run of a
        /// `cargo xtask bench` (the pooled-client rows of BENCHMARKS.md).
        #[arg(long, env = "MCP_BENCH_KEEP_ALIVE")]
        keep_alive: bool,
        /// Also report CPU time and context switches per call of this process (LABEL=PID;
        /// repeatable). The client and a `--stdio` child are always reported.
        #[arg(long, value_parser = procstat::parse_watch)]
        watch: Vec<(String, u32)>,
        #[arg(long, default_value_t = 300)]
        timeout_s: u64,
    },
    /// tools/list latency on one warm session: first page and all pages.
    List {
        /// Streamable-HTTP endpoint.
        #[arg(long)]
        url: String,
        /// Measured full lists.
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        /// Unmeasured full lists first.
        #[arg(long, default_value_t = 20)]
        warmup: usize,
        /// A pooled reqwest client (see `calls --keep-alive`).
        #[arg(long, env = "MCP_BENCH_KEEP_ALIVE")]
        keep_alive: bool,
        /// `--url` is an `mcp-stdio` stream endpoint (mcpd's `/api/v1/mcp-stream/NAME`,
        /// mcplocal's `/projects/P/mcp-stream`).
        #[arg(long)]
        stream: bool,
        #[arg(long, default_value_t = 300)]
        timeout_s: u64,
    },
    /// Plain HTTP round trips on one keep-alive connection.
    Http {
        #[arg(long)]
        url: String,
        /// GET, or POST with a small JSON-RPC body.
        #[arg(long, default_value = "GET")]
        method: String,
        /// A new TCP connection per request (no keep-alive).
        #[arg(long)]
        fresh: bool,
        #[arg(long, default_value_t = 2000)]
        calls: usize,
        #[arg(long, default_value_t = 200)]
        warmup: usize,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
    /// Create a server through mcpd's API and time its first successful tools/call.
    FirstCall {
        /// mcpd's base URL, `http://127.0.0.1:PORT`.
        #[arg(long)]
        mcpd: String,
        #[arg(long)]
        name: String,
        /// The server's spec fields as a JSON object (`{"command": "/path"}`).
        #[arg(long)]
        spec: String,
        /// Delete the server afterwards and wait until its instances are gone.
        #[arg(long)]
        delete: bool,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
    /// Spawn a STDIO server command, initialize, call echo once, close.
    SpawnCall {
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let result = runtime.block_on(run(args.command))?;
    println!("{result}");
    Ok(())
}

async fn run(command: Command) -> anyhow::Result<serde_json::Value> {
    let bounded = |seconds: u64| Duration::from_secs(seconds);
    let outcome = match command {
        Command::Image => Ok(serde_json::json!({ "image": test_support::test_server_image() })),
        Command::Calls {
            url,
            stdio,
            stream,
            sessions,
            calls,
            warmup,
            text,
            keep_alive,
            watch,
            timeout_s,
        } => {
            let target = match (url, stdio, stream) {
                (Some(url), _, _) => calls::Target::Http(url),
                (None, Some(program), _) => calls::Target::Stdio(program),
                (None, None, Some(url)) => calls::Target::Stream(url),
                (None, None, None) => anyhow::bail!("--url, --stdio or --stream is required"),
            };
            let options = calls::Options {
                sessions: sessions.clamp(1, 256),
                watch,
                keep_alive,
                calls,
                warmup,
                text,
            };
            within(bounded(timeout_s), calls::run(target, options)).await
        }
        Command::List {
            url,
            rounds,
            warmup,
            keep_alive,
            stream,
            timeout_s,
        } => {
            let target = if stream {
                lists::Endpoint::Stream(url)
            } else {
                lists::Endpoint::Http { url, keep_alive }
            };
            within(
                bounded(timeout_s),
                lists::run(target, rounds.clamp(1, 100_000), warmup),
            )
            .await
        }
        Command::Http {
            url,
            method,
            fresh,
            calls,
            warmup,
            timeout_s,
        } => {
            within(
                bounded(timeout_s),
                calls::http(url, method, fresh, calls, warmup),
            )
            .await
        }
        Command::FirstCall {
            mcpd,
            name,
            spec,
            delete,
            timeout_s,
        } => startup::first_call(&mcpd, &name, &spec, delete, bounded(timeout_s)).await,
        Command::SpawnCall { timeout_s, command } => {
            startup::spawn_call(&command, bounded(timeout_s)).await
        }
    };
    outcome.map_err(|message| anyhow::anyhow!(message))
}

/// Runs `future`, failing after `limit`.
async fn within<T>(
    limit: Duration,
    future: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(limit, future)
        .await
        .map_err(|_| format!("did not finish within {} s", limit.as_secs()))?
}
