//! mcplocal's links to mcpd over `mcp-stdio` streams: a server→client request reaches the
//! session whose call caused it, and an mcpd without the stream endpoint is reached over
//! streamable HTTP instead.
// Sampling is deprecated for 2026-07-28 (SEP-2577); relaying it is what is tested.
#![allow(deprecated)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use mcp_proxy::{LinkProvider, ProxyConfig, ProxyError, SessionMode, UpstreamLink};
use mcplocal::{McpdTransport, ProjectDoc, ProjectUpstreams};
use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequestParams, CreateMessageResult,
    Implementation, SamplingMessage, SamplingMessageContentBlock,
};
use rmcp::service::RequestContext;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::json;
use test_support::{Backend, Mcpd};

use crate::support::{Api, call, serve_mcplocal, text, within};

/// A client that answers sampling requests with its name and the prompt, and records them.
#[derive(Clone)]
struct Sampler {
    name: &'static str,
    prompts: Arc<Mutex<Vec<String>>>,
}

impl Sampler {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            prompts: Arc::default(),
        }
    }

    fn prompts(&self) -> Vec<String> {
        self.prompts.lock().unwrap().clone()
    }
}

impl ClientHandler for Sampler {
    fn get_info(&self) -> ClientConfig {
        let capabilities: ClientCapabilities =
            serde_json::from_value(json!({ "sampling": {} })).unwrap();
        ClientConfig::new(capabilities, Implementation::new(self.name, "0.0.0"))
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let prompt: String = params
            .messages
            .iter()
            .flat_map(|message| message.content.iter())
            .filter_map(|block| match block {
                SamplingMessageContentBlock::Text(text) => Some(text.text.clone()),
                _ => None,
            })
            .collect();
        self.prompts.lock().unwrap().push(prompt.clone());
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(format!("sampled by {}: {prompt}", self.name)),
            "test-model".to_owned(),
        ))
    }
}

/// Session X's call asks for sampling one second late; by then session Y of the same project
/// has a call in flight on the same link to mcpd. Over one stream nothing but the request's
/// `_meta` tells mcplocal which session the sampling request is for: the latest call in
/// flight (Y's) would be the guess.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_reaches_the_session_whose_call_caused_it() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        let port = test_support::free_port();
        // Over streamable HTTP mcpd knows exactly which request a sampling request belongs
        // to (the SSE stream it arrives on), so the only guess left would be mcplocal's.
        api.create(
            "servers",
            json!({
                "name": "sampler",
                "command": test_support::binary("mcp-test-server").display().to_string(),
                "transport": "STREAMABLE_HTTP",
                "containerPort": port,
                "args": ["--transport", "streamable-http", "--port", port.to_string()],
            }),
        )
        .await;
        api.create(
            "projects",
            json!({
                "name": "relay",
                "servers": ["sampler"],
                "proxyModel": "content-pipeline",
                "prefixMode": "never",
            }),
        )
        .await;
        api.wait_running("sampler").await;
        let base = serve_mcplocal(&mcpd.url, None).await;
        let endpoint = format!("{base}/projects/relay/mcp");
        let (x, y) = (Sampler::new("x"), Sampler::new("y"));
        let client_x = x
            .clone()
            .serve(StreamableHttpClientTransport::from_uri(endpoint.clone()))
            .await
            .unwrap();
        let client_y = y
            .clone()
            .serve(StreamableHttpClientTransport::from_uri(endpoint))
            .await
            .unwrap();

        let asking = client_x.call_tool(call(
            "sample",
            json!({ "prompt": "for-x", "delay_ms": 1000 }),
        ));
        let waiting = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            client_y
                .call_tool(call("sleep", json!({ "ms": 3000 })))
                .await
        };
        let (asked, waited) = tokio::join!(asking, waiting);
        let asked = asked.unwrap();
        assert_eq!(text(&asked), "sampled by x: for-x", "{asked:?}");
        assert_eq!(text(&waited.unwrap()), "slept 3000 ms");
        assert_eq!(x.prompts(), vec!["for-x".to_owned()]);
        assert!(y.prompts().is_empty(), "y was asked: {:?}", y.prompts());
        client_x.cancel().await.unwrap();
        client_y.cancel().await.unwrap();
    })
    .await;
}

/// Links to a server's streamable-HTTP endpoint on the real mcpd: what an mcpd from before
/// the stream endpoint offers.
struct HttpOnly {
    mcpd: String,
}

impl LinkProvider for HttpOnly {
    async fn link(
        &self,
        server: &str,
        _mode: SessionMode,
    ) -> Result<Arc<UpstreamLink>, ProxyError> {
        let transport = mcp_proxy::UpstreamTransport::StreamableHttp {
            url: format!("{}/api/v1/mcp/{server}", self.mcpd),
            keep_alive: true,
        };
        Ok(Arc::new(
            UpstreamLink::connect(transport, Duration::from_secs(10)).await?,
        ))
    }

