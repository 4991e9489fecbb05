//! One client session of a project endpoint: the merged lists and the routed calls.

// Logging and resources/subscribe are deprecated for 2026-07-28 (SEP-2577); the revisions
// mcplocal speaks still have them, and it forwards them.
#![allow(deprecated)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::join_all;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequest,
    CompleteRequestParams, CompleteResult, DiscoverRequestMethod, DiscoverResult, GetPromptRequest,
    GetPromptRequestParams, GetPromptResponse, Implementation, InitializeRequestParams,
    InitializeResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, ProtocolVersion, ReadResourceRequest,
    ReadResourceRequestParams, ReadResourceResponse, Reference, Resource, ResourceTemplate,
    ServerCapabilities, ServerConfig, ServerResult, SetLevelRequest, SetLevelRequestParams,
    SubscribeRequest, SubscribeRequestParams, Tool, UnsubscribeRequest, UnsubscribeRequestParams,
};
use rmcp::service::{Peer, RequestContext};
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceError};
use tokio_util::sync::CancellationToken;

use mcp_proxy::{ClientSession, ForwardContext, ForwardError, UpstreamLink};

use crate::hooks::{BeforeToolCall, Hooks, SessionClient, SessionInfo};
use crate::namespace::{NameMap, Namespace, NamespaceConfig, ResourceMap, Target};
use crate::traffic::{self, TrafficEvent};
use crate::upstreams::ProjectUpstreams;
use crate::uri_template;

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// The newest protocol revision offered to clients (as mcpd's proxy: 2026-07-28 has no
/// `initialize` and no session to keep the merged lists in).
pub const NEWEST_PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// What a list does when one of the project's servers cannot answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailMode {
    /// Leave that server's items out; the rest of the project keeps working.
    #[default]
    Open,
    /// Fail the whole list request.
    Closed,
}

/// Settings of a project endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectConfig {
    /// The naming rules.
    pub namespace: NamespaceConfig,
    /// Behaviour when a server fails a list. Default [`FailMode::Open`].
    pub fail_mode: FailMode,
    /// Items per page of `tools/list`, `resources/list` and `prompts/list`. Default 500.
    pub page_size: usize,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        Self {
            namespace: NamespaceConfig::default(),
            fail_mode: FailMode::Open,
            page_size: 500,
        }
    }
}

impl ProjectConfig {
    /// Sets [`Self::namespace`].
    pub fn with_namespace(mut self, namespace: NamespaceConfig) -> Self {
        self.namespace = namespace;
        self
    }

    /// Sets [`Self::fail_mode`].
    pub fn with_fail_mode(mut self, fail_mode: FailMode) -> Self {
        self.fail_mode = fail_mode;
        self
    }

    /// Sets [`Self::page_size`] (at least 1).
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }
}

/// One merged list as the client pages through it.
struct Snapshot<T> {
    generation: u64,
    items: Arc<Vec<T>>,
}

impl<T> Default for Snapshot<T> {
    fn default() -> Self {
        Self {
            generation: 0,
            items: Arc::default(),
        }
    }
}

#[derive(Default)]
struct Catalogs {
    tools: Snapshot<Tool>,
    tool_names: Option<NameMap>,
    prompts: Snapshot<Prompt>,
    prompt_names: Option<NameMap>,
    resources: Snapshot<Resource>,
    resource_owners: ResourceMap,
    templates: Snapshot<ResourceTemplate>,
    /// (URI template, server), in project order; the first server listing a template owns it.
    template_owners: Vec<(String, String)>,
}

/// The name of a listed item, whichever string type rmcp gives it.
enum NameField<'a> {
    Cow(&'a mut Cow<'static, str>),
    Owned(&'a mut String),
}

/// Renames every item of every server to its exposed (namespaced) name, dropping those the
/// namespace has no room for; returns the reverse map with the items. Shared by tools and
/// prompts, which follow the same naming rules.
fn namespaced<T: Clone>(
    namespace: Namespace,
    gathered: Vec<(String, Arc<Vec<T>>)>,
    name_of: impl Fn(&mut T) -> NameField<'_>,
) -> (NameMap, Vec<T>) {
    let mut names = NameMap::new(namespace);
    let mut items = Vec::with_capacity(gathered.iter().map(|(_, list)| list.len()).sum());
    for (server, list) in gathered {
        for mut item in list.iter().cloned() {
            let exposed = match name_of(&mut item) {
                NameField::Cow(name) => names
                    .insert(&server, name)
                    .map(|exposed| *name = Cow::Owned(exposed)),
                NameField::Owned(name) => {
                    names.insert(&server, name).map(|exposed| *name = exposed)
                }
            };
            if exposed.is_some() {
                items.push(item);
            }
        }
    }
    (names, items)
}

