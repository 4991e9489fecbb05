//! Harness: mcpd's REST API, the servers of the tests, serving a project, a client.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcplocal::{Hooks, ProjectConfig, ProjectUpstreams, mcp_service};
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::NotificationContext;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, StreamableHttpServerConfig};
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The Python venv with `mcp_server_time` (`MCPCTL_TEST_VENV` or `target/test-venv`).
pub fn venv_python() -> PathBuf {
    let python = std::env::var_os("MCPCTL_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv"))
        .join("bin/python");
    assert!(
        python.exists(),
        "{} is missing; from the workspace root run: python3 -m venv target/test-venv && \
         target/test-venv/bin/pip install mcp-server-time",
        python.display()
    );
    python
}

pub fn clock_server() -> Value {
    json!({
        "name": "clock",
        "command": venv_python(),
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
    })
}

pub fn echo_server() -> Value {
    json!({
        "name": "echo",
        "command": test_support::binary("mcp-test-server").display().to_string(),
    })
}

/// mcpd's REST API.
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn create(&self, kinds: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/api/v1/{kinds}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status.as_u16(), 201, "create {kinds}: {text}");
    }

    pub async fn patch(&self, path: &str, body: Value) {
        let response = self
            .http
            .patch(format!("{}/api/v1/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status.as_u16(), 200, "patch {path}: {text}");
    }

    /// Waits until every instance of `server` is Running (and there is one).
    /// The `echo` test server and a project of it alone served by `proxy_model`, with the
    /// server Running.
    pub async fn echo_project(&self, project: &str, proxy_model: &str) {
        self.create("servers", echo_server()).await;
        self.create(
            "projects",
            json!({"name": project, "servers": ["echo"], "proxyModel": proxy_model}),
        )
        .await;
        self.wait_running("echo").await;
    }

    pub async fn wait_running(&self, server: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body: Value = self
                .http
                .get(format!("{}/api/v1/instances?server={server}", self.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let items = body["items"].as_array().cloned().unwrap_or_default();
            if !items.is_empty() && items.iter().all(|item| item["state"] == "Running") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{server} not running within 60 s: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Serves `project` on 127.0.0.1:0 and returns its endpoint URL.
pub async fn serve<H: Hooks>(mcpd: &str, project: &str, hooks: H, config: ProjectConfig) -> String {
    let upstreams = ProjectUpstreams::connect(mcpd, project, Duration::from_secs(10))
        .await
        .unwrap();
    serve_upstreams(Arc::new(upstreams), hooks, config).await
}

/// Serves a project's upstreams on 127.0.0.1:0 and returns its endpoint URL.
pub async fn serve_upstreams<H: Hooks>(
    upstreams: Arc<ProjectUpstreams>,
    hooks: H,
    config: ProjectConfig,
) -> String {
    let service = mcp_service(
        upstreams,
        Arc::new(hooks),
        Arc::new(config),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().route_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/mcp")
}

pub async fn connect(url: &str) -> RunningService<RoleClient, ()> {
    ().serve(StreamableHttpClientTransport::from_uri(url.to_owned()))
        .await
        .unwrap()
}

/// A client that counts `notifications/tools/list_changed`.
#[derive(Clone, Default)]
pub struct Watcher {
    pub tool_list_changes: Arc<AtomicUsize>,
    pub changed: Arc<Notify>,
}

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tool_list_changes.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }
}

pub async fn connect_watching(url: &str, watcher: Watcher) -> RunningService<RoleClient, Watcher> {
    watcher
        .serve(StreamableHttpClientTransport::from_uri(url.to_owned()))
        .await
        .unwrap()
}

pub fn call(name: &str, arguments: Value) -> CallToolRequestParams {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    CallToolRequestParams::new(name.to_owned()).with_arguments(arguments)
}

pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails the test if `future` takes longer than `seconds`.
pub async fn within<F: Future>(seconds: u64, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .expect("the test took too long")
}

/// Serves mcplocal's whole HTTP app (the built-in plugins, `home` as `$MCPCTL_HOME` when
/// given) on 127.0.0.1:0 for mcpd at `mcpd`; returns its base URL.
pub async fn serve_mcplocal(mcpd: &str, home: Option<&std::path::Path>) -> String {
    let mut config = mcplocal::server::LocalConfig::new(mcpd);
    config.home = home.map(std::path::Path::to_path_buf);
    let state =
        mcplocal::server::Mcplocal::with_plugins(config, crate::plugins::built_in_plugins());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, mcplocal::server::router(state)).await });
    format!("http://{addr}")
}
