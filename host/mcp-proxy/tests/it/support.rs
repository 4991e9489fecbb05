//! Test harness: real MCP servers spawned as child processes behind the proxy, served on a
//! loopback port, and driven by rmcp streamable-HTTP clients.

use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use mcp_proxy::{
    LinkProvider, ProxyConfig, ProxyError, SessionMode, UpstreamLink, UpstreamTransport, router,
};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig,
    CreateMessageRequestParams, CreateMessageResult, Implementation,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProtocolVersion, SamplingMessage,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::AsyncWrite;
use tokio::sync::Notify;

/// The workspace's `target/` (where `.ci/run` installs the Python venv and npm package).
fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

const INSTALL_VENV: &str = "python3 -m venv target/test-venv && \
    target/test-venv/bin/pip install mcp mcp-server-time mcp-server-git";
const INSTALL_NODE: &str =
    "npm install --prefix target/test-node @modelcontextprotocol/server-everything";

/// The test venv's Python, checked to have `mcp_server_time`. Fails (never skips) without it.
pub fn venv_python() -> PathBuf {
    let python = std::env::var_os("MCP_PROXY_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("test-venv"))
        .join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import mcp_server_time"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        ok,
        "{} cannot import mcp_server_time; from the workspace root run: {INSTALL_VENV}",
        python.display()
    );
    python
}

/// `server-everything`'s entry point, checked to exist along with `node`. Fails without it.
pub fn everything_js() -> PathBuf {
    let js = std::env::var_os("MCP_PROXY_TEST_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("test-node"))
        .join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        js.exists(),
        "{} is missing; from the workspace root run: {INSTALL_NODE}",
        js.display()
    );
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(node, "`node` (20 or later) is not on PATH");
    js
}

/// The mcp-server-time upstream (Python, STDIO).
pub fn time_server() -> CommandProvider {
    CommandProvider::new(
        "time",
        venv_python(),
        &["-m", "mcp_server_time", "--local-timezone", "UTC"],
    )
}

/// The server-everything upstream (Node, STDIO).
pub fn everything_server() -> CommandProvider {
    let js = everything_js();
    CommandProvider::new(
        "everything",
        PathBuf::from("node"),
        &[js.to_string_lossy().as_ref(), "stdio"],
    )
}

/// server-everything as a streamable-HTTP server on a free loopback port.
pub fn everything_http_server() -> CommandProvider {
    let mut provider = everything_server();
    provider.args[1] = "streamableHttp".to_owned();
    provider.http = true;
    provider
}

/// server-everything as a legacy HTTP+SSE server (`/sse` + `/message`) on a free loopback
/// port.
pub fn everything_sse_server() -> CommandProvider {
    let mut provider = everything_http_server();
    provider.args[1] = "sse".to_owned();
    provider.sse = true;
    provider
}

/// A `LinkProvider` that runs one server as child processes: one shared link per instance
/// (replaced when reported broken), or a new process per dedicated session.
pub struct CommandProvider {
    server: String,
    program: PathBuf,
    args: Vec<String>,
    mode: SessionMode,
    /// Reach the instance over streamable HTTP instead of its STDIO.
    http: bool,
    /// Over legacy HTTP+SSE rather than streamable HTTP (with `http`).
    sse: bool,
    shared: Mutex<Option<Arc<UpstreamLink>>>,
    spawning: tokio::sync::Mutex<()>,
    children: Mutex<Vec<tokio::process::Child>>,
    pub links_made: AtomicUsize,
    pub broken_reports: AtomicUsize,
    /// Every byte the proxy wrote to any instance's stdin.
    pub sent: Arc<Mutex<Vec<u8>>>,
}

