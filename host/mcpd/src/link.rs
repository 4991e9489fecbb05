//! How the runtime's instances meet the MCP proxy: the runtime's [`Link`] is an
//! [`UpstreamLink`], and the runtime is the proxy's [`LinkProvider`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mcp_proxy::{LinkProvider, ProxyError, SessionMode, UpstreamLink, UpstreamTransport};
use rmcp::model::CallToolRequestParams;
use runtime::{Endpoint, Link, Runtime};

/// An initialized MCP session with one instance.
pub struct ProxyLink(pub Arc<UpstreamLink>);

impl Link for ProxyLink {
    fn connect(
        endpoint: Endpoint,
        timeout: Duration,
    ) -> impl Future<Output = Result<Self, String>> + Send {
        let transport = match endpoint {
            Endpoint::Stdio(pipes) => UpstreamTransport::Stdio {
                reader: Box::new(pipes.reader),
                writer: Box::new(pipes.writer),
            },
            // Any server's own HTTP stack: a kept connection stalls ~40 ms per answer on one
            // without TCP_NODELAY (axum's default), so a new connection per request.
            Endpoint::Http { url, sse: false } => UpstreamTransport::StreamableHttp {
                url,
                keep_alive: false,
            },
            Endpoint::Http { url, sse: true } => UpstreamTransport::Sse { url },
        };
        async move {
            UpstreamLink::connect(transport, timeout)
                .await
                .map(|link| ProxyLink(Arc::new(link)))
                .map_err(|e| e.to_string())
        }
    }

    async fn probe(
        &self,
        timeout: Duration,
        tool: Option<(String, serde_json::Value)>,
    ) -> Result<(), String> {
        self.0.ping(timeout).await.map_err(|e| e.to_string())?;
        let Some((name, arguments)) = tool else {
            return Ok(());
        };
        let mut params = CallToolRequestParams::new(name.clone());
        if let serde_json::Value::Object(arguments) = arguments {
            params = params.with_arguments(arguments);
        }
        let result = tokio::time::timeout(timeout, self.0.peer().call_tool(params))
            .await
            .map_err(|_| {
                format!(
                    "probe tool {name} did not answer within {}s",
                    timeout.as_secs()
                )
            })?
            .map_err(|e| format!("probe tool {name}: {e}"))?;
        if result.is_error == Some(true) {
            return Err(format!("probe tool {name} returned an error"));
        }
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// The runtime, as the proxy sees it.
#[derive(Clone)]
pub struct RuntimeLinks(pub Arc<Runtime<ProxyLink>>);

impl LinkProvider for RuntimeLinks {
    async fn link(&self, server: &str, mode: SessionMode) -> Result<Arc<UpstreamLink>, ProxyError> {
        let unavailable = |e: runtime::RuntimeError| ProxyError::Unavailable {
            server: server.to_owned(),
            reason: e.to_string(),
        };
        match mode {
            SessionMode::Shared => self
                .0
                .link(server)
                .map(|link| Arc::clone(&link.0))
                .map_err(unavailable),
            SessionMode::Dedicated => self
                .0
                .dedicated_link(server)
                .await
                .map(|link| Arc::clone(&link.0))
                .map_err(unavailable),
        }
    }

    fn report_broken(&self, server: &str, _link: &Arc<UpstreamLink>) {
        self.0.report_broken(server);
    }

    fn session_mode(&self, server: &str) -> SessionMode {
        match self.0.session_mode(server) {
            resource_model::spec::SessionMode::Shared => SessionMode::Shared,
            resource_model::spec::SessionMode::Dedicated => SessionMode::Dedicated,
        }
    }
}
