//! Socket settings for the connections mcpd and mcplocal accept and the streams they open.

use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;

/// Idle time before the first keepalive probe.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
/// Time between unanswered probes (the kernel gives up after its probe count, 9 on Linux).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// `TCP_NODELAY` (an answer written in more than one write is not held back until the
/// peer's delayed ACK, ~40 ms) and TCP keepalive (a long-lived stream or event stream from a
/// host that vanished is closed within a few minutes instead of holding its session).
pub fn tune_tcp(tcp: &TcpStream) -> std::io::Result<()> {
    tcp.set_nodelay(true)?;
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL);
    SockRef::from(tcp).set_tcp_keepalive(&keepalive)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn both_ends_get_nodelay_and_keepalive() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        for tcp in [&client, &server] {
            assert!(!SockRef::from(tcp).keepalive().unwrap());
            tune_tcp(tcp).unwrap();
            assert!(tcp.nodelay().unwrap());
            assert!(SockRef::from(tcp).keepalive().unwrap());
        }
    }
}
