//! The `mcplocal` binary: flags, logging, and the proxy's lifetime.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mcplocal::McpdTransport;
use mcplocal::server::{self, DEFAULT_LISTEN, LocalConfig, Mcplocal};

/// mcpctl's local proxy: one MCP endpoint per project (`/projects/NAME/mcp`), merging the
/// project's servers and routing every call through mcpd.
#[derive(Debug, Parser)]
#[command(name = "mcplocal", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", env = "MCPLOCAL_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// mcpd's URL [default: the one `mcpctl login` saved in $MCPCTL_HOME/login.yaml, else
    /// http://127.0.0.1:3000].
    #[arg(long, value_name = "URL", env = "MCPLOCAL_MCPD_URL")]
    mcpd_url: Option<String>,
    /// How to reach mcpd's MCP endpoints: `stream` (one upgraded connection per server,
    /// falling back to `http` where mcpd gives none) or `http` (streamable HTTP).
    #[arg(
        long,
        value_name = "TRANSPORT",
        env = "MCPLOCAL_MCPD_TRANSPORT",
        value_enum,
        default_value_t
    )]
    mcpd_transport: McpdTransport,
    /// Threads that run mcplocal's async work. One (the default) forwards each message with
    /// fewer thread hand-offs: less CPU and latency per call (BENCHMARKS.md, "Threads");
    /// blocking work (JS stages, plugin calls that wait) runs off it.
    #[arg(long, value_name = "N", env = "MCPLOCAL_WORKER_THREADS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    worker_threads: u16,
}

/// `$MCPCTL_HOME`, else `~/.mcpctl`.
fn mcpctl_home() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    non_empty("MCPCTL_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".mcpctl")))
}

/// The mcpd URL `mcpctl login` saved, if any.
fn saved_mcpd_url() -> anyhow::Result<Option<String>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Login {
        mcpd_url: String,
    }
    let Some(path) = mcpctl_home().map(|home| home.join("login.yaml")) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let login: Login = serde_yaml_ng::from_str(&text).with_context(|| {
        format!(
            "{} is malformed; run 'mcpctl login --mcpd-url URL'",
            path.display()
        )
    })?;
    Ok(Some(login.mcpd_url))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = interrupt.await;
        return;
    };
    tokio::select! {
        _ = interrupt => {},
        _ = term.recv() => {},
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mcpd_url = match args.mcpd_url {
        Some(url) => url,
        None => saved_mcpd_url()?.unwrap_or_else(|| "http://127.0.0.1:3000".to_owned()),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut config = LocalConfig::new(&mcpd_url);
    config.home = mcpctl_home();
    config.mcpd_transport = args.mcpd_transport;
    let state = Mcplocal::new(config);
    tracing::info!(%addr, mcpd = %mcpd_url, "mcplocal ready");
    // Scripts, tests and `mcpctl mcp` wait for this line.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "mcplocal listening on http://{addr}")?;
    stdout.flush()?;
    let app = server::router(state.clone());
    // Answers go out at once: without this, a client that keeps its connection waits for the
    // delayed ACK (~40 ms) on every call.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = mcp_proxy::tune_tcp(tcp) {
            tracing::debug!(%error, "cannot set TCP_NODELAY or keepalive");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    state.close().await;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCPLOCAL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::from(args.worker_threads))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcplocal: error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mcplocal: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
