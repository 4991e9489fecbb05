//! mcplocal's HTTP side: every project's MCP endpoint and mcplocal's own small API, on one
//! port.
//!
//! | route | what |
//! |---|---|
//! | `/projects/{project}/mcp` | the project's MCP endpoint (streamable HTTP) |
//! | `GET /projects/{project}` | `{"name","servers"}`, loading the project: a check that it can be served |
//! | `GET /health` | `{"status":"ok","version","mcpd","projects":[...]}` |
//! | `GET /proxymodels` | `{"items":[...]}`: the loaded plugins ([`crate::plugins::proxymodel_json`]) |
//! | `GET /proxymodels/{name}` | one of them |
//! | `GET /inspect?project=P&server=S` | the traffic inspector feed: one JSON event per line |
//!
//! A project is loaded from mcpd when a client first asks for it, and then kept: its server
//! list and settings are re-read every [`LocalConfig::refresh_interval`]. It is served by the
//! plugin its `proxyModel` names (default `default`), chosen when it is loaded; the plugins
//! themselves are loaded once, when mcplocal starts.
//!
//! Every request must name a local `Host` (and, when it carries one, a local `Origin`):
//! a web page cannot reach the endpoint through DNS rebinding.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use futures_util::StreamExt;
use rmcp::transport::StreamableHttpServerConfig;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tower::ServiceExt;

use crate::content::ContentPipelines;
use crate::llm::{Models, Preference};
use crate::plugins::{self, McpdServices, PluginHooks, Plugins};
use crate::session::{
    ProjectConfig, ProjectService, ProjectSession, mcp_service_with_idle_timeout,
};
use crate::traffic::{Traffic, TrafficFilter};
use crate::upstreams::{McpdTransport, ProjectUpstreams, UpstreamError, fetch_project};

/// The port mcplocal listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3200";

/// Largest MCP request body a client may send, in bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How many projects one mcplocal serves at most (each keeps sessions to its servers).
pub const MAX_PROJECTS: usize = 256;

/// What an mcplocal needs to know.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// mcpd's base URL (`http://127.0.0.1:3000`).
    pub mcpd_url: String,
    /// Time allowed for one MCP handshake with mcpd's endpoint of a server.
    pub connect_timeout: Duration,
    /// How often a loaded project's servers and settings are re-read from mcpd.
    pub refresh_interval: Duration,
    /// Client sessions idle this long are closed.
    pub session_idle_timeout: Duration,
    /// `$MCPCTL_HOME`, where `config.yaml` names the LLM providers (`None`: no providers).
    pub home: Option<std::path::PathBuf>,
    /// How the links reach mcpd.
    pub mcpd_transport: McpdTransport,
}

impl LocalConfig {
    /// Defaults for an mcpd at `mcpd_url`.
    pub fn new(mcpd_url: impl Into<String>) -> Self {
        Self {
            mcpd_url: mcpd_url.into().trim_end_matches('/').to_owned(),
            connect_timeout: crate::DEFAULT_CONNECT_TIMEOUT,
            refresh_interval: Duration::from_secs(2),
            session_idle_timeout: crate::session::DEFAULT_SESSION_IDLE_TIMEOUT,
            home: None,
            mcpd_transport: McpdTransport::default(),
        }
    }
}

struct LoadedProject {
    upstreams: Arc<ProjectUpstreams>,
    service: ProjectService<PluginHooks>,
    /// What a stream session of the project is made of (the HTTP `service` has its own).
    hooks: Arc<PluginHooks>,
    config: Arc<ProjectConfig>,
    _refresher: AbortOnDrop,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The state behind the router: the loaded projects.
pub struct Mcplocal {
    config: LocalConfig,
    traffic: Traffic,
    projects: tokio::sync::Mutex<HashMap<String, Arc<LoadedProject>>>,
    plugins: Arc<Plugins>,
    mcpd_services: McpdServices,
    models: Models,
    content: Arc<ContentPipelines>,
    /// The clients' stream sessions: their limits, and the token [`Mcplocal::close`]
    /// cancels to end them.
    streams: mcp_proxy::StreamConfig,
    streams_closed: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for Mcplocal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mcplocal")
            .field("mcpd", &self.config.mcpd_url)
            .finish()
    }
}

/// An error answer of mcplocal's own API, shaped like mcpd's.
fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = serde_json::json!({
        "error": { "status": status.as_u16(), "message": message }
    });
    (status, axum::Json(body)).into_response()
}

