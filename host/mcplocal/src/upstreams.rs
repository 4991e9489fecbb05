//! The project's servers, and one MCP client session per server to mcpd's endpoint for it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use mcp_proxy::{ProxyError, StreamError, UpstreamLink, UpstreamTransport};
use serde::Deserialize;
use tokio::sync::watch;

use crate::namespace::{NamespaceConfig, PrefixMode};
use crate::session::{FailMode, ProjectConfig};
use crate::traffic::Traffic;

/// Default time allowed for one upstream `initialize` handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a probe waits for one server's `ping`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// After a failed connection to a server, further requests fail at once for this long rather
/// than each waiting for another attempt.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What can go wrong talking to mcpd.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The REST request failed below HTTP (mcpd down, connection refused...).
    #[error("cannot reach mcpd at {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// mcpd answered the REST request with an error.
    #[error("mcpd answered {status} to GET {url}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },

    /// The server is not in the project's server list.
    #[error("server {server:?} is not part of project {project:?}")]
    UnknownServer { project: String, server: String },

    /// The MCP session to mcpd's endpoint of a server could not be opened.
    #[error("cannot open an MCP session to server {server:?} through mcpd: {source}")]
    Connect {
        server: String,
        #[source]
        source: ProxyError,
    },

    /// A recent attempt to connect failed; not retried yet.
    #[error("server {server:?} is unavailable (last attempt: {reason}); retrying shortly")]
    Backoff { server: String, reason: String },
}

/// The parts of mcpd's project resource mcplocal uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDoc {
    /// The project's servers, in order.
    #[serde(default)]
    pub servers: Vec<String>,
    /// The plugin serving the project (`default`, `gate`, `content-pipeline`, ...).
    #[serde(default)]
    pub proxy_model: Option<String>,
    /// `always`, `never` or `conditional`.
    #[serde(default)]
    pub prefix_mode: Option<String>,
    /// Between server and item name.
    #[serde(default)]
    pub separator: Option<String>,
    /// Longest exposed name.
    #[serde(default)]
    pub max_name_length: Option<usize>,
    /// `open` or `closed`.
    #[serde(default)]
    pub fail_mode: Option<String>,
}

impl ProjectDoc {
    /// The endpoint settings the project asks for (defaults where it says nothing).
    pub fn config(&self) -> ProjectConfig {
        let mut namespace = NamespaceConfig::default();
        if let Some(separator) = &self.separator {
            namespace = namespace.with_separator(separator.clone());
        }
        if let Some(max) = self.max_name_length {
            namespace = namespace.with_max_name_len(max);
        }
        namespace = namespace.with_prefix(match self.prefix_mode.as_deref() {
            Some("always") => PrefixMode::Always,
            Some("never") => PrefixMode::Never,
            _ => PrefixMode::Conditional,
        });
        let fail_mode = match self.fail_mode.as_deref() {
            Some("closed") => FailMode::Closed,
            _ => FailMode::Open,
        };
        ProjectConfig::default()
            .with_namespace(namespace)
            .with_fail_mode(fail_mode)
    }
}

#[derive(Default)]
struct Slot {
    link: Option<Arc<UpstreamLink>>,
    failed: Option<(Instant, String)>,
}

type SlotRef = Arc<tokio::sync::Mutex<Slot>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How mcplocal's links reach mcpd's MCP endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum McpdTransport {
    /// One `mcp-stdio` stream per link (`/api/v1/mcp-stream/{server}`): an upgraded HTTP
    /// connection carrying the STDIO framing, no HTTP request per message. Where mcpd
    /// answers 404 (an older mcpd) or 426 (something between them dropped the `Upgrade`
    /// header), the project's links fall back to streamable HTTP.
    #[default]
    Stream,
    /// Streamable HTTP (`/api/v1/mcp/{server}`) on kept connections.
    Http,
}

/// The servers of one project and an MCP client session (an [`UpstreamLink`]) to mcpd for
/// each (see [`McpdTransport`]), shared by all client sessions of the project. A link that
/// closes (mcpd restarted, session expired) is reopened on next use.
///
/// The server list is read once by [`Self::connect`]; [`Self::refresh`] (or the task of
/// [`Self::spawn_refresher`]) reads it again, opens sessions to added servers, closes those
/// of removed ones and tells [`Self::subscribe`]rs.
pub struct ProjectUpstreams {
    mcpd: String,
    project: String,
    http: reqwest::Client,
    servers: Mutex<Arc<Vec<String>>>,
    slots: Mutex<BTreeMap<String, SlotRef>>,
    connect_timeout: Duration,
    changes: watch::Sender<u64>,
    /// The project's own endpoint settings, when [`Self::follow_settings`] asked for them.
    settings: Mutex<Option<Arc<ProjectConfig>>>,
    follow_settings: bool,
    /// The settings last read from mcpd.
    doc_config: Mutex<Arc<ProjectConfig>>,
    /// Where the session's requests to servers are reported, for the inspector.
    traffic: Option<Traffic>,
    /// Servers whose last request or probe failed (their items are left out of lists).
    unavailable: Mutex<BTreeSet<String>>,
    /// Whether links open `mcp-stdio` streams ([`McpdTransport::Stream`]); cleared when
    /// mcpd cannot give one (see [`McpdTransport`]).
    mcpd_streams: AtomicBool,
}