/// Reads an answer rmcp parsed into an unexpected variant (its result union is untagged)
/// as the type the request implies.
fn convert<T: serde::de::DeserializeOwned>(
    result: ServerResult,
    method: &str,
) -> Result<T, ErrorData> {
    serde_json::to_value(result)
        .and_then(serde_json::from_value)
        .map_err(|error| {
            ErrorData::internal_error(
                format!("the server answered {method} with an unexpected result: {error}"),
                None,
            )
        })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cursor of the page starting at `offset` of list `generation`. Opaque to clients.
fn cursor(generation: u64, offset: usize) -> String {
    format!("{generation:x}.{offset:x}")
}

fn parse_cursor(cursor: &str) -> Option<(u64, usize)> {
    let (generation, offset) = cursor.split_once('.')?;
    Some((
        u64::from_str_radix(generation, 16).ok()?,
        usize::from_str_radix(offset, 16).ok()?,
    ))
}

fn stale_cursor() -> ErrorData {
    ErrorData::invalid_params("invalid or stale cursor; list again from the start", None)
}

/// One page of `items` from `offset`, and the cursor of the next page.
fn page<T: Clone>(
    items: &[T],
    generation: u64,
    offset: usize,
    size: usize,
) -> Result<(Vec<T>, Option<String>), ErrorData> {
    if offset > items.len() {
        return Err(stale_cursor());
    }
    let end = offset.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| cursor(generation, end));
    Ok((items[offset..end].to_vec(), next))
}

/// Which kind of list, for capability checks and messages.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Tools,
    Prompts,
    Resources,
    Templates,
}

impl Kind {
    fn method(self) -> &'static str {
        match self {
            Kind::Tools => "tools/list",
            Kind::Prompts => "prompts/list",
            Kind::Resources => "resources/list",
            Kind::Templates => "resources/templates/list",
        }
    }

    fn offered_by(self, capabilities: &ServerCapabilities) -> bool {
        match self {
            Kind::Tools => capabilities.tools.is_some(),
            Kind::Prompts => capabilities.prompts.is_some(),
            Kind::Resources | Kind::Templates => capabilities.resources.is_some(),
        }
    }
}

/// One client session of a project: an rmcp [`ServerHandler`] that merges the lists of the
/// project's servers under the [`Namespace`] rules and routes each call to the server
/// behind the name (or URI), through the shared [`ProjectUpstreams`].
///
/// Lists are fetched from every server when a client asks for the first page; later pages
/// come from that snapshot (the cursor names it). A call by a name the session has not listed
/// (or that is no longer in its last list) refreshes the list once before it is refused.
pub struct ProjectSession<H: Hooks> {
    upstreams: Arc<ProjectUpstreams>,
    hooks: Arc<H>,
    config: Arc<ProjectConfig>,
    info: SessionInfo,
    created: AtomicBool,
    catalogs: Mutex<Catalogs>,
    /// This session as the links to mcpd see it: where progress, logging and relayed
    /// sampling/elicitation requests for it go.
    client: ClientSession,
    /// The links this session receives broadcast notifications from, by link id.
    subscribed: Mutex<BTreeMap<u64, Weak<UpstreamLink>>>,
    /// Ends the task that tells the client about changes of the project's server list.
    ct: CancellationToken,
}

impl<H: Hooks> std::fmt::Debug for ProjectSession<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectSession")
            .field("info", &self.info)
            .finish()
    }
}

