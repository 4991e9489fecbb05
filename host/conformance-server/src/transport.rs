//! Serving the fixtures over STDIO or streamable HTTP.
//!
//! Over HTTP, rmcp's streamable-HTTP service does the transport work the suite checks:
//! sessions for the revisions with `initialize`, stateless requests for `2026-07-28`, and
//! DNS-rebinding protection (a `Host` or `Origin` that is not loopback gets a 403).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::cli::Args;
use crate::server::{ConformanceServer, Shared};

/// Path of the MCP endpoint over HTTP.
pub const HTTP_PATH: &str = "/mcp";

/// Browser origins that may call the endpoint: the loopback names on any port. rmcp's
/// default `Host` allow-list is already the loopback names.
const LOCAL_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving HTTP on {addr} failed: {source}")]
    Http {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write the `listening on` line to stdout: {0}")]
    Announce(std::io::Error),
    #[error("the STDIO session failed to start: {0}")]
    StdioStart(Box<ServerInitializeError>),
    #[error("the STDIO session ended with an error: {0}")]
    StdioRun(tokio::task::JoinError),
}

pub async fn serve(args: &Args, shared: Arc<Shared>) -> Result<(), ServeError> {
    match args.listen {
        Some(addr) => serve_http(shared, addr).await,
        None => serve_stdio(shared).await,
    }
}

async fn serve_stdio(shared: Arc<Shared>) -> Result<(), ServeError> {
    eprintln!("serving MCP over stdio");
    let server = ConformanceServer::new_session(shared);
    let running = match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => running,
        // A client that leaves before `initialize` (a probe, a cancelled start) is no fault
        // of the server's.
        Err(ServerInitializeError::ConnectionClosed(_)) => {
            eprintln!("the client closed the connection before initialize");
            return Ok(());
        }
        Err(error) => return Err(ServeError::StdioStart(Box::new(error))),
    };
    running.waiting().await.map_err(ServeError::StdioRun)?;
    Ok(())
}

async fn serve_http(shared: Arc<Shared>, addr: SocketAddr) -> Result<(), ServeError> {
    let config = StreamableHttpServerConfig::default().with_allowed_origins(LOCAL_ORIGINS);
    // One handler per session (per request for stateless `2026-07-28`); the fixtures' state
    // that outlives a request is in `Shared`.
    let service = StreamableHttpService::new(
        move || Ok(ConformanceServer::new_session(shared.clone())),
        LocalSessionManager::default().into(),
        config,
    );
    let router = axum::Router::new().nest_service(HTTP_PATH, service);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    announce(bound)?;
    // Without TCP_NODELAY a client that keeps its connection waits for a delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .await
        .map_err(|source| ServeError::Http {
            addr: bound,
            source,
        })
}

/// Tests and scripts wait for this line to learn the port.
fn announce(bound: SocketAddr) -> Result<(), ServeError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{bound}{HTTP_PATH}").map_err(ServeError::Announce)?;
    stdout.flush().map_err(ServeError::Announce)
}
