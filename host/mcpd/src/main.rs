//! The `mcpd` binary: flags, logging, and the daemon's lifetime.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use mcpd::config::{self, Overrides};

/// mcpctl's daemon: stores MCP server, secret, template, project and prompt resources and
/// serves the REST API that mcpctl and mcplocal use.
#[derive(Debug, Parser)]
#[command(name = "mcpd", version)]
struct Args {
    /// Address to listen on [default: 127.0.0.1:3000]; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// postgres://user:password@host/db for PostgreSQL; otherwise a SQLite file
    /// [default: $MCPCTL_HOME/mcpd.db].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Threads that run mcpd's async work [default: one per CPU]. One thread forwards MCP
    /// messages with fewer thread hand-offs (BENCHMARKS.md, "Threads"); more keep a heavy
    /// request (a large apply) from holding up the others.
    #[arg(long, value_name = "N", env = "MCPD_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    worker_threads: Option<u16>,
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn run(args: Args) -> anyhow::Result<()> {
    let home = config::mcpctl_home();
    let config = config::load(
        &home,
        Overrides {
            listen: args.listen,
            database_url: args.database_url,
        },
    )?;
    let (listener, state) = mcpd::prepare(&config).await?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        database = %store::redact(&config.database_url),
        backend = state.store.backend().as_str(),
        "mcpd ready"
    );
    // Scripts and tests wait for this line: the store is migrated and the port is open.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "mcpd listening on http://{addr}")?;
    stdout.flush()?;
    mcpd::serve(listener, state, config.max_body_bytes, shutdown_signal()).await?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCPD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.worker_threads {
        builder.worker_threads(usize::from(threads));
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("mcpd: error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mcpd: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