impl<H: Hooks> ProjectSession<H> {
    /// A new client session of the project behind `upstreams`.
    pub fn new(
        upstreams: Arc<ProjectUpstreams>,
        hooks: Arc<H>,
        config: Arc<ProjectConfig>,
    ) -> Self {
        let info = SessionInfo {
            id: NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed),
            project: upstreams.project().to_owned(),
            client: SessionClient::default(),
        };
        Self {
            client: ClientSession::new(info.project.clone()),
            upstreams,
            hooks,
            config,
            info,
            created: AtomicBool::new(false),
            catalogs: Mutex::default(),
            subscribed: Mutex::default(),
            ct: CancellationToken::new(),
        }
    }

    /// The endpoint settings in force: the project's own when its upstreams follow them.
    fn config(&self) -> Arc<ProjectConfig> {
        self.upstreams
            .settings()
            .unwrap_or_else(|| self.config.clone())
    }

    /// Who the hooks are called for.
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// The naming rules of this session's project, for its current number of servers.
    pub fn namespace(&self) -> Namespace {
        Namespace::new(&self.config().namespace, self.upstreams.servers().len())
    }

    /// Tells the client that every list changed whenever the project's server list does,
    /// until the session ends.
    fn watch_project(&self, peer: Peer<RoleServer>) {
        let mut changes = self.upstreams.subscribe();
        let ct = self.ct.clone();
        let session = self.info.id;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = changes.changed() => if changed.is_err() { return },
                    () = ct.cancelled() => return,
                }
                let sent = async {
                    peer.notify_tool_list_changed().await?;
                    peer.notify_prompt_list_changed().await?;
                    peer.notify_resource_list_changed().await
                };
                if let Err(error) = sent.await {
                    tracing::debug!(session, %error, "cannot tell the client its lists changed");
                    return;
                }
            }
        });
    }

    /// The link to `server`, with this session subscribed to its broadcast notifications.
    async fn link(&self, server: &str) -> Result<Arc<UpstreamLink>, ErrorData> {
        let link = self
            .upstreams
            .link(server)
            .await
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        let mut subscribed = lock(&self.subscribed);
        if !subscribed.contains_key(&link.id()) {
            subscribed.retain(|_, link| link.strong_count() > 0);
            link.subscribe(&self.client);
            subscribed.insert(link.id(), Arc::downgrade(&link));
        }
        Ok(link)
    }

    /// `server`'s link failed under a request: drop it so the next request reconnects.
    async fn link_failed(&self, server: &str, link: &Arc<UpstreamLink>, error: &str) -> ErrorData {
        tracing::warn!(project = %self.info.project, server, %error, "upstream session went away");
        self.upstreams.discard(server, link).await;
        ErrorData::internal_error(
            format!("server {server} went away; retry"),
            Some(serde_json::json!({ "server": server, "retry": true })),
        )
    }

    /// Runs `call` on `server`'s upstream peer (for the session's own list requests),
    /// cancelled with the client's request. A broken link is dropped so the next request
    /// reconnects.
    async fn on_server<T, F, Fut>(
        &self,
        server: &str,
        kind: Kind,
        context: &RequestContext<RoleServer>,
        call: F,
    ) -> Result<T, ErrorData>
    where
        T: serde::Serialize,
        F: FnOnce(Arc<UpstreamLink>) -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let started = Instant::now();
        let result = self.on_server_inner(server, context, call).await;
        self.record(server, kind.method(), None, started, 0, &result);
        result
    }

    async fn on_server_inner<T, F, Fut>(
        &self,
        server: &str,
        context: &RequestContext<RoleServer>,
        call: F,
    ) -> Result<T, ErrorData>
    where
        F: FnOnce(Arc<UpstreamLink>) -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let link = self.link(server).await?;
        let result = tokio::select! {
            result = call(link.clone()) => result,
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error("request cancelled", None));
            }
        };
        match result {
            Ok(value) => Ok(value),
            Err(ServiceError::McpError(error)) => Err(error),
            Err(error @ (ServiceError::TransportClosed | ServiceError::TransportSend(_))) => {
                Err(self.link_failed(server, &link, &error.to_string()).await)
            }
            Err(error) => Err(ErrorData::internal_error(
                format!("request to server {server} failed: {error}"),
                None,
            )),
        }
    }

    /// Forwards the client's request to `server` through the link's routing, so the
    /// server's progress, logging and sampling/elicitation requests reach this client.
    async fn forward(
        &self,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let Some(_) = self.upstreams.watched_traffic() else {
            return self.forward_inner(server, request, context).await;
        };
        let started = Instant::now();
        let method = request.method().to_owned();
        let name = match &request {
            ClientRequest::CallToolRequest(call) => Some(call.params.name.to_string()),
            ClientRequest::GetPromptRequest(get) => Some(get.params.name.clone()),
            ClientRequest::ReadResourceRequest(read) => Some(read.params.uri.clone()),
            _ => None,
        };
        let request_bytes = traffic::json_size(&request);
        let result = self.forward_inner(server, request, context).await;
        self.record(server, &method, name, started, request_bytes, &result);
        result
    }

    /// Reports one request to the inspector, if anyone watches.
    fn record<T: serde::Serialize>(
        &self,
        server: &str,
        method: &str,
        name: Option<String>,
        started: Instant,
        request_bytes: usize,
        result: &Result<T, ErrorData>,
    ) {
        let Some(traffic) = self.upstreams.watched_traffic() else {
            return;
        };
        let latency_us = traffic::micros(started.elapsed());
        let (response_bytes, error) = match result {
            Ok(value) => (traffic::json_size(value), None),
            Err(error) => (traffic::json_size(error), Some(error.message.to_string())),
        };
        traffic.publish(TrafficEvent {
            time: traffic::timestamp(SystemTime::now()),
            project: self.info.project.clone(),
            session: self.info.id,
            server: server.to_owned(),
            method: method.to_owned(),
            name,
            latency_us,
            request_bytes,
            response_bytes,
            error,
        });
    }

    async fn forward_inner(
        &self,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let link = self.link(server).await?;
        let forwarded = ForwardContext {
            id: context.id.clone(),
            meta: context.meta.clone(),
            ct: context.ct.clone(),
        };
        match link.forward(&self.client, request, forwarded).await {
            Ok(result) => Ok(result),
            Err(ForwardError::Mcp(error)) => Err(error),
            Err(ForwardError::Gone) => Err(self.link_failed(server, &link, "link closed").await),
            Err(ForwardError::Cancelled) => {
                Err(ErrorData::internal_error("request cancelled", None))
            }
            Err(ForwardError::Failed(error)) => Err(ErrorData::internal_error(
                format!("request to server {server} failed: {error}"),
                None,
            )),
        }
    }

    /// Every server's items of one kind, in project order; servers that fail are left out
    /// ([`FailMode::Open`]) or fail the request ([`FailMode::Closed`]). Servers that do not
    /// offer the kind contribute nothing. `list` reads one link's list (kept by the link's
    /// [`mcp_proxy::ListCache`] until the server says it changed).
    async fn gather<T, F, Fut>(
        &self,
        kind: Kind,
        context: &RequestContext<RoleServer>,
        list: F,
    ) -> Result<Vec<(String, Arc<Vec<T>>)>, ErrorData>
    where
        T: serde::Serialize,
        F: Fn(Arc<UpstreamLink>) -> Fut,
        Fut: Future<Output = Result<Arc<Vec<T>>, ServiceError>>,
    {
        let servers = self.upstreams.servers();
        let results = join_all(servers.iter().map(|server| {
            let list = &list;
            async move {
                let link = self.link(server).await?;
                if !kind.offered_by(&link.server_info().capabilities) {
                    return Ok(Arc::new(Vec::new()));
                }
                // A server that is failing is asked for real: an answer brings it back,
                // a failure leaves its items out (a kept list would hide either).
                if !self.upstreams.is_available(server) {
                    link.lists().clear();
                }
                self.on_server(server, kind, context, list).await
            }
        }))
        .await;
        let mut merged = Vec::with_capacity(servers.len());
        for (server, result) in servers.iter().zip(results) {
            self.upstreams.report(server, result.is_ok());
            match result {
                Ok(items) => merged.push((server.clone(), items)),
                Err(error) => match self.config().fail_mode {
                    FailMode::Open => {
                        tracing::warn!(project = %self.info.project, %server, message = %error.message, "{} failed; its items are left out", kind.method());
                    }
                    FailMode::Closed => {
                        return Err(ErrorData::new(
                            error.code,
                            format!(
                                "{} of server {server} failed: {}",
                                kind.method(),
                                error.message
                            ),
                            error.data,
                        ));
                    }
                },
            }
        }
        Ok(merged)
    }

    async fn refresh_tools(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(u64, Arc<Vec<Tool>>), ErrorData> {
        let gathered = self
            .gather(Kind::Tools, context, |link| async move {
                link.lists().get(|| link.peer().list_all_tools()).await
            })
            .await?;
        let (names, tools) = namespaced(self.namespace(), gathered, |tool: &mut Tool| {
            NameField::Cow(&mut tool.name)
        });
        let tools = Arc::new(self.hooks.tools_list(&self.info, tools).await?);
        Ok(self.publish(tools, |catalogs, snapshot| {
            catalogs.tools = snapshot;
            catalogs.tool_names = Some(names);
        }))
    }

    async fn refresh_prompts(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(u64, Arc<Vec<Prompt>>), ErrorData> {
        let gathered = self
            .gather(Kind::Prompts, context, |link| async move {
                link.lists().get(|| link.peer().list_all_prompts()).await
            })
            .await?;
        let (names, prompts) = namespaced(self.namespace(), gathered, |prompt: &mut Prompt| {
            NameField::Owned(&mut prompt.name)
        });
        let prompts = Arc::new(self.hooks.prompts_list(&self.info, prompts).await?);
        Ok(self.publish(prompts, |catalogs, snapshot| {
            catalogs.prompts = snapshot;
            catalogs.prompt_names = Some(names);
        }))
    }

    async fn refresh_resources(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(u64, Arc<Vec<Resource>>), ErrorData> {
        let gathered = self
            .gather(Kind::Resources, context, |link| async move {
                link.lists().get(|| link.peer().list_all_resources()).await
            })
            .await?;
        let mut owners = ResourceMap::new();
        let mut resources = Vec::new();
        for (server, list) in gathered {
            for resource in list.iter().cloned() {
                if owners.insert(&server, &resource.uri) {
                    resources.push(resource);
                }
            }
        }
        let resources = Arc::new(self.hooks.resources_list(&self.info, resources).await?);
        Ok(self.publish(resources, |catalogs, snapshot| {
            catalogs.resources = snapshot;
            catalogs.resource_owners = owners;
        }))
    }

    async fn refresh_templates(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<(u64, Arc<Vec<ResourceTemplate>>), ErrorData> {
        let gathered = self
            .gather(Kind::Templates, context, |link| async move {
                link.lists()
                    .get(|| link.peer().list_all_resource_templates())
                    .await
            })
            .await?;
        let mut owners: Vec<(String, String)> = Vec::new();
        let mut templates = Vec::new();
        for (server, list) in gathered {
            for template in list.iter().cloned() {
                if !owners
                    .iter()
                    .any(|(known, _)| *known == template.uri_template)
                {
                    owners.push((template.uri_template.clone(), server.clone()));
                    templates.push(template);
                }
            }
        }
        let templates = Arc::new(templates);
        Ok(self.publish(templates, |catalogs, snapshot| {
            catalogs.templates = snapshot;
            catalogs.template_owners = owners;
        }))
    }

    /// Makes `items` the session's current list of one kind (under a new generation, which
    /// its cursors name), with `put` storing it and its routing table in the catalogs.
    fn publish<T>(
        &self,
        items: Arc<Vec<T>>,
        put: impl FnOnce(&mut Catalogs, Snapshot<T>),
    ) -> (u64, Arc<Vec<T>>) {
        let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
        let snapshot = Snapshot {
            generation,
            items: items.clone(),
        };
        put(&mut lock(&self.catalogs), snapshot);
        (generation, items)
    }

    /// The page a list request asks for: a fresh list for the first page, the snapshot the
    /// cursor names for the others.
    async fn list_page<T, R, Fut>(
        &self,
        request: Option<PaginatedRequestParams>,
        snapshot: impl Fn(&Catalogs) -> &Snapshot<T>,
        refresh: R,
    ) -> Result<(Vec<T>, Option<String>), ErrorData>
    where
        T: Clone,
        R: FnOnce() -> Fut,
        Fut: Future<Output = Result<(u64, Arc<Vec<T>>), ErrorData>>,
    {
        let size = self.config().page_size.max(1);
        match request.and_then(|request| request.cursor) {
            None => {
                let (generation, items) = refresh().await?;
                page(&items, generation, 0, size)
            }
            Some(text) => {
                let (generation, offset) = parse_cursor(&text).ok_or_else(stale_cursor)?;
                let items = {
                    let catalogs = lock(&self.catalogs);
                    let current = snapshot(&catalogs);
                    if current.generation != generation {
                        return Err(stale_cursor());
                    }
                    current.items.clone()
                };
                page(&items, generation, offset, size)
            }
        }
    }

    /// The server behind a tool name; `None` when no server of the project has it.
    async fn resolve_tool(
        &self,
        name: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Option<Target>, ErrorData> {
        let known = |catalogs: &Catalogs| {
            catalogs
                .tool_names
                .as_ref()
                .and_then(|names| names.resolve(name).cloned())
        };
        if let Some(target) = known(&lock(&self.catalogs)) {
            return Ok(Some(target));
        }
        self.refresh_tools(context).await?;
        Ok(known(&lock(&self.catalogs)))
    }

    async fn resolve_prompt(
        &self,
        name: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Target, ErrorData> {
        let known = |catalogs: &Catalogs| {
            catalogs
                .prompt_names
                .as_ref()
                .and_then(|names| names.resolve(name).cloned())
        };
        if let Some(target) = known(&lock(&self.catalogs)) {
            return Ok(target);
        }
        self.refresh_prompts(context).await?;
        known(&lock(&self.catalogs))
            .ok_or_else(|| ErrorData::invalid_params(format!("unknown prompt: {name}"), None))
    }

    /// The server behind a resource URI: the one that listed it, else the first whose
    /// resource template describes it.
    async fn resource_owner(
        &self,
        uri: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let known = |catalogs: &Catalogs| {
            catalogs
                .resource_owners
                .owner(uri)
                .map(str::to_owned)
                .or_else(|| {
                    catalogs
                        .template_owners
                        .iter()
                        .find(|(template, _)| uri_template::matches(template, uri))
                        .map(|(_, server)| server.clone())
                })
        };
        if let Some(server) = known(&lock(&self.catalogs)) {
            return Ok(server);
        }
        self.refresh_resources(context).await?;
        self.refresh_templates(context).await?;
        known(&lock(&self.catalogs)).ok_or_else(|| {
            ErrorData::resource_not_found(
                format!(
                    "no server of project {} has resource {uri}",
                    self.info.project
                ),
                None,
            )
        })
    }

    /// The server that listed the resource template `template` (exactly).
    async fn template_owner(
        &self,
        template: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let known = |catalogs: &Catalogs| {
            catalogs
                .template_owners
                .iter()
                .find(|(known, _)| known == template)
                .map(|(_, server)| server.clone())
        };
        if let Some(server) = known(&lock(&self.catalogs)) {
            return Ok(server);
        }
        self.refresh_templates(context).await?;
        let found = known(&lock(&self.catalogs));
        match found {
            Some(server) => Ok(server),
            None => self.resource_owner(template, context).await,
        }
    }

    /// Forwards a request whose answer is empty (`{}`).
    async fn forward_empty(
        &self,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.forward(server, request, context).await.map(|_| ())
    }

    /// The servers' own instructions, each under its name (from the links open now).
    async fn instructions(&self) -> Option<String> {
        let mut parts = Vec::new();
        for server in self.upstreams.servers().iter() {
            if let Some(link) = self.upstreams.current_link(server).await
                && let Some(text) = &link.server_info().instructions
                && !text.trim().is_empty()
            {
                parts.push(format!("## {server}\n{}", text.trim()));
            }
        }
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    }
}

impl<H: Hooks> Drop for ProjectSession<H> {
    fn drop(&mut self) {
        self.ct.cancel();
        for link in lock(&self.subscribed).values() {
            if let Some(link) = link.upgrade() {
                link.unsubscribe(self.client.id());
            }
        }
        if self.created.load(Ordering::Acquire) {
            self.hooks.session_destroyed(&self.info);
        }
    }
}

impl<H: Hooks> ServerHandler for ProjectSession<H> {
    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        self.client.set_peer(context.peer.clone());
        self.info.client.set_peer(context.peer.clone());
        if !self.created.swap(true, Ordering::AcqRel) {
            self.hooks.session_created(&self.info).await;
            self.watch_project(context.peer.clone());
        }
        let mut result = self.negotiate_initialize(&request)?;
        result.instructions = self.instructions().await;
        self.hooks.initialize(&self.info, &request, result).await
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&NEWEST_PROTOCOL_VERSION))
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .build();
        let mut capabilities = capabilities;
        // Forwarded to every server that logs, and to the server behind the reference.
        capabilities.logging = Some(Default::default());
        capabilities.completions = Some(Default::default());
        InitializeResult::new(capabilities).with_server_info(Implementation::new(
            format!("mcplocal/{}", self.info.project),
            env!("CARGO_PKG_VERSION"),
        ))
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        // Tells 2026-07-28 clients to fall back to `initialize`.
        Err(ErrorData::method_not_found::<DiscoverRequestMethod>())
    }

    async fn ping(&self, _context: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (tools, next) = self
            .list_page(request, |c| &c.tools, || self.refresh_tools(&context))
            .await?;
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = next;
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let target = self.resolve_tool(&request.name, &context).await?;
        let response = match self
            .hooks
            .before_tool_call(&self.info, target.as_ref(), request)
            .await?
        {
            BeforeToolCall::Respond(response) => response,
            BeforeToolCall::Forward(mut request) => {
                let Some(target) = &target else {
                    return Err(ErrorData::invalid_params(
                        format!("unknown tool: {}", request.name),
                        None,
                    ));
                };
                request.name = Cow::Owned(target.name.clone());
                let request = ClientRequest::CallToolRequest(CallToolRequest::new(request));
                match self.forward(&target.server, request, &context).await? {
                    ServerResult::CallToolResult(result) => CallToolResponse::Complete(result),
                    ServerResult::CreateTaskResult(result) => CallToolResponse::Task(result),
                    ServerResult::InputRequiredResult(result) => {
                        CallToolResponse::InputRequired(result)
                    }
                    other => CallToolResponse::Complete(convert(other, "tools/call")?),
                }
            }
        };
        self.hooks
            .after_tool_call(&self.info, target.as_ref(), response)
            .await
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let (prompts, next) = self
            .list_page(request, |c| &c.prompts, || self.refresh_prompts(&context))
            .await?;
        let mut result = ListPromptsResult::with_all_items(prompts);
        result.next_cursor = next;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let target = self.resolve_prompt(&request.name, &context).await?;
        if let Some(answer) = self
            .hooks
            .before_prompt_get(&self.info, &target, &request)
            .await?
        {
            return Ok(answer);
        }
        let mut upstream = request.clone();
        upstream.name = target.name.clone();
        let forwarded = ClientRequest::GetPromptRequest(GetPromptRequest::new(upstream));
        let response = match self.forward(&target.server, forwarded, &context).await? {
            ServerResult::GetPromptResult(result) => GetPromptResponse::Complete(result),
            ServerResult::InputRequiredResult(result) => GetPromptResponse::InputRequired(result),
            other => GetPromptResponse::Complete(convert(other, "prompts/get")?),
        };
        self.hooks
            .prompt_get(&self.info, &target, &request, response)
            .await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let (resources, next) = self
            .list_page(
                request,
                |c| &c.resources,
                || self.refresh_resources(&context),
            )
            .await?;
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = next;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let (templates, next) = self
            .list_page(
                request,
                |c| &c.templates,
                || self.refresh_templates(&context),
            )
            .await?;
        let mut result = ListResourceTemplatesResult::with_all_items(templates);
        result.next_cursor = next;
        Ok(result)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let server = self.resource_owner(&request.uri, &context).await?;
        let forwarded = ClientRequest::SubscribeRequest(SubscribeRequest::new(request));
        self.forward_empty(&server, forwarded, &context).await
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let server = self.resource_owner(&request.uri, &context).await?;
        let forwarded = ClientRequest::UnsubscribeRequest(UnsubscribeRequest::new(request));
        self.forward_empty(&server, forwarded, &context).await
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // Every server that logs gets the level (on a shared link it applies to every
        // session of the project; see ARCHITECTURE.md).
        let servers = self.upstreams.servers();
        let sends = servers.iter().map(|server| {
            let request = request.clone();
            let context = &context;
            async move {
                let link = self.link(server).await?;
                if link.server_info().capabilities.logging.is_none() {
                    return Ok(());
                }
                let forwarded = ClientRequest::SetLevelRequest(SetLevelRequest::new(request));
                self.forward_empty(server, forwarded, context).await
            }
        });
        for (server, result) in servers.iter().zip(join_all(sends).await) {
            if let Err(error) = result {
                tracing::debug!(project = %self.info.project, %server, message = %error.message, "logging/setLevel not taken");
            }
        }
        Ok(())
    }

    async fn complete(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let server = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let target = self.resolve_prompt(&prompt.name, &context).await?;
                prompt.name = target.name;
                target.server
            }
            Reference::Resource(resource) => self.template_owner(&resource.uri, &context).await?,
            _ => {
                return Err(ErrorData::invalid_params(
                    "completion/complete: unknown kind of reference",
                    None,
                ));
            }
        };
        let forwarded = ClientRequest::CompleteRequest(CompleteRequest::new(request));
        match self.forward(&server, forwarded, &context).await? {
            ServerResult::CompleteResult(result) => Ok(result),
            other => convert(other, "completion/complete"),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let server = self.resource_owner(&request.uri, &context).await?;
        let upstream = request.clone();
        let forwarded = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(upstream));
        let response = match self.forward(&server, forwarded, &context).await? {
            ServerResult::ReadResourceResult(result) => ReadResourceResponse::Complete(result),
            ServerResult::InputRequiredResult(result) => {
                ReadResourceResponse::InputRequired(result)
            }
            other => ReadResourceResponse::Complete(convert(other, "resources/read")?),
        };
        self.hooks
            .resource_read(&self.info, &server, &request, response)
            .await
    }
}