impl Mcplocal {
    /// A new mcplocal with no project loaded yet, and the plugins of the default search path
    /// loaded (refusals logged) and watched for changes.
    pub fn new(config: LocalConfig) -> Arc<Self> {
        let plugins = Arc::new(Plugins::load_default());
        plugins.watch();
        Self::with_plugins(config, plugins)
    }

    /// A new mcplocal serving projects with `plugins`.
    pub fn with_plugins(config: LocalConfig, plugins: Arc<Plugins>) -> Arc<Self> {
        let models = Models::load(config.home.as_deref(), &config.mcpd_url);
        let native = Arc::new(plugins::NativeStages::new(plugins.clone()));
        let content = ContentPipelines::load(
            config.home.as_deref(),
            models.router().clone(),
            Some(native),
        );
        let streams_closed = tokio_util::sync::CancellationToken::new();
        Arc::new(Self {
            mcpd_services: McpdServices::new(&config.mcpd_url),
            models,
            content,
            config,
            traffic: Traffic::default(),
            projects: tokio::sync::Mutex::default(),
            plugins,
            streams: mcp_proxy::StreamConfig::new(
                MAX_REQUEST_BODY_BYTES,
                mcp_proxy::DEFAULT_MAX_STREAM_SESSIONS,
                streams_closed.clone(),
            ),
            streams_closed,
        })
    }

    /// The language models stages use.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> &Plugins {
        &self.plugins
    }

    /// The inspector feed of every project.
    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// The names of the projects loaded so far.
    pub async fn project_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.projects.lock().await.keys().cloned().collect();
        names.sort();
        names
    }

    /// The loaded project, loading it from mcpd on first use.
    async fn project(&self, name: &str) -> Result<Arc<LoadedProject>, Response> {
        let mut projects = self.projects.lock().await;
        if let Some(project) = projects.get(name) {
            return Ok(project.clone());
        }
        if projects.len() >= MAX_PROJECTS {
            return Err(error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "mcplocal serves at most {MAX_PROJECTS} projects; restart it to serve others"
                ),
            ));
        }
        let mcpd_error = |error: UpstreamError| match &error {
            UpstreamError::Status { status: 404, .. } => error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "mcpd has no project {name:?}; create it with 'mcpctl create project {name}'"
                ),
            ),
            _ => error_response(StatusCode::BAD_GATEWAY, error.to_string()),
        };
        let doc = fetch_project(&reqwest::Client::new(), &self.config.mcpd_url, name)
            .await
            .map_err(mcpd_error)?;
        let model = doc
            .proxy_model
            .as_deref()
            .unwrap_or(plugins::DEFAULT_PROXY_MODEL);
        // A plugin's name: that plugin with the default pipeline; a pipeline's name: the
        // content-pipeline plugin running it.
        let is_plugin = self.plugins.current().host().get(model).is_some();
        let (plugin, pipeline) = self.content.serve(model, is_plugin);
        let hooks = PluginHooks::new(
            self.plugins.clone(),
            name,
            plugin,
            self.mcpd_services.clone(),
        )
        .map_err(|error| error_response(StatusCode::SERVICE_UNAVAILABLE, error.to_string()))?
        .with_content(self.content.clone(), pipeline);
        let upstreams = ProjectUpstreams::connect_over(
            &self.config.mcpd_url,
            name,
            &doc,
            self.config.connect_timeout,
            self.config.mcpd_transport,
        )
        .await
        .follow_settings()
        .with_traffic(self.traffic.clone());
        let upstreams = Arc::new(upstreams);
        let refresher = upstreams.spawn_refresher(self.config.refresh_interval);
        let mut http = StreamableHttpServerConfig::default();
        // The Host and Origin checks are done for every route by `local_only`.
        http = http.disable_allowed_hosts();
        http.max_request_body_bytes = MAX_REQUEST_BODY_BYTES;
        let (hooks, config) = (Arc::new(hooks), Arc::new(ProjectConfig::default()));
        let service = mcp_service_with_idle_timeout(
            upstreams.clone(),
            hooks.clone(),
            config.clone(),
            http,
            Some(self.config.session_idle_timeout),
        );
        let project = Arc::new(LoadedProject {
            upstreams,
            service,
            hooks,
            config,
            _refresher: AbortOnDrop(refresher),
        });
        tracing::info!(project = name, proxy_model = model, servers = ?project.upstreams.servers(), "project loaded");
        projects.insert(name.to_owned(), project.clone());
        Ok(project)
    }

    /// Closes every project's sessions to mcpd, and the stream sessions of clients.
    pub async fn close(&self) {
        self.streams_closed.cancel();
        let projects: Vec<Arc<LoadedProject>> =
            self.projects.lock().await.drain().map(|(_, p)| p).collect();
        for project in projects {
            project.upstreams.close().await;
        }
    }
}

