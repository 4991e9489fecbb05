//! The reconciler: keeps, for every server, the declared number of healthy instances.
//!
//! Each tick compares the servers in the store with the instances it runs: it starts missing
//! instances, removes extra ones and ones whose definition changed, restarts crashed or
//! unhealthy ones with exponential backoff, and probes the running ones. Starting and probing
//! run as tasks, so a slow image pull never holds up the other servers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use resource_model::spec::InstanceSpec;
use resource_model::{Resource, Spec};
use store::Store;
use tokio::sync::{Notify, broadcast};

use crate::docker::DockerBackend;
use crate::endpoint::Endpoint;
use crate::error::RuntimeError;
use crate::launch::{BackendKind, LaunchSpec, resolve_all};
use crate::logs::LogBuffer;
use crate::process::ProcessBackend;

/// An initialized MCP session with one instance, as the runtime needs it: made from an
/// endpoint, probed, and noticed when it closes. mcpd implements it with its MCP proxy.
pub trait Link: Send + Sync + Sized + 'static {
    fn connect(
        endpoint: Endpoint,
        timeout: Duration,
    ) -> impl Future<Output = Result<Self, String>> + Send;
    /// A health probe: ping, then the probe tool when the server names one.
    fn probe(
        &self,
        timeout: Duration,
        tool: Option<(String, serde_json::Value)>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn is_closed(&self) -> bool;
}

/// The observed state of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Being started, or waiting to be.
    Pending,
    /// Initialized and answering probes.
    Running,
    /// Started but not answering: not given traffic, restarted after a backoff.
    Unhealthy,
    /// Exited; restarted after a backoff that doubles with each crash.
    CrashLoop,
    /// Cannot be started as defined (image missing, no engine, bad command); retried slowly.
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Unhealthy => "Unhealthy",
            Phase::CrashLoop => "CrashLoop",
            Phase::Failed => "Failed",
        }
    }
}

/// Something that happened to a server's instances, for `describe server`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at_ms: i64,
    pub warning: bool,
    pub reason: &'static str,
    pub instance: String,
    pub message: String,
}

const EVENTS_KEPT: usize = 50;
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How long to wait before the `failures`-th consecutive retry: 1 s, 2 s, 4 s ... 5 min.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(9)).min(MAX_BACKOFF)
}

struct Instance<L> {
    id: String,
    server: String,
    hash: String,
    spec: LaunchSpec,
    phase: Phase,
    restarts: u32,
    failures_in_row: u32,
    last_error: Option<String>,
    started_at_ms: Option<i64>,
    runtime_id: Option<String>,
    link: Option<Arc<L>>,
    probe_failures: u32,
    next_start: Instant,
    next_probe: Instant,
    busy: bool,
    logs: Arc<LogBuffer>,
    /// Where an HTTP instance listens, so dedicated sessions can open links of their own.
    http: Option<(String, bool)>,
}

/// A process or container started for one dedicated client session of a STDIO server;
/// stopped once its link closes (the session ended).
struct Ephemeral<L> {
    id: String,
    backend: BackendKind,
    runtime_id: String,
    link: Arc<L>,
}

struct State<L> {
    instances: BTreeMap<String, Instance<L>>,
    ephemeral: Vec<Ephemeral<L>>,
    events: HashMap<String, VecDeque<Event>>,
    round_robin: HashMap<String, usize>,
    adopted: bool,
}

/// Settings of the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Names this mcpd's containers and processes; derived from `$MCPCTL_HOME`.
    pub owner: String,
    /// Docker or Podman API socket; `None` for the default (`DOCKER_HOST`, /var/run/docker.sock).
    pub docker_socket: Option<String>,
    /// How often the reconciler looks even when nothing woke it.
    pub tick: Duration,
}

/// How long `shutdown` waits for stops already under way.
const STOPPING_WITHIN: Duration = Duration::from_secs(15);

