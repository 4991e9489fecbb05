//! Serving the handler over STDIO or streamable HTTP.

use rmcp::ServiceExt;
use rmcp::service::ServerInitializeError;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::cli::{Args, TransportKind};
use crate::server::TestServer;

/// Path of the MCP endpoint in streamable-HTTP mode.
pub const HTTP_PATH: &str = "/mcp";

pub async fn serve(args: &Args, server: TestServer) -> anyhow::Result<()> {
    match args.transport {
        TransportKind::Stdio => serve_stdio(server).await,
        TransportKind::StreamableHttp => {
            let port = args
                .port
                .ok_or_else(|| anyhow::anyhow!("--transport streamable-http needs --port"))?;
            serve_streamable_http(server, port).await
        }
    }
}

async fn serve_stdio(server: TestServer) -> anyhow::Result<()> {
    eprintln!("serving MCP over stdio");
    if server.hangs_on_initialize() {
        // Read and ignore everything until the client goes away, so the process ends with
        // the connection.
        tokio::io::copy(&mut tokio::io::stdin(), &mut tokio::io::sink()).await?;
        return Ok(());
    }
    let running = match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => running,
        // A client that goes away before `initialize` (a probe, a cancelled start) is no
        // fault of the server's.
        Err(ServerInitializeError::ConnectionClosed(_)) => {
            eprintln!("the client closed the connection before initialize");
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    };
    running.waiting().await?;
    Ok(())
}

async fn serve_streamable_http(server: TestServer, port: u16) -> anyhow::Result<()> {
    // The server runs in containers and is reached by container name or address, so any
    // `Host` header is accepted (rmcp's default allows only loopback names).
    let config = StreamableHttpServerConfig::default().disable_allowed_hosts();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let router = axum::Router::new().nest_service(HTTP_PATH, service);
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    // Tests and the runtime wait for this line.
    eprintln!("listening on http://{}{HTTP_PATH}", listener.local_addr()?);
    // Without TCP_NODELAY a client that keeps its connection waits for a delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router).await?;
    Ok(())
}