/// mcplocal's routes.
pub fn router(state: Arc<Mcplocal>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/inspect", get(inspect))
        .route("/llm/providers", get(llm_providers))
        .route("/llm/preferred", put(llm_preferred))
        .route("/proxymodels", get(proxymodels))
        .route("/proxymodels/stages", get(proxymodel_stages))
        .route("/proxymodels/reload", post(proxymodel_reload))
        .route("/proxymodels/{name}", get(proxymodel))
        .route("/projects/{project}", get(project_status))
        .route("/projects/{project}/mcp", any(project_mcp))
        .route("/projects/{project}/mcp-stream", any(project_stream))
        .layer(middleware::from_fn(local_only))
        .with_state(state)
}

async fn llm_providers(State(state): State<Arc<Mcplocal>>) -> Response {
    axum::Json(state.models.status()).into_response()
}

/// `{"tier": "fast", "provider": "NAME"}` makes NAME the first provider asked for the tier;
/// `"provider": null` restores the configured order.
async fn llm_preferred(State(state): State<Arc<Mcplocal>>, body: axum::body::Bytes) -> Response {
    let preference: Preference = match serde_json::from_slice(&body) {
        Ok(preference) => preference,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected {{\"tier\": \"fast\"|\"heavy\", \"provider\": NAME|null}}: {error}"
                ),
            );
        }
    };
    match state.models.prefer(&preference) {
        Ok(()) => axum::Json(state.models.status()).into_response(),
        Err(error) => error_response(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
    }
}

async fn health(State(state): State<Arc<Mcplocal>>) -> Response {
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "mcpd": state.config.mcpd_url,
        "pid": std::process::id(),
        "projects": state.project_names().await,
    }))
    .into_response()
}

/// The loaded plugins, as `mcpctl get proxymodels` shows them.
async fn proxymodels(State(state): State<Arc<Mcplocal>>) -> Response {
    let current = state.plugins.current();
    let items: Vec<serde_json::Value> = current
        .host()
        .plugins()
        .map(plugins::proxymodel_json)
        .chain(pipeline_items(&state.content))
        .collect();
    axum::Json(serde_json::json!({ "items": items })).into_response()
}

/// The pipelines, as `get proxymodels` lists them (kind `pipeline`).
fn pipeline_items(content: &ContentPipelines) -> Vec<serde_json::Value> {
    let serde_json::Value::Array(items) = content.pipelines() else {
        return Vec::new();
    };
    items
        .into_iter()
        .map(|mut item| {
            if let Some(object) = item.as_object_mut() {
                object.insert("kind".into(), "pipeline".into());
            }
            item
        })
        .collect()
}

/// Every stage with its source: `[{"name","source"}]`.
async fn proxymodel_stages(State(state): State<Arc<Mcplocal>>) -> Response {
    axum::Json(state.content.stages()).into_response()
}

/// Reads stages, pipelines and plugins again: `{"loaded": N}` (how many of them load).
async fn proxymodel_reload(State(state): State<Arc<Mcplocal>>) -> Response {
    let (stages, pipelines) = state.content.reload();
    let plugins = state.plugins.reload();
    axum::Json(serde_json::json!({
        "loaded": stages + pipelines + plugins,
        "stages": stages,
        "pipelines": pipelines,
        "plugins": plugins,
    }))
    .into_response()
}

/// One loaded plugin, as `mcpctl describe proxymodel NAME` shows it.
async fn proxymodel(State(state): State<Arc<Mcplocal>>, Path(name): Path<String>) -> Response {
    let current = state.plugins.current();
    if let Some(plugin) = current.host().get(&name) {
        return axum::Json(plugins::proxymodel_json(plugin.info())).into_response();
    }
    let pipeline = pipeline_items(&state.content)
        .into_iter()
        .find(|item| item["name"] == name.as_str());
    match pipeline {
        Some(pipeline) => axum::Json(pipeline).into_response(),
        None => {
            let known: Vec<&str> = current.host().plugins().map(|p| p.name.as_str()).collect();
            error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "mcplocal has no proxy model {name:?}; loaded: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        }
    }
}

/// The project as mcplocal serves it (loading it if needed): a cheap check that it works.
async fn project_status(
    State(state): State<Arc<Mcplocal>>,
    Path(project): Path<String>,
) -> Response {
    match loaded_project(&state, &project).await {
        Ok(loaded) => axum::Json(serde_json::json!({
            "name": project,
            "servers": *loaded.upstreams.servers(),
        }))
        .into_response(),
        Err(response) => response,
    }
}

fn not_a_project(name: &str) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        format!("{name:?} is not a project name (lowercase letters, digits and '-')"),
    )
}