impl std::fmt::Debug for ProjectUpstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectUpstreams")
            .field("mcpd", &self.mcpd)
            .field("project", &self.project)
            .field("servers", &self.servers())
            .finish()
    }
}

/// Reads `GET {mcpd}/api/v1/projects/{project}` and returns its `servers`, in order.
pub async fn fetch_project_servers(
    http: &reqwest::Client,
    mcpd: &str,
    project: &str,
) -> Result<Vec<String>, UpstreamError> {
    Ok(fetch_project(http, mcpd, project).await?.servers)
}

/// Reads `GET {mcpd}/api/v1/projects/{project}`.
pub async fn fetch_project(
    http: &reqwest::Client,
    mcpd: &str,
    project: &str,
) -> Result<ProjectDoc, UpstreamError> {
    let url = format!("{}/api/v1/projects/{project}", mcpd.trim_end_matches('/'));
    let http_error = |source| UpstreamError::Http {
        url: url.clone(),
        source,
    };
    let response = http.get(&url).send().await.map_err(http_error)?;
    let status = response.status();
    if !status.is_success() {
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("no error message")
            .to_owned();
        return Err(UpstreamError::Status {
            url,
            status: status.as_u16(),
            message,
        });
    }
    response.json().await.map_err(http_error)
}

impl ProjectUpstreams {
    /// Reads the project's server list from mcpd and opens a session to each server, all at
    /// once. A server that cannot be reached now does not fail this (it is retried on use);
    /// an unknown project or an unreachable mcpd does.
    pub async fn connect(
        mcpd: impl Into<String>,
        project: impl Into<String>,
        connect_timeout: Duration,
    ) -> Result<ProjectUpstreams, UpstreamError> {
        let mcpd = mcpd.into().trim_end_matches('/').to_owned();
        let project = project.into();
        let doc = fetch_project(&reqwest::Client::new(), &mcpd, &project).await?;
        Ok(Self::connect_with(mcpd, project, &doc, connect_timeout).await)
    }

    /// [`Self::connect`] with the project's document already read from mcpd.
    pub async fn connect_with(
        mcpd: impl Into<String>,
        project: impl Into<String>,
        doc: &ProjectDoc,
        connect_timeout: Duration,
    ) -> ProjectUpstreams {
        Self::connect_over(
            mcpd,
            project,
            doc,
            connect_timeout,
            McpdTransport::default(),
        )
        .await
    }

    /// [`Self::connect_with`], reaching mcpd over `transport`.
    pub async fn connect_over(
        mcpd: impl Into<String>,
        project: impl Into<String>,
        doc: &ProjectDoc,
        connect_timeout: Duration,
        transport: McpdTransport,
    ) -> ProjectUpstreams {
        let upstreams = Self::with_servers(mcpd, project, doc.servers.clone(), connect_timeout);
        upstreams
            .mcpd_streams
            .store(transport == McpdTransport::Stream, Ordering::Relaxed);
        *lock(&upstreams.doc_config) = Arc::new(doc.config());
        let servers = upstreams.servers();
        let opened = join_all(servers.iter().map(|server| upstreams.link(server))).await;
        for (server, result) in servers.iter().zip(opened) {
            if let Err(error) = result {
                tracing::warn!(project = %upstreams.project, %server, %error, "server not reachable yet");
            }
        }
        upstreams
    }

    /// Upstreams for a known server list, without reading mcpd's REST API or connecting
    /// (sessions open on first use).
    pub fn with_servers(
        mcpd: impl Into<String>,
        project: impl Into<String>,
        servers: Vec<String>,
        connect_timeout: Duration,
    ) -> ProjectUpstreams {
        let servers = dedup(servers);
        ProjectUpstreams {
            mcpd: mcpd.into().trim_end_matches('/').to_owned(),
            project: project.into(),
            http: reqwest::Client::new(),
            slots: Mutex::new(
                servers
                    .iter()
                    .map(|server| (server.clone(), SlotRef::default()))
                    .collect(),
            ),
            servers: Mutex::new(Arc::new(servers)),
            connect_timeout,
            changes: watch::Sender::new(0),
            settings: Mutex::new(None),
            follow_settings: false,
            doc_config: Mutex::default(),
            traffic: None,
            unavailable: Mutex::default(),
            mcpd_streams: AtomicBool::new(true),
        }
    }