impl CommandProvider {
    fn new(server: &str, program: PathBuf, args: &[&str]) -> Self {
        Self {
            server: server.to_owned(),
            program,
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            mode: SessionMode::Shared,
            http: false,
            sse: false,
            shared: Mutex::new(None),
            spawning: tokio::sync::Mutex::new(()),
            children: Mutex::new(Vec::new()),
            links_made: AtomicUsize::new(0),
            broken_reports: AtomicUsize::new(0),
            sent: Arc::default(),
        }
    }

    pub fn dedicated(mut self) -> Self {
        self.mode = SessionMode::Dedicated;
        self
    }

    pub fn links_made(&self) -> usize {
        self.links_made.load(Ordering::SeqCst)
    }

    /// The current shared link, if any.
    pub fn shared_link(&self) -> Option<Arc<UpstreamLink>> {
        self.shared.lock().unwrap().clone()
    }

    /// How many started instances are still running.
    pub fn running(&self) -> usize {
        let mut children = self.children.lock().unwrap();
        children
            .iter_mut()
            .filter_map(|child| child.try_wait().ok())
            .filter(Option::is_none)
            .count()
    }

    /// The JSON-RPC messages the proxy sent to instances so far.
    pub fn sent_messages(&self) -> Vec<Value> {
        let sent = self.sent.lock().unwrap();
        String::from_utf8_lossy(&sent)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Kills every instance started so far (SIGKILL).
    pub fn kill_all(&self) {
        for child in self.children.lock().unwrap().iter_mut() {
            let _ = child.start_kill();
        }
    }

    async fn spawn(&self) -> Result<Arc<UpstreamLink>, ProxyError> {
        if self.http {
            return self.spawn_http().await;
        }
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| ProxyError::Unavailable {
                server: self.server.clone(),
                reason: error.to_string(),
            })?;
        let reader = child.stdout.take().unwrap();
        let writer = child.stdin.take().unwrap();
        self.children.lock().unwrap().push(child);
        let transport = UpstreamTransport::Stdio {
            reader: Box::new(reader),
            writer: Box::new(Tee {
                inner: writer,
                log: self.sent.clone(),
            }),
        };
        let link = UpstreamLink::connect(transport, Duration::from_secs(30)).await?;
        self.links_made.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(link))
    }
}

impl CommandProvider {
    async fn spawn_http(&self) -> Result<Arc<UpstreamLink>, ProxyError> {
        use tokio::io::AsyncBufReadExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        self.children.lock().unwrap().push(child);
        let ready = if self.sse {
            "Server is running on port"
        } else {
            "listening on port"
        };
        while let Some(line) = stderr.next_line().await.unwrap() {
            if line.contains(ready) {
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        let transport = if self.sse {
            UpstreamTransport::Sse {
                url: format!("http://127.0.0.1:{port}/sse"),
            }
        } else {
            UpstreamTransport::StreamableHttp {
                url: format!("http://127.0.0.1:{port}/mcp"),
                // As mcpd reaches a server's own HTTP stack.
                keep_alive: false,
            }
        };
        let link = UpstreamLink::connect(transport, Duration::from_secs(30)).await?;
        self.links_made.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(link))
    }
}

impl LinkProvider for CommandProvider {
    async fn link(&self, server: &str, mode: SessionMode) -> Result<Arc<UpstreamLink>, ProxyError> {
        if server != self.server {
            return Err(ProxyError::UnknownServer(server.to_owned()));
        }
        if mode == SessionMode::Dedicated {
            return self.spawn().await;
        }
        let _spawning = self.spawning.lock().await;
        if let Some(link) = self.shared_link().filter(|link| !link.is_closed()) {
            return Ok(link);
        }
        let link = self.spawn().await?;
        *self.shared.lock().unwrap() = Some(link.clone());
        Ok(link)
    }

    fn report_broken(&self, _server: &str, link: &Arc<UpstreamLink>) {
        self.broken_reports.fetch_add(1, Ordering::SeqCst);
        let mut shared = self.shared.lock().unwrap();
        if shared
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, link))
        {
            *shared = None;
        }
    }

    fn session_mode(&self, _server: &str) -> SessionMode {
        self.mode
    }
}