/// The project a request path names, loaded; or the error answer.
async fn loaded_project(state: &Mcplocal, project: &str) -> Result<Arc<LoadedProject>, Response> {
    if !is_dns_label(project) {
        return Err(not_a_project(project));
    }
    state.project(project).await
}

async fn project_mcp(
    State(state): State<Arc<Mcplocal>>,
    Path(project): Path<String>,
    request: Request,
) -> Response {
    let loaded = match loaded_project(&state, &project).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    match loaded.service.clone().oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// The project's MCP session over an `mcp-stdio` stream (what `mcpctl mcp` bridges to):
/// the same session as on `/projects/{project}/mcp`, one per connection, without an HTTP
/// request per message. It lasts as long as the connection.
async fn project_stream(
    State(state): State<Arc<Mcplocal>>,
    Path(project): Path<String>,
    request: Request,
) -> Response {
    let loaded = match loaded_project(&state, &project).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    mcp_proxy::accept_stream(request, &state.streams, || {
        ProjectSession::new(
            loaded.upstreams.clone(),
            loaded.hooks.clone(),
            loaded.config.clone(),
        )
    })
}

#[derive(Debug, Deserialize)]
struct InspectQuery {
    project: Option<String>,
    server: Option<String>,
}

/// The traffic feed as newline-delimited JSON, until the client goes away.
async fn inspect(
    State(state): State<Arc<Mcplocal>>,
    Query(query): Query<InspectQuery>,
) -> Response {
    let filter = TrafficFilter {
        project: query.project,
        server: query.server,
    };
    let receiver = state.traffic.subscribe();
    let lines = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "an inspector fell behind");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
    .filter(move |event| std::future::ready(filter.matches(event)))
    .map(|event| {
        let mut line = serde_json::to_vec(&*event).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(line)
    });
    // The first line tells the watcher the feed is open (events start after it).
    let opened = futures_util::stream::once(async {
        Ok::<_, Infallible>(b"{\"inspecting\":true}\n".to_vec())
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(opened.chain(lines)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The host part of a `Host` header or an origin's authority (`[::1]:3200` → `::1`).
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn is_local_host(host: &str) -> bool {
    matches!(
        host.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    ) || host.to_ascii_lowercase().ends_with(".localhost")
}

/// Why a request's headers are refused, if they are.
fn refused_headers(headers: &HeaderMap) -> Option<String> {
    let Some(host) = headers.get(header::HOST) else {
        return Some("the request names no Host".to_owned());
    };
    let host = host.to_str().unwrap_or_default();
    if !is_local_host(host_of(host)) {
        return Some(format!(
            "Host {host:?} is not local; mcplocal answers only localhost, 127.0.0.1 and [::1]"
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let local = authority.is_some_and(|authority| is_local_host(host_of(authority)));
        if !local {
            return Some(format!(
                "Origin {origin:?} is not local; mcplocal answers only pages from localhost"
            ));
        }
    }
    None
}

/// DNS-rebinding protection for every route: a local `Host`, and a local `Origin` if any.
async fn local_only(request: Request, next: Next) -> Response {
    match refused_headers(request.headers()) {
        Some(reason) => error_response(StatusCode::FORBIDDEN, reason),
        None => next.run(request).await,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn local_hosts_and_origins_pass() {
        for host in [
            "localhost:3200",
            "127.0.0.1:3200",
            "[::1]:3200",
            "localhost",
        ] {
            assert_eq!(refused_headers(&headers(Some(host), None)), None, "{host}");
        }
        let local_page = headers(Some("127.0.0.1:3200"), Some("http://localhost:5173"));
        assert_eq!(refused_headers(&local_page), None);
    }

    #[test]
    fn foreign_hosts_and_origins_are_refused() {
        let rebound = refused_headers(&headers(Some("evil.example:3200"), None)).unwrap();
        assert!(rebound.contains("evil.example"), "{rebound}");
        let page = refused_headers(&headers(
            Some("127.0.0.1:3200"),
            Some("https://evil.example"),
        ))
        .unwrap();
        assert!(page.contains("Origin"), "{page}");
        assert!(refused_headers(&headers(None, None)).is_some());
        assert!(refused_headers(&headers(Some("127.0.0.1"), Some("null"))).is_some());
    }

    #[test]
    fn project_names_are_dns_labels() {
        assert!(is_dns_label("my-project"));
        assert!(!is_dns_label("My_Project"));
        assert!(!is_dns_label("-x"));
        assert!(!is_dns_label(""));
    }
}
