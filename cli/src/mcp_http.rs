//! The streamable-HTTP client transport of `mcpctl mcp` and `mcpctl console` towards
//! mcplocal: one pooled HTTP client, so the requests of a session reuse kept connections
//! instead of opening one per request as rmcp's default client does.
//!
//! mcplocal sets `TCP_NODELAY` on accepted connections, so a kept connection does not wait
//! for the delayed ACK that made rmcp turn pooling off. The redirect rule is rmcp's (not
//! exported by rmcp 3.11; mcp-proxy's `same_origin_redirect_policy` is the same rule, not
//! shared to keep axum and the proxy out of the CLI).

use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

use crate::error::CommandError;

/// Most same-origin redirects one request follows (as rmcp's default client).
const MAX_REDIRECTS: usize = 10;

/// A client transport to the MCP endpoint `endpoint` over a pooled HTTP client.
pub fn transport(
    endpoint: &str,
) -> Result<StreamableHttpClientTransport<reqwest::Client>, CommandError> {
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .redirect(same_origin_redirects())
        .build()
        .map_err(|error| {
            CommandError::Bridge(format!(
                "cannot build the HTTP client for {endpoint}: {error}"
            ))
        })?;
    Ok(StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(endpoint.to_owned()),
    ))
}

/// Follows only same-origin 307/308 redirects (they keep a POST's method and body, and the
/// session id stays with the same host); any other redirect is returned as is.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let keeps_body = matches!(
            attempt.status(),
            reqwest::StatusCode::TEMPORARY_REDIRECT | reqwest::StatusCode::PERMANENT_REDIRECT
        );
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|original| original.origin() == attempt.url().origin());
        if !keeps_body || !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("exceeded {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}