/// The proxy served on a loopback port.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    pub provider: Arc<CommandProvider>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.provider.kill_all();
    }
}

impl Proxy {
    pub async fn start(provider: CommandProvider) -> Proxy {
        Self::start_with(provider, ProxyConfig::default()).await
    }

    pub async fn start_with(provider: CommandProvider, config: ProxyConfig) -> Proxy {
        let provider = Arc::new(provider);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(provider.clone(), &config);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy {
            addr,
            provider,
            task,
        }
    }

    pub fn url(&self, server: &str) -> String {
        format!("http://{}/api/v1/mcp/{server}", self.addr)
    }

    /// A client session of `server` with the given recorder.
    pub async fn connect(
        &self,
        server: &str,
        recorder: Recorder,
    ) -> RunningService<RoleClient, Recorder> {
        let transport = StreamableHttpClientTransport::from_uri(self.url(server));
        recorder.serve(transport).await.unwrap()
    }
}

/// A test client: records what the proxy sends it and answers sampling.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub name: String,
    pub sampling: bool,
    pub protocol_version: ProtocolVersion,
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    pub logs: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
    pub sampled: Arc<Mutex<Vec<Value>>>,
    pub resource_list_changed: Arc<AtomicUsize>,
    pub tool_list_changed: Arc<AtomicUsize>,
    pub event: Arc<Notify>,
}

impl Recorder {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            sampling: false,
            protocol_version: ProtocolVersion::LATEST_WITH_INITIALIZE,
            progress: Arc::default(),
            logs: Arc::default(),
            sampled: Arc::default(),
            resource_list_changed: Arc::default(),
            tool_list_changed: Arc::default(),
            event: Arc::default(),
        }
    }

    pub fn with_sampling(mut self) -> Self {
        self.sampling = true;
        self
    }

    pub fn with_protocol_version(mut self, version: ProtocolVersion) -> Self {
        self.protocol_version = version;
        self
    }

    /// Waits until `done` holds, re-checking on every recorded event, for at most `timeout`.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&Recorder) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.event.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done(self);
            }
        }
    }
}

impl ClientHandler for Recorder {
    fn get_info(&self) -> ClientConfig {
        let capabilities: ClientCapabilities = if self.sampling {
            serde_json::from_value(serde_json::json!({ "sampling": {} })).unwrap()
        } else {
            ClientCapabilities::default()
        };
        ClientConfig::new(
            capabilities,
            Implementation::new(self.name.clone(), "0.0.0"),
        )
        .with_protocol_version(self.protocol_version.clone())
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let messages = serde_json::to_value(&params.messages).unwrap();
        self.sampled.lock().unwrap().push(messages.clone());
        self.event.notify_waiters();
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(format!("sampled by {}: {messages}", self.name)),
            "test-model".to_owned(),
        ))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
        self.event.notify_waiters();
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params);
        self.event.notify_waiters();
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.resource_list_changed.fetch_add(1, Ordering::SeqCst);
        self.event.notify_waiters();
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tool_list_changed.fetch_add(1, Ordering::SeqCst);
        self.event.notify_waiters();
    }
}

/// `tools/call` with JSON arguments.
pub fn tool_call(name: &'static str, arguments: Value) -> CallToolRequestParams {
    let Value::Object(arguments) = arguments else {
        panic!("tool arguments must be an object");
    };
    CallToolRequestParams::new(name).with_arguments(arguments)
}

/// The concatenated text content of a tool result.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails the test if `future` takes longer than `seconds`.
pub async fn within<T>(seconds: u64, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {seconds} s"))
}

/// Passes writes through and keeps a copy.
struct Tee<W> {
    inner: W,
    log: Arc<Mutex<Vec<u8>>>,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Tee<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = &result {
            this.log.lock().unwrap().extend_from_slice(&buf[..*written]);
        }
        result
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
