//! `mcpctl mcp --project P`: what an MCP client such as Claude Code launches. Bridges the
//! client's STDIO (newline-delimited JSON-RPC) to the project's session on mcplocal,
//! starting mcplocal first when none runs.
//!
//! The bridge opens the project's `mcp-stdio` stream (`/projects/P/mcp-stream`, the STDIO
//! framing over one upgraded connection) and copies bytes both ways without reading them.
//! A mcplocal without that endpoint (404) gets the older bridge: each message parsed and
//! re-sent over streamable HTTP (`/projects/P/mcp`).
//!
//! Messages pass through in order in both directions, including the requests mcplocal
//! relays from servers (sampling, elicitation) and the client's answers to them. The bridge
//! ends when the client closes its stdin (the MCP session is then closed) or mcplocal goes
//! away.

use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::{RoleClient, RoleServer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::commands::Context;
use crate::error::CommandError;
use crate::local;
use crate::mcp_http;

pub fn mcp(context: &Context) -> Result<(), CommandError> {
    let project = context.require_project("mcp")?.to_owned();
    let mcpd_url = context.mcpd_url()?;
    let home = context.home()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CommandError::Usage(format!("cannot start the async runtime: {error}")))?;
    let outcome = runtime.block_on(async move {
        let base = local::ensure_running(&mcpd_url, home.dir()).await?;
        local::check_project(&base, &project).await?;
        let stream = local::project_stream_endpoint(&base, &project);
        match mcp_proxy::connect_stream(&stream).await {
            Ok((reader, writer)) => bridge_stream(&stream, reader, writer).await,
            Err(mcp_proxy::StreamError::Refused { status, .. }) if status.as_u16() == 404 => {
                bridge(&local::project_endpoint(&base, &project)).await
            }
            Err(error) => Err(CommandError::Bridge(error.to_string())),
        }
    });
    // When mcplocal ends the session first, a blocking read of stdin is still waiting for
    // the client; dropping the runtime would wait for it (until the client writes again).
    runtime.shutdown_background();
    outcome
}

/// How long the answers to what the client sent before closing its stdin may take to come
/// back.
const DRAIN_AFTER_STDIN_CLOSED: std::time::Duration = std::time::Duration::from_secs(2);

/// Copies the client's stdin to the stream and the stream to the client's stdout, as bytes
/// (tokio's `copy` flushes stdout whenever the stream has nothing more to read).
async fn bridge_stream(
    endpoint: &str,
    mut reader: impl AsyncRead + Unpin,
    mut writer: impl AsyncWrite + Unpin,
) -> Result<(), CommandError> {
    let mut stdout = tokio::io::stdout();
    let to_client = tokio::io::copy(&mut reader, &mut stdout);
    tokio::pin!(to_client);
    let to_local = async {
        let copied = tokio::io::copy(&mut tokio::io::stdin(), &mut writer).await;
        // End of the client's input: mcplocal ends the session when the stream's write
        // side closes.
        let _ = writer.shutdown().await;
        copied
    };
    tokio::select! {
        copied = &mut to_client => Err(CommandError::Bridge(match copied {
            Ok(_) => format!("mcplocal at {endpoint} closed the session"),
            Err(error) => format!("the session with mcplocal at {endpoint} broke: {error}"),
        })),
        _ = to_local => {
            let _ = tokio::time::timeout(DRAIN_AFTER_STDIN_CLOSED, to_client).await;
            Ok(())
        }
    }
}

async fn bridge(endpoint: &str) -> Result<(), CommandError> {
    let mut client: AsyncRwTransport<RoleServer, _, _> =
        AsyncRwTransport::new_server(tokio::io::stdin(), tokio::io::stdout());
    let mut proxy = mcp_http::transport(endpoint)?;
    let outcome = loop {
        tokio::select! {
            message = Transport::<RoleServer>::receive(&mut client) => {
                let Some(message) = message else { break Ok(()) };
                if let Err(error) = Transport::<RoleClient>::send(&mut proxy, message).await {
                    break Err(CommandError::Bridge(format!("cannot send to mcplocal at {endpoint}: {error}")));
                }
            }
            message = Transport::<RoleClient>::receive(&mut proxy) => {
                let Some(message) = message else {
                    break Err(CommandError::Bridge(format!("mcplocal at {endpoint} closed the session")));
                };
                if Transport::<RoleServer>::send(&mut client, message).await.is_err() {
                    // The client stopped reading: it is going away.
                    break Ok(());
                }
            }
        }
    };
    let _ = Transport::<RoleClient>::close(&mut proxy).await;
    outcome
}
