//! The `mcp-stdio` stream endpoint: a session over one upgraded connection shares the link
//! with streamable-HTTP sessions and gets its progress; what is not a stream request is
//! refused with a status and a one-line reason.

use std::time::Duration;

use mcp_proxy::{ProxyConfig, StreamError, connect_stream};
use rmcp::ServiceExt;
use rmcp::model::{ClientRequest, ServerResult};
use rmcp::service::PeerRequestOptions;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Proxy, Recorder, everything_server, text_of, tool_call, within};

impl Proxy {
    pub fn stream_url(&self, server: &str) -> String {
        format!("http://{}/api/v1/mcp-stream/{server}", self.addr)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_session_shares_the_link_and_gets_its_progress() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let over_http = proxy.connect("everything", Recorder::new("http")).await;
        let recorder = Recorder::new("stream");
        let (reader, writer) = connect_stream(&proxy.stream_url("everything"))
            .await
            .unwrap();
        let client = recorder.clone().serve((reader, writer)).await.unwrap();
        assert_eq!(proxy.provider.links_made(), 1, "one shared link for both");
        let info = client.peer_info().unwrap();
        assert!(info.capabilities.tools.is_some(), "{info:?}");

        let result = client
            .call_tool(tool_call("echo", json!({ "message": "over a stream" })))
            .await
            .unwrap();
        assert!(text_of(&result).contains("over a stream"), "{result:?}");

        let steps = 3;
        let request = ClientRequest::CallToolRequest(rmcp::model::CallToolRequest::new(tool_call(
            "trigger-long-running-operation",
            json!({ "duration": 1, "steps": steps }),
        )));
        let handle = client
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .unwrap();
        let token = handle.progress_token.clone();
        let ServerResult::CallToolResult(done) = handle.await_response().await.unwrap() else {
            panic!("not a tool result");
        };
        assert!(text_of(&done).contains("completed"), "{done:?}");
        assert!(
            recorder
                .wait_for(Duration::from_secs(5), |r| r.progress.lock().unwrap().len()
                    >= steps)
                .await
        );
        let progress = recorder.progress.lock().unwrap().clone();
        assert!(
            progress.iter().all(|p| p.progress_token == token),
            "{progress:?}"
        );

        // The HTTP session still works beside it.
        let result = over_http
            .call_tool(tool_call("echo", json!({ "message": "over http" })))
            .await
            .unwrap();
        assert!(text_of(&result).contains("over http"));
        client.cancel().await.unwrap();
        over_http.cancel().await.unwrap();
    })
    .await;
}

/// Sends `request` as raw bytes and returns the answer's head and body (as far as its
/// `content-length` says).
async fn raw(proxy: &Proxy, request: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|n| n.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        let read = tcp.read(&mut chunk).await.unwrap();
        if read == 0 {
            return text;
        }
        answer.extend_from_slice(&chunk[..read]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_stream_request_is_refused_with_a_reason() {
    within(60, async {
        // Refusals come before any upstream is started.
        let proxy = Proxy::start(everything_server()).await;

        let plain = raw(
            &proxy,
            "GET /api/v1/mcp-stream/everything HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(plain.starts_with("HTTP/1.1 426"), "{plain}");
        assert!(plain.to_ascii_lowercase().contains("upgrade: mcp-stdio"), "{plain}");
        assert!(plain.contains("send `Connection: Upgrade`"), "{plain}");

        let post = raw(
            &proxy,
            "POST /api/v1/mcp-stream/everything HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");

        let foreign = raw(
            &proxy,
            "GET /api/v1/mcp-stream/everything HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: mcp-stdio\r\n\r\n",
        )
        .await;
        assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign}");
        assert!(foreign.contains("evil.example"), "{foreign}");

        let error = connect_stream(&format!("http://{}/api/v1/mcp-stream/Bad_Name", proxy.addr))
            .await
            .err()
            .unwrap();
        match &error {
            StreamError::Refused {
                status, message, ..
            } => {
                assert_eq!(status.as_u16(), 400);
                assert!(message.contains("Bad_Name"), "{message}");
            }
            other => panic!("{other}"),
        }
        assert_eq!(proxy.provider.links_made(), 0);

        // Nothing listens: a connection error naming the URL.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = format!("http://{}/api/v1/mcp-stream/x", closed.local_addr().unwrap());
        drop(closed);
        let error = connect_stream(&gone).await.err().unwrap();
        assert!(matches!(error, StreamError::Connect { .. }), "{error}");
        assert!(error.to_string().contains(&gone), "{error}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_config_token_ends_stream_sessions() {
    within(60, async {
        let config = ProxyConfig::default();
        let token = config.cancellation_token.clone();
        let proxy = Proxy::start_with(everything_server(), config).await;
        let (reader, writer) = connect_stream(&proxy.stream_url("everything"))
            .await
            .unwrap();
        let client = Recorder::new("s").serve((reader, writer)).await.unwrap();
        client.list_all_tools().await.unwrap();
        token.cancel();
        let ended = tokio::time::timeout(Duration::from_secs(10), client.waiting()).await;
        assert!(ended.is_ok(), "the stream session outlived the shutdown");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_line_is_dropped_and_the_session_goes_on() {
    within(60, async {
        let config = ProxyConfig::default().with_max_request_body_bytes(64 * 1024);
        let proxy = Proxy::start_with(everything_server(), config).await;
        let (reader, mut writer) = connect_stream(&proxy.stream_url("everything"))
            .await
            .unwrap();
        // A 1 MiB line before the session starts: the server drops it unread.
        let mut huge = br#"{"jsonrpc":"2.0","id":99,"method":"ping","params":{"pad":""#.to_vec();
        huge.extend(std::iter::repeat_n(b'x', 1024 * 1024));
        huge.extend_from_slice(b"\"}}\n");
        writer.write_all(&huge).await.unwrap();
        let client = Recorder::new("s").serve((reader, writer)).await.unwrap();
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|tool| tool.name == "echo"));
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_sessions_over_the_limit_are_refused_until_one_closes() {
    within(60, async {
        let config = ProxyConfig::default().with_max_stream_sessions(1);
        let proxy = Proxy::start_with(everything_server(), config).await;
        let url = proxy.stream_url("everything");
        let (reader, writer) = connect_stream(&url).await.unwrap();
        let first = Recorder::new("first")
            .serve((reader, writer))
            .await
            .unwrap();

        let refused = connect_stream(&url).await.err().unwrap();
        match &refused {
            StreamError::Refused {
                status, message, ..
            } => {
                assert_eq!(status.as_u16(), 503);
                assert!(
                    message.contains("1 MCP stream sessions are open"),
                    "{message}"
                );
            }
            other => panic!("{other}"),
        }

        first.cancel().await.unwrap();
        // The slot is free once the server has seen the connection close.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let (reader, writer) = loop {
            match connect_stream(&url).await {
                Ok(halves) => break halves,
                Err(error) => {
                    assert!(tokio::time::Instant::now() < deadline, "{error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let second = Recorder::new("second")
            .serve((reader, writer))
            .await
            .unwrap();
        assert!(!second.list_all_tools().await.unwrap().is_empty());
        second.cancel().await.unwrap();
    })
    .await;
}
