//! MCP over an upgraded HTTP/1.1 connection: the STDIO framing (newline-delimited JSON-RPC,
//! both directions, one session per connection) after a `101 Switching Protocols` to
//! [`STREAM_PROTOCOL`].
//!
//! This is the hop between our own programs (mcplocal → mcpd, `mcpctl mcp` → mcplocal):
//! streamable HTTP costs a POST, a session lookup and an SSE response per message, while a
//! stream costs a write and a read, as a STDIO pipe does. Clients that speak only the
//! standard transports keep using streamable HTTP on the same server.
//!
//! ```text
//! GET /api/v1/mcp-stream/{server} HTTP/1.1      HTTP/1.1 101 Switching Protocols
//! Connection: Upgrade                    -->     Connection: Upgrade
//! Upgrade: mcp-stdio                             Upgrade: mcp-stdio
//!                                                (then JSON-RPC lines both ways)
//! ```

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rmcp::ServerHandler;
use rmcp::ServiceExt;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The `Upgrade` token: MCP's STDIO framing over the connection.
pub const STREAM_PROTOCOL: &str = "mcp-stdio";

/// Where mcpd serves a server's MCP session as a stream; `{server}` is the server's name.
pub const MCP_STREAM_ROUTE: &str = "/api/v1/mcp-stream/{server}";

/// How much of a refusal's body a [`StreamError::Refused`] keeps.
const REFUSAL_BODY_BYTES: usize = 512;

/// What can fail while opening a stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The URL is not `http://host[:port]/path`.
    #[error("{url:?} is not an http:// URL with a host")]
    BadUrl { url: String },

    /// No TCP connection to the server.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: std::io::Error,
    },

    /// The HTTP exchange before the switch failed.
    #[error("HTTP upgrade request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: hyper::Error,
    },

    /// The server answered something else than `101 Switching Protocols`.
    #[error("{url} refused the {STREAM_PROTOCOL} upgrade: {status} {message}")]
    Refused {
        url: String,
        status: StatusCode,
        message: String,
    },
}

/// Opens a stream to `url` (e.g. `http://127.0.0.1:3100/api/v1/mcp-stream/time`): the reader
/// and writer halves of the upgraded connection, ready for [`AsyncRwTransport`].
pub async fn connect_stream(
    url: &str,
) -> Result<
    (
        impl AsyncRead + Send + Unpin + 'static,
        impl AsyncWrite + Send + Unpin + 'static,
    ),
    StreamError,
> {
    let bad_url = || StreamError::BadUrl {
        url: url.to_owned(),
    };
    let uri: http::Uri = url.parse().map_err(|_| bad_url())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad_url());
    }
    let authority = uri.authority().ok_or_else(bad_url)?.clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let connect_error = |source| StreamError::Connect {
        url: url.to_owned(),
        source,
    };
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(connect_error)?;
    // One JSON-RPC message is one write; without TCP_NODELAY, Nagle holds a write while an
    // earlier one waits for its ACK. Keepalive ends the link if mcpd's host vanishes.
    crate::tune_tcp(&tcp).map_err(connect_error)?;
    let http_error = |source| StreamError::Http {
        url: url.to_owned(),
        source,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(http_error)?;
    tokio::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            tracing::debug!("stream connection ended: {error}");
        }
    });
    let path = uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or("/");
    let request = Request::get(path)
        .header(header::HOST, authority.as_str())
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, STREAM_PROTOCOL)
        .body(Empty::<Bytes>::new())
        .map_err(|_| bad_url())?;
    let mut response = sender.send_request(request).await.map_err(http_error)?;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let status = response.status();
        let body = Limited::new(response.into_body(), REFUSAL_BODY_BYTES)
            .collect()
            .await
            .map(|body| String::from_utf8_lossy(&body.to_bytes()).trim().to_owned())
            .unwrap_or_default();
        return Err(StreamError::Refused {
            url: url.to_owned(),
            status,
            message: body,
        });
    }
    let upgraded = hyper::upgrade::on(&mut response)
        .await
        .map_err(http_error)?;
    Ok(tokio::io::split(TokioIo::new(upgraded)))
}

/// Whether the request asks for [`STREAM_PROTOCOL`] (`Connection: Upgrade` and
/// `Upgrade: mcp-stdio`, both case-insensitive).
pub fn wants_stream(headers: &HeaderMap) -> bool {
    let connection_upgrade = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    let protocol = headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case(STREAM_PROTOCOL));
    connection_upgrade && protocol
}

