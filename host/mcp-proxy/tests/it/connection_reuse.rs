//! Keep-alive streamable-HTTP links keep their HTTP connections: requests over one link, and
//! over links to the same host, reuse a few TCP connections instead of opening one per
//! request, and a kept connection does not wait for a delayed ACK. Links without keep-alive
//! open one per request (rmcp's default client).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::serve::ListenerExt;
use mcp_proxy::{UpstreamLink, UpstreamTransport};
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use crate::support::within;

/// Answers `initialize` and `ping` (rmcp's defaults), nothing else.
#[derive(Clone)]
struct PingOnly;

impl ServerHandler for PingOnly {}

/// Serves [`PingOnly`] over streamable HTTP on a loopback port, counting accepted TCP
/// connections (each with `TCP_NODELAY`, as mcpd and mcplocal set it).
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let service = StreamableHttpService::new(
        || Ok(PingOnly),
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let listener = listener.tap_io(move |tcp| {
        counter.fetch_add(1, Ordering::SeqCst);
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, accepted)
}

async fn link_to(url: &str, keep_alive: bool) -> UpstreamLink {
    UpstreamLink::connect(
        UpstreamTransport::StreamableHttp {
            url: url.to_owned(),
            keep_alive,
        },
        Duration::from_secs(10),
    )
    .await
    .unwrap()
}

const PINGS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_http_links_reuse_connections_without_stalling() {
    within(60, async {
        let (url, accepted) = counting_server().await;
        let first = link_to(&url, true).await;
        let second = link_to(&url, true).await;
        let before = accepted.load(Ordering::SeqCst);

        let mut round_trips = Vec::with_capacity(2 * PINGS);
        for _ in 0..PINGS {
            for link in [&first, &second] {
                round_trips.push(link.ping(Duration::from_secs(5)).await.unwrap());
            }
        }
        let opened = accepted.load(Ordering::SeqCst) - before;
        // Without reuse every ping is a new connection (120 here). With it, the pings take
        // turns on kept connections: none at all when idle, a few under load, when a ping
        // is sent while the previous answer's stream is still being read to its end.
        assert!(
            opened <= PINGS / 2,
            "{} pings over two links opened {opened} new TCP connections ({before} before them)",
            2 * PINGS
        );
        // A connection stalled by the delayed ACK answers ~40 ms late, every time.
        round_trips.sort();
        let median = round_trips[round_trips.len() / 2];
        assert!(
            median < Duration::from_millis(20),
            "median ping over a kept connection took {median:?}"
        );
        first.close();
        second.close();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_a_link_without_keep_alive_open_a_connection_each() {
    within(60, async {
        let (url, accepted) = counting_server().await;
        let link = link_to(&url, false).await;
        let before = accepted.load(Ordering::SeqCst);
        for _ in 0..PINGS {
            link.ping(Duration::from_secs(5)).await.unwrap();
        }
        let opened = accepted.load(Ordering::SeqCst) - before;
        assert!(
            opened >= PINGS,
            "{PINGS} pings opened only {opened} new TCP connections"
        );
        link.close();
    })
    .await;
}