    fn report_broken(&self, _server: &str, _link: &Arc<UpstreamLink>) {}
}

/// Serves an "old mcpd": the streamable-HTTP MCP endpoint only, and 404 for anything else
/// (counted, with the paths asked for).
async fn old_mcpd(mcpd: &str) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let provider = Arc::new(HttpOnly {
        mcpd: mcpd.to_owned(),
    });
    let not_found = Arc::new(AtomicUsize::new(0));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (counter, seen) = (not_found.clone(), paths.clone());
    let app = axum::Router::new()
        .route_service(
            mcp_proxy::MCP_ROUTE,
            mcp_proxy::mcp_service(provider, &ProxyConfig::default()),
        )
        .fallback(move |uri: axum::http::Uri| {
            counter.fetch_add(1, Ordering::SeqCst);
            seen.lock().unwrap().push(uri.path().to_owned());
            async { (StatusCode::NOT_FOUND, "no such endpoint") }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, not_found, paths)
}

/// Project `plain`'s upstreams at `mcpd`, reached over `transport`.
async fn upstreams_over(
    mcpd: &str,
    doc: &ProjectDoc,
    transport: McpdTransport,
) -> ProjectUpstreams {
    ProjectUpstreams::connect_over(mcpd, "plain", doc, Duration::from_secs(10), transport).await
}

/// The text `echo` answers over `link`.
async fn echo(link: &UpstreamLink, text_to_echo: &str) -> String {
    let answer = link
        .peer()
        .call_tool(call("echo", json!({ "text": text_to_echo })))
        .await
        .unwrap();
    text(&answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcpd_without_streams_is_reached_over_streamable_http() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.echo_project("plain", "content-pipeline").await;
        let (old, not_found, paths) = old_mcpd(&mcpd.url).await;
        let doc = ProjectDoc {
            servers: vec!["echo".to_owned()],
            ..ProjectDoc::default()
        };

        // The stream is tried once, refused with 404, and the link is made over HTTP.
        let upstreams = upstreams_over(&old, &doc, McpdTransport::Stream).await;
        let link = upstreams.link("echo").await.unwrap();
        assert_eq!(link.transport(), "streamable-http");
        assert_eq!(echo(&link, "over http").await, "over http");
        assert_eq!(
            *paths.lock().unwrap(),
            vec!["/api/v1/mcp-stream/echo".to_owned()]
        );
        // A new link of the same project does not ask for a stream again.
        link.close();
        let again = upstreams.link("echo").await.unwrap();
        assert!(!Arc::ptr_eq(&link, &again));
        assert_eq!(not_found.load(Ordering::SeqCst), 1);

        // `--mcpd-transport http` never asks for one.
        let upstreams = upstreams_over(&old, &doc, McpdTransport::Http).await;
        let link = upstreams.link("echo").await.unwrap();
        assert_eq!(link.transport(), "streamable-http");
        assert_eq!(not_found.load(Ordering::SeqCst), 1);

        // Against the real mcpd the link is a stream, and works.
        let upstreams = upstreams_over(&mcpd.url, &doc, McpdTransport::Stream).await;
        let link = upstreams.link("echo").await.unwrap();
        assert_eq!(link.transport(), "stream");
        assert_eq!(echo(&link, "over a stream").await, "over a stream");
    })
    .await;
}

/// What `mcpctl mcp` bridges to: the project's session over one `mcp-stdio` stream, with the
/// same namespaced tools as over streamable HTTP; an unknown project is refused before the
/// switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_is_served_over_a_stream() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.echo_project("streamed", "content-pipeline").await;
        let base = serve_mcplocal(&mcpd.url, None).await;
        let (reader, writer) =
            mcp_proxy::connect_stream(&format!("{base}/projects/streamed/mcp-stream"))
                .await
                .unwrap();
        let client = ().serve((reader, writer)).await.unwrap();
        let tools = client.list_all_tools().await.unwrap();
        let over_http = crate::support::connect(&format!("{base}/projects/streamed/mcp")).await;
        let http_tools = over_http.list_all_tools().await.unwrap();
        let names = |tools: &[rmcp::model::Tool]| -> Vec<String> {
            tools.iter().map(|tool| tool.name.to_string()).collect()
        };
        assert_eq!(names(&tools), names(&http_tools));
        let echo = tools
            .iter()
            .find(|tool| tool.name.ends_with("echo"))
            .unwrap()
            .name
            .to_string();
        let answer = client
            .call_tool(call(&echo, json!({ "text": "through the stream" })))
            .await
            .unwrap();
        assert_eq!(text(&answer), "through the stream");
        client.cancel().await.unwrap();
        over_http.cancel().await.unwrap();

        let refused = mcp_proxy::connect_stream(&format!("{base}/projects/nope/mcp-stream"))
            .await
            .err()
            .unwrap();
        assert!(
            matches!(&refused, mcp_proxy::StreamError::Refused { status, .. } if status.as_u16() == 404),
            "{refused}"
        );
    })
    .await;
}