    /// Records whether `server` just answered. When that changes whether it is available,
    /// subscribers are told (its items leave or rejoin the merged lists).
    pub fn report(&self, server: &str, answered: bool) {
        let changed = {
            let mut unavailable = lock(&self.unavailable);
            if answered {
                unavailable.remove(server)
            } else {
                unavailable.insert(server.to_owned())
            }
        };
        if changed {
            if answered {
                tracing::info!(project = %self.project, server, "server is back");
            } else {
                tracing::warn!(project = %self.project, server, "server stopped answering; its items are left out until it recovers");
            }
            self.changes.send_modify(|version| *version += 1);
        }
    }

    /// Whether `server`'s last request or probe succeeded (servers never tried count as
    /// available).
    pub fn is_available(&self, server: &str) -> bool {
        !lock(&self.unavailable).contains(server)
    }

    /// Pings every server through mcpd (at most `timeout` each, all at once) and records
    /// which answer: a server that stops answering, or comes back, changes the lists.
    pub async fn probe(&self, timeout: Duration) {
        let servers = self.servers();
        let results = join_all(servers.iter().map(|server| async move {
            match self.link(server).await {
                Ok(link) => link.ping(timeout).await.is_ok(),
                Err(_) => false,
            }
        }))
        .await;
        for (server, answered) in servers.iter().zip(results) {
            self.report(server, answered);
        }
    }

    /// Reports every request the project's sessions send to a server to `traffic`.
    pub fn with_traffic(mut self, traffic: Traffic) -> Self {
        self.traffic = Some(traffic);
        self
    }

    /// The inspector feed, when someone watches it.
    pub fn watched_traffic(&self) -> Option<&Traffic> {
        self.traffic.as_ref().filter(|traffic| traffic.is_watched())
    }

    /// Makes [`Self::settings`] return the project's own settings from mcpd (naming, fail
    /// mode), re-read by [`Self::refresh`], instead of the configuration the endpoint was
    /// built with.
    pub fn follow_settings(mut self) -> Self {
        self.follow_settings = true;
        let current = lock(&self.doc_config).clone();
        *lock(&self.settings) = Some(current);
        self
    }

    /// The project's settings from mcpd, when following them (see [`Self::follow_settings`]).
    pub fn settings(&self) -> Option<Arc<ProjectConfig>> {
        lock(&self.settings).clone()
    }

    /// Reads the project's server list from mcpd again. When it changed: sessions to added
    /// servers are opened on first use, those of removed servers closed, subscribers told.
    /// Returns whether it changed.
    pub async fn refresh(&self) -> Result<bool, UpstreamError> {
        let doc = fetch_project(&self.http, &self.mcpd, &self.project).await?;
        let config = doc.config();
        let settings_changed = self.follow_settings && **lock(&self.doc_config) != config;
        if settings_changed {
            let config = Arc::new(config);
            *lock(&self.doc_config) = config.clone();
            *lock(&self.settings) = Some(config);
        }
        let servers = dedup(doc.servers);
        if **self.servers() == servers {
            if settings_changed {
                tracing::info!(project = %self.project, "the project's settings changed");
                self.changes.send_modify(|version| *version += 1);
            }
            return Ok(settings_changed);
        }
        let removed: Vec<SlotRef> = {
            let mut slots = lock(&self.slots);
            let gone: Vec<String> = slots
                .keys()
                .filter(|server| !servers.contains(server))
                .cloned()
                .collect();
            for server in &servers {
                slots.entry(server.clone()).or_default();
            }
            gone.iter()
                .filter_map(|server| slots.remove(server))
                .collect()
        };
        tracing::info!(project = %self.project, ?servers, "the project's servers changed");
        *lock(&self.servers) = Arc::new(servers);
        let current = self.servers();
        lock(&self.unavailable).retain(|server| current.contains(server));
        for slot in removed {
            if let Some(link) = slot.lock().await.link.take() {
                link.close();
            }
        }
        self.changes.send_modify(|version| *version += 1);
        Ok(true)
    }