/// How many stream sessions a server keeps open at once unless told otherwise.
pub const DEFAULT_MAX_STREAM_SESSIONS: usize = 1024;

/// Settings of the serving side. Clones share one count of open sessions.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    max_line_bytes: usize,
    max_sessions: usize,
    sessions: Arc<Semaphore>,
    cancellation_token: CancellationToken,
}

impl StreamConfig {
    /// Lines longer than `max_line_bytes` are dropped (and logged) by rmcp's reader, which
    /// never buffers more; at most `max_sessions` sessions are open at once (more get 503);
    /// cancelling `cancellation_token` ends them all (shutdown).
    pub fn new(
        max_line_bytes: usize,
        max_sessions: usize,
        cancellation_token: CancellationToken,
    ) -> Self {
        Self {
            max_line_bytes,
            max_sessions,
            sessions: Arc::new(Semaphore::new(max_sessions)),
            cancellation_token,
        }
    }
}

/// Answers an upgrade request and serves one MCP session with the handler `make_handler`
/// builds over the upgraded connection, until the client closes it or `config`'s token is
/// cancelled. A request that is not a `GET` with the upgrade headers gets `405` or `426`,
/// one over the session limit `503`, each with a one-line reason (and no handler is made).
pub fn accept_stream<H: ServerHandler>(
    mut request: Request<Body>,
    config: &StreamConfig,
    make_handler: impl FnOnce() -> H,
) -> Response {
    if request.method() != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, HeaderValue::from_static("GET"))],
            format!("an MCP stream is opened with GET and `Upgrade: {STREAM_PROTOCOL}`\n"),
        )
            .into_response();
    }
    if !wants_stream(request.headers()) {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [
                (header::UPGRADE, HeaderValue::from_static(STREAM_PROTOCOL)),
                (header::CONNECTION, HeaderValue::from_static("Upgrade")),
            ],
            format!(
                "this endpoint speaks MCP over an upgraded connection: send `Connection: Upgrade` and `Upgrade: {STREAM_PROTOCOL}`\n"
            ),
        )
            .into_response();
    }
    let Ok(session) = config.sessions.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} MCP stream sessions are open, the most this server keeps; close one and retry\n",
                config.max_sessions
            ),
        )
            .into_response();
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let max_line_bytes = config.max_line_bytes;
    let ct = config.cancellation_token.child_token();
    let handler = make_handler();
    tokio::spawn(async move {
        serve_upgraded(upgrade, max_line_bytes, ct, handler).await;
        drop(session);
    });
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, HeaderValue::from_static("Upgrade")),
            (header::UPGRADE, HeaderValue::from_static(STREAM_PROTOCOL)),
        ],
    )
        .into_response()
}

async fn serve_upgraded<H: ServerHandler>(
    upgrade: hyper::upgrade::OnUpgrade,
    max_line_bytes: usize,
    ct: CancellationToken,
    handler: H,
) {
    let upgraded = match upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!("an MCP stream upgrade did not complete: {error}");
            return;
        }
    };
    let (reader, writer) = tokio::io::split(TokioIo::new(upgraded));
    let transport =
        AsyncRwTransport::new_server(reader, writer).with_max_line_length(max_line_bytes);
    match handler.serve_with_ct(transport, ct).await {
        Ok(running) => {
            if let Err(error) = running.waiting().await {
                tracing::debug!("an MCP stream session ended badly: {error}");
            }
        }
        Err(error) => tracing::debug!("an MCP stream closed before initialize: {error}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_upgrade_needs_both_headers_in_any_case() {
        assert!(wants_stream(&headers(&[
            (header::CONNECTION, "keep-alive, Upgrade"),
            (header::UPGRADE, "MCP-STDIO"),
        ])));
        assert!(!wants_stream(&headers(&[(header::UPGRADE, "mcp-stdio")])));
        assert!(!wants_stream(&headers(&[
            (header::CONNECTION, "upgrade"),
            (header::UPGRADE, "websocket"),
        ])));
    }

    #[tokio::test]
    async fn urls_that_are_not_plain_http_are_refused_before_connecting() {
        for url in [
            "https://localhost/x",
            "localhost:80/x",
            "http:///x",
            "not a url",
        ] {
            let error = connect_stream(url).await.err().unwrap();
            assert!(
                matches!(error, StreamError::BadUrl { .. }),
                "{url}: {error}"
            );
        }
    }
}
