//! An instance reached over the legacy HTTP+SSE transport (protocol 2024-11-05): server-
//! everything in its `sse` mode, and a scripted SSE server for the failures a real one
//! will not produce on demand.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures_util::future::join_all;
use mcp_proxy::{MAX_SSE_EVENT_BYTES, ProxyError, SseError, UpstreamLink, UpstreamTransport};
use rmcp::ServiceError;
use rmcp::model::ErrorCode;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::{Proxy, Recorder, everything_sse_server, text_of, tool_call, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_echo_progress_and_sampling_over_an_sse_upstream() {
    within(60, async {
        let proxy = Proxy::start(everything_sse_server()).await;
        let recorder = Recorder::new("a").with_sampling();
        let client = proxy.connect("everything", recorder.clone()).await;
        let link = proxy.provider.shared_link().unwrap();
        assert!(!link.is_closed());
        assert!(
            link.server_info()
                .server_info
                .as_ref()
                .is_some_and(|info| info.name.contains("everything")),
            "{:?}",
            link.server_info().server_info
        );

        let tools = client.list_all_tools().await.unwrap();
        for name in ["echo", "trigger-long-running-operation"] {
            assert!(tools.iter().any(|tool| tool.name == name), "no {name}");
        }
        let result = client
            .call_tool(tool_call("echo", json!({ "message": "over sse" })))
            .await
            .unwrap();
        assert_eq!(text_of(&result), "Echo: over sse");

        // Eight sessions share the one link; each gets its own answer back.
        let others =
            join_all((0..8).map(|i| proxy.connect("everything", Recorder::new(&format!("o{i}")))))
                .await;
        let replies = join_all(others.iter().enumerate().map(|(i, other)| async move {
            let message = format!("message {i}");
            let result = other
                .call_tool(tool_call("echo", json!({ "message": message })))
                .await
                .unwrap();
            (message, text_of(&result))
        }))
        .await;
        for (message, reply) in replies {
            assert_eq!(reply, format!("Echo: {message}"));
        }
        assert_eq!(proxy.provider.links_made(), 1);
        assert_eq!(link.session_count(), 9);

        let result = client
            .call_tool(tool_call(
                "trigger-long-running-operation",
                json!({ "duration": 1, "steps": 3 }),
            ))
            .await
            .unwrap();
        assert!(text_of(&result).contains("completed"), "{result:?}");
        assert!(
            recorder
                .wait_for(Duration::from_secs(5), |r| r.progress.lock().unwrap().len()
                    == 3)
                .await,
            "progress: {:?}",
            recorder.progress.lock().unwrap()
        );
        let mut values: Vec<f64> = recorder
            .progress
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.progress)
            .collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(values, [1.0, 2.0, 3.0]);

        // A server→client request comes over the stream; its answer is POSTed back.
        let result = client
            .call_tool(tool_call(
                "trigger-sampling-request",
                json!({ "prompt": "over-sse" }),
            ))
            .await
            .unwrap();
        let text = text_of(&result);
        assert!(
            text.contains("sampled by a") && text.contains("over-sse"),
            "{text}"
        );

        for other in others {
            other.cancel().await.unwrap();
        }
        client.cancel().await.unwrap();
        assert!(!link.is_closed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_sse_upstream_fails_the_call_closes_the_link_and_is_replaced() {
    within(60, async {
        let proxy = Proxy::start(everything_sse_server()).await;
        let recorder = Recorder::new("a");
        let client = proxy.connect("everything", recorder.clone()).await;
        let link = proxy.provider.shared_link().unwrap();
        let call = client.call_tool(tool_call(
            "trigger-long-running-operation",
            json!({ "duration": 20, "steps": 20 }),
        ));
        let kill = async {
            assert!(
                recorder
                    .wait_for(Duration::from_secs(10), |r| !r
                        .progress
                        .lock()
                        .unwrap()
                        .is_empty())
                    .await
            );
            proxy.provider.kill_all();
        };
        let (result, ()) = tokio::join!(call, kill);
        match result {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.code, ErrorCode::INTERNAL_ERROR);
                assert_eq!(
                    error.message,
                    "upstream instance of server everything went away; retry"
                );
            }
            other => panic!("expected the went-away error, got {other:?}"),
        }
        assert!(link.is_closed());
        assert!(proxy.provider.broken_reports.load(Ordering::SeqCst) >= 1);

        let result = client
            .call_tool(tool_call("echo", json!({ "message": "after" })))
            .await
            .unwrap();
        assert_eq!(text_of(&result), "Echo: after");
        assert_eq!(proxy.provider.links_made(), 2);
        client.cancel().await.unwrap();
    })
    .await;
}

/// The end of the event stream closes the link and fails what is in flight on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_closes_when_the_event_stream_ends() {
    within(30, async {
        let fake = Fake::start(Some("/message?sessionId=s1")).await;
        let link = connect(&fake.url("/sse")).await.unwrap();
        let info = link.server_info().server_info.as_ref().unwrap();
        assert_eq!(info.name, "scripted");
        assert!(!link.is_closed());

        // The scripted server does not answer `tools/list`: the request stays in flight.
        let request = link.peer().list_tools(None);
        let end = async {
            // initialize, notifications/initialized, tools/list
            fake.wait_for_posts(3).await;
            fake.end_stream();
        };
        let (result, ()) = tokio::join!(request, end);
        assert!(
            matches!(result, Err(ServiceError::TransportClosed)),
            "{result:?}"
        );
        wait_closed(&link).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_up_to_the_limit_passes_and_an_oversized_one_closes_the_link() {
    within(60, async {
        let fake = Fake::start(Some("/message?sessionId=s1")).await;
        let link = connect(&fake.url("/sse")).await.unwrap();
        // Exactly at the limit (line ends counted): a logging notification. The ping's
        // answer comes after it on the stream, so it arrives only if the stream went on.
        let head = r#"event: message
data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":""#;
        let tail = "\"}}\n";
        let padding = MAX_SSE_EVENT_BYTES - head.len() - tail.len();
        fake.send(format!("{head}{}{tail}\n", "x".repeat(padding)));
        link.ping(Duration::from_secs(20)).await.unwrap();
        assert!(!link.is_closed());

        fake.send(format!(
            "event: message\ndata: \"{}\"\n\n",
            "x".repeat(MAX_SSE_EVENT_BYTES)
        ));
        wait_closed(&link).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_sse_servers_fail_to_connect_clearly() {
    within(30, async {
        let fake = Fake::start(Some("http://192.0.2.1/message?sessionId=s1")).await;
        let error = connect(&fake.url("/sse")).await.unwrap_err();
        assert!(
            matches!(&error, ProxyError::Sse(SseError::BadEndpoint { .. })),
            "{error:?}"
        );
        assert!(error.to_string().contains("origin"), "{error}");

        let fake = Fake::start(None).await;
        let started = tokio::time::Instant::now();
        let error = UpstreamLink::connect(
            UpstreamTransport::Sse {
                url: fake.url("/sse"),
            },
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&error, ProxyError::Sse(SseError::ConnectTimeout { .. })),
            "{error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));

        let error = connect(&fake.url("/plain")).await.unwrap_err();
        assert!(
            error.to_string().contains("not text/event-stream"),
            "{error}"
        );
        let error = connect(&fake.url("/missing")).await.unwrap_err();
        assert!(error.to_string().contains("404"), "{error}");

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = connect(&format!("http://127.0.0.1:{port}/sse"))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ProxyError::Sse(SseError::Connect { .. })),
            "{error:?}"
        );
        assert!(
            error.to_string().to_lowercase().contains("refused"),
            "{error}"
        );

        let error = connect("ftp://127.0.0.1/sse").await.unwrap_err();
        assert!(error.to_string().contains("invalid SSE URL"), "{error}");
    })
    .await;
}

async fn connect(url: &str) -> Result<UpstreamLink, ProxyError> {
    UpstreamLink::connect(
        UpstreamTransport::Sse {
            url: url.to_owned(),
        },
        Duration::from_secs(10),
    )
    .await
}

async fn wait_closed(link: &UpstreamLink) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !link.is_closed() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the link did not close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A scripted HTTP+SSE server: `GET /sse` sends the endpoint event (or, without one, only a
/// comment), `POST /message` answers `initialize` and `ping` over the stream and ignores
/// the rest.
#[derive(Clone)]
struct Fake {
    addr: std::net::SocketAddr,
    endpoint: Option<&'static str>,
    stream: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>,
    posts: Arc<Mutex<Vec<Value>>>,
    posted: Arc<tokio::sync::Notify>,
}

impl Fake {
    async fn start(endpoint: Option<&'static str>) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Fake {
            addr: listener.local_addr().unwrap(),
            endpoint,
            stream: Arc::default(),
            posts: Arc::default(),
            posted: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/sse", get(Fake::open))
            .route("/message", post(Fake::message))
            .route("/plain", get(|| async { "not a stream" }))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn send(&self, event: String) {
        let stream = self.stream.lock().unwrap();
        stream.as_ref().unwrap().send(event).unwrap();
    }

    fn end_stream(&self) {
        self.stream.lock().unwrap().take();
    }

    async fn wait_for_posts(&self, count: usize) {
        loop {
            let notified = self.posted.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.posts.lock().unwrap().len() >= count {
                return;
            }
            notified.await;
        }
    }

    async fn open(State(fake): State<Fake>) -> impl IntoResponse {
        let (tx, rx) = mpsc::unbounded_channel();
        let first = match fake.endpoint {
            Some(endpoint) => format!(": hello\r\nevent: endpoint\r\ndata: {endpoint}\r\n\r\n"),
            None => ": no endpoint yet\n\n".to_owned(),
        };
        tx.send(first).unwrap();
        *fake.stream.lock().unwrap() = Some(tx);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            let event = rx.recv().await?;
            Some((Ok::<_, Infallible>(event), rx))
        });
        (
            [(CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(body),
        )
    }

    async fn message(State(fake): State<Fake>, Json(message): Json<Value>) -> StatusCode {
        if message["method"] == "initialize" {
            let result = json!({
                "jsonrpc": "2.0",
                "id": message["id"],
                "result": {
                    "protocolVersion": "2024-11-05",
                    "capabilities": {},
                    "serverInfo": { "name": "scripted", "version": "0.0.0" },
                },
            });
            // Over several data lines, as a server may send it.
            let text = serde_json::to_string_pretty(&result).unwrap();
            let data: String = text.lines().map(|line| format!("data: {line}\n")).collect();
            fake.send(format!("event: message\n{data}\n"));
        }
        if message["method"] == "ping" {
            let id = &message["id"];
            fake.send(format!(
                "data: {{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{}}}}\n\n"
            ));
        }
        fake.posts.lock().unwrap().push(message);
        fake.posted.notify_waiters();
        StatusCode::ACCEPTED
    }
}