    /// Calls [`Self::refresh`] and [`Self::probe`] every `interval` until the upstreams are
    /// dropped.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(upstreams) = weak.upgrade() else {
                    return;
                };
                if let Err(error) = upstreams.refresh().await {
                    tracing::warn!(project = %upstreams.project, %error, "cannot re-read the project");
                }
                upstreams.probe(PROBE_TIMEOUT).await;
            }
        })
    }

    /// A receiver that sees a new value each time the server list changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The project's name.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The project's servers now, in the project's order (duplicates removed).
    pub fn servers(&self) -> Arc<Vec<String>> {
        lock(&self.servers).clone()
    }

    fn slot(&self, server: &str) -> Option<SlotRef> {
        lock(&self.slots).get(server).cloned()
    }

    /// mcpd's MCP endpoint of `server`.
    pub fn endpoint(&self, server: &str) -> String {
        format!("{}/api/v1/mcp/{server}", self.mcpd)
    }

    /// mcpd's `mcp-stdio` stream endpoint of `server`, which the links use.
    pub fn stream_endpoint(&self, server: &str) -> String {
        format!("{}/api/v1/mcp-stream/{server}", self.mcpd)
    }

    /// Opens a session to `server` through mcpd: an `mcp-stdio` stream (one connection, the
    /// STDIO framing: no HTTP request per message), or streamable HTTP to an mcpd that has
    /// no stream endpoint.
    async fn open_link(&self, server: &str) -> Result<UpstreamLink, ProxyError> {
        if self.mcpd_streams.load(Ordering::Relaxed) {
            let transport = UpstreamTransport::Stream {
                url: self.stream_endpoint(server),
            };
            match UpstreamLink::connect(transport, self.connect_timeout).await {
                Err(ProxyError::Stream(StreamError::Refused { status, .. }))
                    if status == reqwest::StatusCode::NOT_FOUND
                        || status == reqwest::StatusCode::UPGRADE_REQUIRED =>
                {
                    tracing::warn!(mcpd = %self.mcpd, %status, "mcpd gave no MCP stream (an older mcpd, or a proxy between that drops `Upgrade`); using streamable HTTP");
                    self.mcpd_streams.store(false, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        let transport = UpstreamTransport::StreamableHttp {
            url: self.endpoint(server),
            // mcpd sets TCP_NODELAY: the links of every project share kept connections.
            keep_alive: true,
        };
        UpstreamLink::connect(transport, self.connect_timeout).await
    }

    /// The open link to `server`, if there is one now (never connects).
    pub async fn current_link(&self, server: &str) -> Option<Arc<UpstreamLink>> {
        let slot = self.slot(server)?;
        let slot = slot.lock().await;
        slot.link.clone().filter(|link| !link.is_closed())
    }

    /// The link to `server`, opening a new session if it has none or its link closed.
    pub async fn link(&self, server: &str) -> Result<Arc<UpstreamLink>, UpstreamError> {
        let Some(slot) = self.slot(server) else {
            return Err(UpstreamError::UnknownServer {
                project: self.project.clone(),
                server: server.to_owned(),
            });
        };
        let mut slot = slot.lock().await;
        if let Some(link) = &slot.link
            && !link.is_closed()
        {
            return Ok(link.clone());
        }
        slot.link = None;
        if let Some((at, reason)) = &slot.failed
            && at.elapsed() < RETRY_AFTER
        {
            return Err(UpstreamError::Backoff {
                server: server.to_owned(),
                reason: reason.clone(),
            });
        }
        match self.open_link(server).await {
            Ok(link) => {
                let link = Arc::new(link);
                tracing::debug!(project = %self.project, server, link = link.id(), "upstream session opened");
                slot.link = Some(link.clone());
                slot.failed = None;
                Ok(link)
            }
            Err(source) => {
                slot.failed = Some((Instant::now(), source.to_string()));
                Err(UpstreamError::Connect {
                    server: server.to_owned(),
                    source,
                })
            }
        }
    }

    /// Drops `link` of `server` (it failed under a request) so the next use reconnects.
    pub async fn discard(&self, server: &str, link: &Arc<UpstreamLink>) {
        if let Some(slot) = self.slot(server) {
            let mut slot = slot.lock().await;
            if slot
                .link
                .as_ref()
                .is_some_and(|current| Arc::ptr_eq(current, link))
            {
                slot.link = None;
            }
        }
        link.close();
    }

    /// Closes every link.
    pub async fn close(&self) {
        let slots: Vec<SlotRef> = lock(&self.slots).values().cloned().collect();
        for slot in slots {
            if let Some(link) = slot.lock().await.link.take() {
                link.close();
            }
        }
    }
}

fn dedup(servers: Vec<String>) -> Vec<String> {
    let mut unique = Vec::with_capacity(servers.len());
    for server in servers {
        if !unique.contains(&server) {
            unique.push(server);
        }
    }
    unique
}
