//! How mcpd reaches a started instance's MCP channel.

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// The pipes of a STDIO server: what it writes to stdout, and its stdin.
pub struct StdioPipes {
    pub reader: Pin<Box<dyn AsyncRead + Send>>,
    pub writer: Pin<Box<dyn AsyncWrite + Send>>,
}

impl std::fmt::Debug for StdioPipes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StdioPipes(..)")
    }
}

/// Where an instance's MCP traffic goes.
#[derive(Debug)]
pub enum Endpoint {
    Stdio(StdioPipes),
    /// Streamable HTTP (or SSE) at this URL.
    Http {
        url: String,
        sse: bool,
    },
}
