//! `mcpctl mcp --project P`: what an MCP client such as Claude Code launches. Bridges the
//! client's STDIO (newline-delimited JSON-RPC) to the project's endpoint on mcplocal
//! (streamable HTTP), starting mcplocal first when none runs.
//!
//! Messages pass through in order in both directions, including the requests mcplocal
//! relays from servers (sampling, elicitation) and the client's answers to them. The bridge
//! ends when the client closes its stdin (the MCP session is then closed) or mcplocal goes
//! away.

use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::{RoleClient, RoleServer};

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
    runtime.block_on(async move {
        let base = local::ensure_running(&mcpd_url, home.dir()).await?;
        local::check_project(&base, &project).await?;
        bridge(&local::project_endpoint(&base, &project)).await
    })
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