pub struct Runtime<L: Link> {
    store: Arc<Store>,
    config: RuntimeConfig,
    process: ProcessBackend,
    docker: tokio::sync::Mutex<Option<DockerBackend>>,
    state: Mutex<State<L>>,
    wake: Notify,
    /// Instances being stopped beside the loop; `shutdown` waits for them, so that a deleted
    /// server's container is not left behind when mcpd stops right after the delete.
    stopping: Mutex<tokio::task::JoinSet<()>>,
    /// Held for a whole reconcile pass, so that `shutdown` can wait for the one under way.
    pass: tokio::sync::Mutex<()>,
    /// Set by `shutdown`: later passes do nothing.
    stopped: std::sync::atomic::AtomicBool,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn new_instance_id(server: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_ms());
    let mut n = h.finish();
    let mut suffix = String::new();
    for _ in 0..5 {
        let digit = (n % 36) as u8;
        suffix.push(char::from(if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        }));
        n /= 36;
    }
    format!("{server}-{suffix}")
}

impl<L: Link> Runtime<L> {
    pub fn new(store: Arc<Store>, config: RuntimeConfig) -> Arc<Runtime<L>> {
        Arc::new(Runtime {
            process: ProcessBackend::new(&config.owner),
            store,
            config,
            docker: tokio::sync::Mutex::new(None),
            state: Mutex::new(State {
                instances: BTreeMap::new(),
                ephemeral: Vec::new(),
                events: HashMap::new(),
                round_robin: HashMap::new(),
                adopted: false,
            }),
            wake: Notify::new(),
            stopping: Mutex::new(tokio::task::JoinSet::new()),
            pass: tokio::sync::Mutex::new(()),
            stopped: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn state(&self) -> MutexGuard<'_, State<L>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks for a reconcile now (after a change to servers, secrets or templates).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs the reconciler until the process ends.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let runtime = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                runtime.reconcile().await;
                tokio::select! {
                    _ = runtime.wake.notified() => {}
                    _ = tokio::time::sleep(runtime.config.tick) => {}
                }
            }
        })
    }

    fn event(
        &self,
        state: &mut State<L>,
        server: &str,
        instance: &str,
        warning: bool,
        reason: &'static str,
        message: String,
    ) {
        if warning {
            tracing::warn!(server, instance, reason, "{message}");
        } else {
            tracing::info!(server, instance, reason, "{message}");
        }
        let events = state.events.entry(server.to_owned()).or_default();
        if events
            .back()
            .is_some_and(|e| e.reason == reason && e.message == message && e.instance == instance)
        {
            return;
        }
        if events.len() == EVENTS_KEPT {
            events.pop_front();
        }
        events.push_back(Event {
            at_ms: now_ms(),
            warning,
            reason,
            instance: instance.to_owned(),
            message,
        });
    }

    fn record(
        &self,
        server: &str,
        instance: &str,
        warning: bool,
        reason: &'static str,
        message: String,
    ) {
        let mut state = self.state();
        self.event(&mut state, server, instance, warning, reason, message);
    }

    async fn docker(&self) -> Result<DockerBackend, RuntimeError> {
        let mut docker = self.docker.lock().await;
        if let Some(d) = docker.as_ref() {
            return Ok(d.clone());
        }
        let connected =
            DockerBackend::connect(self.config.docker_socket.as_deref(), &self.config.owner)
                .await?;
        *docker = Some(connected.clone());
        Ok(connected)
    }

    /// The desired launch spec of every server, or why it cannot run.
    async fn desired(&self) -> Option<BTreeMap<String, Result<LaunchSpec, String>>> {
        match resolve_all(&self.store).await {
            Ok(desired) => Some(desired),
            Err(e) => {
                tracing::error!("reconcile: cannot read the desired state: {e}");
                None
            }
        }
    }

    async fn adopt(self: &Arc<Self>, desired: &BTreeMap<String, Result<LaunchSpec, String>>) {
        let killed = self.process.kill_orphans();
        if killed > 0 {
            tracing::info!("killed {killed} server processes left by a previous mcpd");
        }
        let needs_docker = desired
            .values()
            .any(|d| d.as_ref().is_ok_and(|s| s.backend == BackendKind::Docker));
        let docker = match self.docker().await {
            Ok(d) => d,
            Err(e) => {
                if needs_docker {
                    tracing::warn!("cannot look for containers to adopt: {e}");
                }
                return;
            }
        };
        let owned = match docker.owned().await {
            Ok(owned) => owned,
            Err(e) => {
                tracing::warn!("cannot list containers to adopt: {e}");
                return;
            }
        };
        for container in owned {
            let current = desired
                .get(&container.server)
                .and_then(|d| d.as_ref().ok())
                .filter(|spec| spec.hash() == container.spec_hash);
            let Some(spec) = current.filter(|_| container.running) else {
                docker.stop(&container.id).await;
                continue;
            };
            let already = self
                .state()
                .instances
                .values()
                .filter(|i| i.server == container.server)
                .count();
            if already >= spec.replicas as usize {
                docker.stop(&container.id).await;
                continue;
            }
            let logs = Arc::new(LogBuffer::default());
            let instance = Instance {
                id: container.instance.clone(),
                server: container.server.clone(),
                hash: container.spec_hash.clone(),
                spec: spec.clone(),
                phase: Phase::Pending,
                restarts: 0,
                failures_in_row: 0,
                last_error: None,
                started_at_ms: Some(now_ms()),
                runtime_id: Some(container.id.clone()),
                link: None,
                probe_failures: 0,
                next_start: Instant::now(),
                next_probe: Instant::now(),
                busy: true,
                logs: Arc::clone(&logs),
                http: None,
            };
            {
                let mut state = self.state();
                state.instances.insert(instance.id.clone(), instance);
                self.event(
                    &mut state,
                    &container.server,
                    &container.instance,
                    false,
                    "Adopted",
                    format!("found running container {}", short(&container.id)),
                );
            }
            let runtime = Arc::clone(self);
            let spec = spec.clone();
            let docker = docker.clone();
            tokio::spawn(async move {
                let endpoint = docker.reattach(&container.id, &spec, logs).await;
                runtime
                    .finish_start(
                        &container.instance,
                        endpoint.map(|e| (container.id.clone(), e)),
                    )
                    .await;
            });
        }
    }

    /// Takes out of the state the instances the store no longer wants — those of deleted
    /// servers or of an older definition, and replicas above the count (the least useful
    /// first: not running, then the newest) — with an event each; the caller stops them.
    fn take_unwanted(
        &self,
        state: &mut State<L>,
        desired: &BTreeMap<String, Result<LaunchSpec, String>>,
    ) -> Vec<Instance<L>> {
        let mut unwanted = Vec::new();
        let stale: Vec<String> = state
            .instances
            .values()
            .filter(|i| match desired.get(&i.server) {
                Some(Ok(spec)) => spec.hash() != i.hash,
                Some(Err(_)) => false,
                None => true,
            })
            .map(|i| i.id.clone())
            .collect();
        for id in stale {
            if let Some(instance) = state.instances.remove(&id) {
                let reason = if desired.contains_key(&instance.server) {
                    "Replaced"
                } else {
                    "Deleted"
                };
                self.event(
                    state,
                    &instance.server.clone(),
                    &id,
                    false,
                    reason,
                    "instance removed".into(),
                );
                unwanted.push(instance);
            }
        }
        for (server, spec) in desired {
            let Ok(spec) = spec else { continue };
            let mut ids: Vec<String> = state
                .instances
                .values()
                .filter(|i| &i.server == server)
                .map(|i| i.id.clone())
                .collect();
            let wanted = spec.replicas as usize;
            if ids.len() <= wanted {
                continue;
            }
            ids.sort_by_key(|id| {
                let i = &state.instances[id];
                (
                    i.phase == Phase::Running,
                    std::cmp::Reverse(i.started_at_ms),
                )
            });
            for id in ids.drain(..ids.len() - wanted) {
                if let Some(instance) = state.instances.remove(&id) {
                    self.event(
                        state,
                        server,
                        &id,
                        false,
                        "ScaledDown",
                        format!("replicas is {wanted}"),
                    );
                    unwanted.push(instance);
                }
            }
        }
        unwanted
    }

    /// One pass of the control loop.
    pub async fn reconcile(self: &Arc<Self>) {
        let _pass = self.pass.lock().await;
        if self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let Some(desired) = self.desired().await else {
            return;
        };
        if !self.state().adopted {
            self.adopt(&desired).await;
            self.state().adopted = true;
        }
        let now = Instant::now();
        let to_stop: Vec<Instance<L>>;
        let mut to_start = Vec::new();
        let mut to_probe = Vec::new();
        let mut to_check = Vec::new();
        {
            let mut state = self.state();
            to_stop = self.take_unwanted(&mut state, &desired);
            for (server, spec) in &desired {
                let spec = match spec {
                    Ok(spec) => spec,
                    Err(message) => {
                        self.event(&mut state, server, "", true, "InvalidSpec", message.clone());
                        continue;
                    }
                };
                let running = state
                    .instances
                    .values()
                    .filter(|i| &i.server == server)
                    .count();
                let wanted = spec.replicas as usize;
                for _ in running..wanted {
                    let id = new_instance_id(server);
                    state.instances.insert(
                        id.clone(),
                        Instance {
                            id,
                            server: server.clone(),
                            hash: spec.hash(),
                            spec: spec.clone(),
                            phase: Phase::Pending,
                            restarts: 0,
                            failures_in_row: 0,
                            last_error: None,
                            started_at_ms: None,
                            runtime_id: None,
                            link: None,
                            probe_failures: 0,
                            next_start: now,
                            next_probe: now,
                            busy: false,
                            logs: Arc::new(LogBuffer::default()),
                            http: None,
                        },
                    );
                }
            }
            for instance in state.instances.values_mut() {
                if instance.busy {
                    continue;
                }
                match (instance.runtime_id.is_some(), instance.phase) {
                    (false, _) if instance.next_start <= now => {
                        instance.busy = true;
                        to_start.push(instance.id.clone());
                    }
                    (true, Phase::Running | Phase::Unhealthy | Phase::Pending) => {
                        to_check.push(instance.id.clone());
                        if instance.next_probe <= now {
                            instance.busy = true;
                            to_probe.push(instance.id.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        let finished: Vec<Ephemeral<L>> = {
            let mut state = self.state();
            let (done, alive) = std::mem::take(&mut state.ephemeral)
                .into_iter()
                .partition(|e| e.link.is_closed());
            state.ephemeral = alive;
            done
        };
        for session in finished {
            self.stop_runtime(session.backend, Some(&session.runtime_id), &session.id)
                .await;
        }
        // Stopping can take the engine's whole stop timeout; do it beside the loop so other
        // servers are not held up.
        {
            let mut stopping = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
            while stopping.try_join_next().is_some() {}
            for instance in to_stop {
                let runtime = Arc::clone(self);
                stopping.spawn(async move {
                    runtime
                        .stop_runtime(
                            instance.spec.backend,
                            instance.runtime_id.as_deref(),
                            &instance.id,
                        )
                        .await;
                });
            }
        }
        for id in to_check {
            self.check_exit(&id).await;
        }
        for id in to_start {
            let runtime = Arc::clone(self);
            tokio::spawn(async move { runtime.start_instance(&id).await });
        }
        for id in to_probe {
            let runtime = Arc::clone(self);
            tokio::spawn(async move { runtime.probe_instance(&id).await });
        }
    }

    async fn stop_runtime(&self, backend: BackendKind, runtime_id: Option<&str>, instance: &str) {
        match backend {
            BackendKind::Process => self.process.stop(instance).await,
            BackendKind::Docker => {
                if let (Some(id), Ok(docker)) = (runtime_id, self.docker().await) {
                    docker.stop(id).await;
                }
            }
        }
    }

    /// How the instance's process or container ended, if it has.
    async fn exit_of(
        &self,
        backend: BackendKind,
        runtime_id: Option<&str>,
        id: &str,
    ) -> Option<crate::process::Exit> {
        match (backend, runtime_id) {
            (BackendKind::Process, _) => self.process.exited(id),
            (BackendKind::Docker, Some(rid)) => match self.docker().await {
                Ok(docker) => docker.exited(rid).await,
                Err(_) => None,
            },
            (BackendKind::Docker, None) => None,
        }
    }

    /// Marks a stopped instance for a restart after the backoff its failures earned.
    fn schedule_restart(&self, id: &str, phase: Phase, error: String, reason: &'static str) {
        let mut state = self.state();
        let Some(instance) = state.instances.get_mut(id) else {
            return;
        };
        let server = instance.server.clone();
        instance.runtime_id = None;
        instance.link = None;
        instance.busy = false;
        instance.phase = phase;
        instance.failures_in_row += 1;
        let wait = backoff(instance.failures_in_row - 1);
        instance.next_start = Instant::now() + wait;
        instance.last_error = Some(error.clone());
        self.event(
            &mut state,
            &server,
            id,
            true,
            reason,
            format!("{error}; restarting in {}s", wait.as_secs()),
        );
    }

    /// Notices an instance whose process or container ended, and schedules its restart.
    async fn check_exit(self: &Arc<Self>, id: &str) {
        let Some((backend, runtime_id)) = self
            .state()
            .instances
            .get(id)
            .map(|i| (i.spec.backend, i.runtime_id.clone()))
        else {
            return;
        };
        let Some(exit) = self.exit_of(backend, runtime_id.as_deref(), id).await else {
            return;
        };
        self.stop_runtime(backend, runtime_id.as_deref(), id).await;
        self.schedule_restart(id, Phase::CrashLoop, exit.reason, "BackOff");
    }

    async fn start_instance(self: &Arc<Self>, id: &str) {
        let Some((spec, hash, logs, restarted)) = self.state().instances.get_mut(id).map(|i| {
            let restarted = i.started_at_ms.is_some();
            if restarted {
                // Keep showing why it is being restarted (CrashLoop, Unhealthy) meanwhile.
                i.restarts += 1;
            } else {
                i.phase = Phase::Pending;
            }
            (
                i.spec.clone(),
                i.hash.clone(),
                Arc::clone(&i.logs),
                restarted,
            )
        }) else {
            return;
        };
        let server = spec.server.clone();
        self.record(
            &server,
            id,
            false,
            if restarted { "Restarting" } else { "Starting" },
            format!("starting on {}", spec.backend.as_str()),
        );
        let started = match spec.backend {
            BackendKind::Process => self.process.start(id, &spec, logs),
            BackendKind::Docker => match self.docker().await {
                Ok(docker) => {
                    let image = spec.image.clone().unwrap_or_default();
                    let runtime = Arc::clone(self);
                    let (server2, id2) = (server.clone(), id.to_owned());
                    let pulled = docker
                        .ensure_image(&image, move |message| {
                            runtime.record(&server2, &id2, false, "Pulling", message)
                        })
                        .await;
                    match pulled {
                        Ok(()) => docker.start(id, &spec, &hash, logs).await,
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            },
        };
        self.finish_start(id, started).await;
    }

    /// Initializes the MCP session of a started instance, or records why it did not start.
    async fn finish_start(
        self: &Arc<Self>,
        id: &str,
        started: Result<(String, Endpoint), RuntimeError>,
    ) {
        let Some(spec) = self.state().instances.get(id).map(|i| i.spec.clone()) else {
            return;
        };
        let server = spec.server.clone();
        let (runtime_id, endpoint) = match started {
            Ok(started) => started,
            Err(e) => {
                let mut state = self.state();
                let Some(instance) = state.instances.get_mut(id) else {
                    return;
                };
                instance.busy = false;
                instance.phase = Phase::Failed;
                instance.failures_in_row += 1;
                let wait = backoff(instance.failures_in_row + 3);
                instance.next_start = Instant::now() + wait;
                instance.last_error = Some(e.to_string());
                self.event(
                    &mut state,
                    &server,
                    id,
                    true,
                    "Failed",
                    format!("{e}; retrying in {}s", wait.as_secs()),
                );
                return;
            }
        };
        {
            let mut state = self.state();
            if let Some(instance) = state.instances.get_mut(id) {
                instance.runtime_id = Some(runtime_id.clone());
                instance.started_at_ms = Some(now_ms());
                instance.http = match &endpoint {
                    Endpoint::Http { url, sse } => Some((url.clone(), *sse)),
                    Endpoint::Stdio(_) => None,
                };
            }
        }
        // Give the server its failure threshold's worth of probe timeouts to come up.
        let startup = Duration::from_secs(
            u64::from(spec.timeout_seconds) * u64::from(spec.failure_threshold.max(1)),
        );
        let connected = connect_with_retry::<L>(endpoint, startup).await;
        if !self.state().instances.contains_key(id) {
            // Removed (scaled down, deleted) while it was starting.
            self.stop_runtime(spec.backend, Some(&runtime_id), id).await;
            return;
        }
        match connected {
            Ok(link) => {
                let mut state = self.state();
                let Some(instance) = state.instances.get_mut(id) else {
                    return;
                };
                instance.busy = false;
                instance.link = Some(Arc::new(link));
                instance.phase = Phase::Running;
                instance.probe_failures = 0;
                instance.last_error = None;
                instance.next_probe =
                    Instant::now() + Duration::from_secs(u64::from(spec.interval_seconds));
                self.event(
                    &mut state,
                    &server,
                    id,
                    false,
                    "Ready",
                    format!("initialized ({})", short(&runtime_id)),
                );
            }
            Err(message) => {
                // A server that died during the handshake crashed; one that lives on but
                // does not answer is unhealthy. Give a dying process a moment to be reaped.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let exit = self.exit_of(spec.backend, Some(&runtime_id), id).await;
                self.stop_runtime(spec.backend, Some(&runtime_id), id).await;
                match exit {
                    Some(exit) => {
                        self.schedule_restart(id, Phase::CrashLoop, exit.reason, "BackOff")
                    }
                    None => self.schedule_restart(
                        id,
                        Phase::Unhealthy,
                        format!("initialize failed: {message}"),
                        "Unhealthy",
                    ),
                }
            }
        }
    }

    async fn probe_instance(self: &Arc<Self>, id: &str) {
        let Some((spec, link, runtime_id)) = self
            .state()
            .instances
            .get(id)
            .map(|i| (i.spec.clone(), i.link.clone(), i.runtime_id.clone()))
        else {
            return;
        };
        let timeout = Duration::from_secs(u64::from(spec.timeout_seconds));
        let result = match &link {
            Some(link) if !link.is_closed() => link.probe(timeout, spec.probe_tool.clone()).await,
            Some(_) => Err("the MCP session closed".to_owned()),
            None => Err("not initialized".to_owned()),
        };
        let mut restart = None;
        {
            let mut state = self.state();
            let Some(instance) = state.instances.get_mut(id) else {
                return;
            };
            instance.busy = false;
            instance.next_probe =
                Instant::now() + Duration::from_secs(u64::from(spec.interval_seconds));
            match result {
                Ok(()) => {
                    instance.probe_failures = 0;
                    if instance.phase != Phase::Running {
                        instance.phase = Phase::Running;
                        self.event(
                            &mut state,
                            &spec.server,
                            id,
                            false,
                            "Healthy",
                            "probe succeeded".into(),
                        );
                    } else if instance
                        .started_at_ms
                        .is_some_and(|t| now_ms() - t > 60_000)
                    {
                        instance.failures_in_row = 0;
                    }
                }
                Err(message) => {
                    instance.probe_failures += 1;
                    instance.last_error = Some(format!("probe failed: {message}"));
                    if instance.probe_failures >= spec.failure_threshold {
                        restart = Some(message);
                    }
                }
            }
        }
        if let Some(message) = restart {
            self.stop_runtime(spec.backend, runtime_id.as_deref(), id)
                .await;
            self.schedule_restart(
                id,
                Phase::Unhealthy,
                format!("probe failed: {message}"),
                "Unhealthy",
            );
        }
    }

    /// A running instance's link for `server`, round-robin over the healthy ones.
    pub fn link(&self, server: &str) -> Result<Arc<L>, RuntimeError> {
        let mut state = self.state();
        let ready: Vec<Arc<L>> = state
            .instances
            .values()
            .filter(|i| i.server == server && i.phase == Phase::Running)
            .filter_map(|i| i.link.clone())
            .filter(|l| !l.is_closed())
            .collect();
        if ready.is_empty() {
            let known = state.instances.values().any(|i| i.server == server);
            return Err(RuntimeError::Config(if known {
                format!("server {server} has no healthy instance right now")
            } else {
                format!("server {server} has no instances (does it exist, with replicas > 0?)")
            }));
        }
        let turn = state.round_robin.entry(server.to_owned()).or_default();
        *turn = turn.wrapping_add(1);
        Ok(Arc::clone(&ready[*turn % ready.len()]))
    }

    /// Whether client sessions of `server` share instances' links or get their own.
    pub fn session_mode(&self, server: &str) -> resource_model::spec::SessionMode {
        self.state()
            .instances
            .values()
            .find(|i| i.server == server)
            .map(|i| i.spec.session_mode)
            .unwrap_or_default()
    }

    /// A link of its own for one client session of `server`: a new MCP session on a healthy
    /// HTTP instance, or, for a STDIO server, a process or container started for this session
    /// alone and stopped when the link closes.
    pub async fn dedicated_link(self: &Arc<Self>, server: &str) -> Result<Arc<L>, RuntimeError> {
        let (spec, http) = {
            let state = self.state();
            let healthy = state
                .instances
                .values()
                .find(|i| i.server == server && i.phase == Phase::Running)
                .ok_or_else(|| {
                    RuntimeError::NoInstances(format!(
                        "server {server} has no healthy instance right now"
                    ))
                })?;
            (healthy.spec.clone(), healthy.http.clone())
        };
        let timeout = Duration::from_secs(
            u64::from(spec.timeout_seconds) * u64::from(spec.failure_threshold.max(1)),
        );
        if let Some((url, sse)) = http {
            return L::connect(Endpoint::Http { url, sse }, timeout)
                .await
                .map(Arc::new)
                .map_err(RuntimeError::Config);
        }
        let id = format!("{}-session", new_instance_id(server));
        let logs = Arc::new(LogBuffer::default());
        let (runtime_id, endpoint) = match spec.backend {
            BackendKind::Process => self.process.start(&id, &spec, logs)?,
            BackendKind::Docker => {
                self.docker()
                    .await?
                    .start(&id, &spec, &spec.hash(), logs)
                    .await?
            }
        };
        match L::connect(endpoint, timeout).await {
            Ok(link) => {
                let link = Arc::new(link);
                self.state().ephemeral.push(Ephemeral {
                    id,
                    backend: spec.backend,
                    runtime_id,
                    link: Arc::clone(&link),
                });
                Ok(link)
            }
            Err(message) => {
                self.stop_runtime(spec.backend, Some(&runtime_id), &id)
                    .await;
                Err(RuntimeError::Config(format!(
                    "the dedicated instance of {server} did not initialize: {message}"
                )))
            }
        }
    }

    /// Called when a link failed in use: probe that instance now.
    pub fn report_broken(&self, server: &str) {
        let mut state = self.state();
        for instance in state.instances.values_mut().filter(|i| i.server == server) {
            if instance.link.as_ref().is_some_and(|l| l.is_closed()) {
                instance.next_probe = Instant::now();
            }
        }
        drop(state);
        self.wake();
    }

    /// Instances as resources, for the API (`server` narrows to one server).
    pub fn instances(&self, server: Option<&str>) -> Vec<Resource> {
        self.state()
            .instances
            .values()
            .filter(|i| server.is_none_or(|s| i.server == s))
            .map(|i| Resource {
                name: i.id.clone(),
                project: None,
                spec: Spec::Instance(InstanceSpec {
                    server: i.server.clone(),
                    state: i.phase.as_str().to_owned(),
                    restarts: i.restarts,
                    backend: Some(i.spec.backend.as_str().to_owned()),
                    container_id: i.runtime_id.as_deref().map(short),
                    last_error: i.last_error.clone(),
                    started_at: i.started_at_ms.map(resource_model::resource::rfc3339),
                }),
                meta: resource_model::Meta {
                    resource_version: None,
                    created_at_ms: i.started_at_ms,
                    updated_at_ms: None,
                },
            })
            .collect()
    }

    /// Recent events of a server, oldest first.
    pub fn events(&self, server: &str) -> Vec<Event> {
        self.state()
            .events
            .get(server)
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The last `tail` log lines of a server's instances (or one instance), and, to follow,
    /// receivers of what comes next.
    pub fn logs(
        &self,
        server: &str,
        instance: Option<&str>,
        tail: usize,
    ) -> Result<(Vec<String>, Vec<broadcast::Receiver<String>>), RuntimeError> {
        let state = self.state();
        let chosen: Vec<&Instance<L>> = state
            .instances
            .values()
            .filter(|i| i.server == server && instance.is_none_or(|id| i.id == id))
            .collect();
        if chosen.is_empty() {
            return Err(RuntimeError::NoInstances(match instance {
                Some(id) => format!("server {server} has no instance {id}"),
                None => format!(
                    "server {server} has no instances (replicas is 0, or it is not started yet)"
                ),
            }));
        }
        let many = chosen.len() > 1;
        let mut lines = Vec::new();
        for i in &chosen {
            for line in i.logs.tail(tail) {
                lines.push(if many {
                    format!("[{}] {line}", i.id)
                } else {
                    line
                });
            }
        }
        Ok((lines, chosen.iter().map(|i| i.logs.follow()).collect()))
    }

    /// Stops every local process (containers keep running and are adopted on restart) and
    /// every dedicated-session instance.
    pub async fn shutdown(&self) {
        // No pass after this one: wait for the pass under way (it may be about to stop a
        // deleted server's instances), then stop what the store no longer wants — a server
        // deleted just before the signal, before any pass saw it — beside the stops already
        // under way, all within a bound.
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _pass = self.pass.lock().await;
        let unwanted = match self.desired().await {
            Some(desired) => self.take_unwanted(&mut self.state(), &desired),
            None => Vec::new(),
        };
        let mut stopping =
            std::mem::take(&mut *self.stopping.lock().unwrap_or_else(PoisonError::into_inner));
        let reaped = futures_util::future::join_all(unwanted.iter().map(|instance| {
            self.stop_runtime(
                instance.spec.backend,
                instance.runtime_id.as_deref(),
                &instance.id,
            )
        }));
        let _ = tokio::time::timeout(STOPPING_WITHIN, async {
            reaped.await;
            while stopping.join_next().await.is_some() {}
        })
        .await;
        let sessions = std::mem::take(&mut self.state().ephemeral);
        for session in sessions {
            self.stop_runtime(session.backend, Some(&session.runtime_id), &session.id)
                .await;
        }
        let ids: Vec<String> = self
            .state()
            .instances
            .values()
            .filter(|i| i.spec.backend == BackendKind::Process)
            .map(|i| i.id.clone())
            .collect();
        for id in ids {
            self.process.stop(&id).await;
        }
    }
}

/// Connects, retrying HTTP endpoints until `within` has passed (the server may still be
/// binding its port); a STDIO endpoint gets one attempt, since its pipes cannot be reused.
async fn connect_with_retry<L: Link>(endpoint: Endpoint, within: Duration) -> Result<L, String> {
    let deadline = Instant::now() + within;
    match endpoint {
        Endpoint::Stdio(pipes) => L::connect(Endpoint::Stdio(pipes), within).await,
        Endpoint::Http { url, sse } => loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match L::connect(
                Endpoint::Http {
                    url: url.clone(),
                    sse,
                },
                left.max(Duration::from_millis(500)),
            )
            .await
            {
                Ok(link) => return Ok(link),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        },
    }
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(20), MAX_BACKOFF);
    }

    #[test]
    fn instance_ids_are_server_prefixed_and_distinct() {
        let a = new_instance_id("clock");
        let b = new_instance_id("clock");
        assert!(a.starts_with("clock-") && a.len() == "clock-".len() + 5);
        assert_ne!(a, b);
    }
}
