//! The HTTP client under every streamable-HTTP upstream link: one per process, so links to the
//! same host (mcplocal's links to mcpd, mcpd's links to one HTTP instance) share a pool of
//! kept connections.
//!
//! rmcp's default client keeps no idle connection (`pool_max_idle_per_host(0)`), which costs a
//! new TCP connection, about 115 µs on loopback, per request, and on a non-loopback upstream
//! fills the local port range with TIME_WAIT sockets under load. rmcp does that to dodge a
//! ~40 ms stall: a server without `TCP_NODELAY` holds the second write of an SSE answer until
//! the client's delayed ACK. mcpd, mcplocal and the test server set `TCP_NODELAY` on accepted
//! connections, and rmcp's client reads an answer's SSE body to its end before the connection
//! goes back to the pool; `tcp_nodelay(true)` here covers the client's own writes.

use std::sync::OnceLock;

/// Most same-origin redirects one request follows (rmcp's default client allows as many).
const MAX_REDIRECTS: usize = 10;

static SHARED: OnceLock<reqwest::Client> = OnceLock::new();

/// The process's pooled client for streamable-HTTP upstreams (built on first use).
///
/// A pooled connection is driven by a task on the runtime that opened it; a process with one
/// runtime (mcpd, mcplocal) is the intended user. A connection whose runtime has gone is seen
/// closed and not reused.
pub fn shared_http_client() -> Result<reqwest::Client, reqwest::Error> {
    if let Some(client) = SHARED.get() {
        return Ok(client.clone());
    }
    let built = pooled_http_client()?;
    Ok(SHARED.get_or_init(|| built).clone())
}

/// A new client that keeps idle connections (reqwest's default pool), sets `TCP_NODELAY`, and
/// follows redirects like rmcp's default client: see [`same_origin_redirect_policy`].
pub fn pooled_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .redirect(same_origin_redirect_policy())
        .build()
}

/// rmcp's rule for its default client (not exported by rmcp 3.11): only same-origin 307 and
/// 308 redirects are followed, at most [`MAX_REDIRECTS`]. Those keep the method and body of a
/// POST; a 301/302/303 would turn it into a bodyless GET, and a cross-origin hop would hand
/// the session id and custom headers to another host, so both come back to the caller as
/// the redirect response itself.
pub fn same_origin_redirect_policy() -> reqwest::redirect::Policy {
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