/// The streamable-HTTP service that [`mcp_service`] builds.
pub type ProjectService<H> = StreamableHttpService<ProjectSession<H>, LocalSessionManager>;

/// How long a client session may stay idle before it is closed, unless told otherwise.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The project's MCP endpoint as one tower service (rmcp's streamable HTTP with stateful
/// sessions, one [`ProjectSession`] each, closed after [`DEFAULT_SESSION_IDLE_TIMEOUT`] idle).
/// Mount it with axum's `route_service`.
pub fn mcp_service<H: Hooks>(
    upstreams: Arc<ProjectUpstreams>,
    hooks: Arc<H>,
    config: Arc<ProjectConfig>,
    http: StreamableHttpServerConfig,
) -> ProjectService<H> {
    mcp_service_with_idle_timeout(
        upstreams,
        hooks,
        config,
        http,
        Some(DEFAULT_SESSION_IDLE_TIMEOUT),
    )
}

/// [`mcp_service`] with sessions closed after `idle_timeout` without a request (`None`:
/// never).
pub fn mcp_service_with_idle_timeout<H: Hooks>(
    upstreams: Arc<ProjectUpstreams>,
    hooks: Arc<H>,
    config: Arc<ProjectConfig>,
    http: StreamableHttpServerConfig,
    idle_timeout: Option<Duration>,
) -> ProjectService<H> {
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = idle_timeout;
    StreamableHttpService::new(
        move || {
            Ok(ProjectSession::new(
                upstreams.clone(),
                hooks.clone(),
                config.clone(),
            ))
        },
        Arc::new(sessions),
        http,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(parse_cursor(&cursor(7, 300)), Some((7, 300)));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor("1.zz"), None);
    }

    #[test]
    fn pages_cover_the_list_once() {
        let items: Vec<u32> = (0..5).collect();
        let (first, next) = page(&items, 3, 0, 2).unwrap();
        assert_eq!(first, [0, 1]);
        let (generation, offset) = parse_cursor(&next.unwrap()).unwrap();
        assert_eq!((generation, offset), (3, 2));
        let (second, next) = page(&items, 3, offset, 2).unwrap();
        assert_eq!(second, [2, 3]);
        let (_, offset) = parse_cursor(&next.unwrap()).unwrap();
        let (last, next) = page(&items, 3, offset, 2).unwrap();
        assert_eq!(last, [4]);
        assert_eq!(next, None);
        assert!(page(&items, 3, 6, 2).is_err());
        assert_eq!(page::<u32>(&[], 1, 0, 2).unwrap(), (vec![], None));
    }
}
