//! The per-link routing table: which client sessions listen to a link, which of their
//! requests are in flight on it, and where each upstream progress token goes.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{ProgressToken, RequestId};
use rmcp::service::Peer;
use tokio::sync::{Notify, watch};

/// How long a notification or server request that names something not (yet) registered
/// waits for a registration in progress. Covers the gap between rmcp handing a request to
/// the upstream and the proxy learning the request id and progress token rmcp gave it.
const REGISTRATION_GRACE: Duration = Duration::from_secs(2);

/// One client (downstream) session, as the links it uses see it.
#[derive(Debug)]
pub(crate) struct DownstreamSession {
    pub(crate) id: u64,
    pub(crate) server: String,
    /// The session's rmcp peer, set when the client's `initialize` arrives.
    pub(crate) peer: OnceLock<Peer<RoleServer>>,
    /// Relayed server→client requests carry the client's request id in `_meta` (under
    /// [`crate::RELATED_REQUEST_META`]): the client reads them from one stream with
    /// everything else, so nothing else tells which of its requests they belong to.
    pub(crate) marks_relays: bool,
    /// Progress tokens the downstream peer gave relayed server→client requests, mapped to
    /// the tokens the upstream used: the client's progress notifications go back upstream
    /// with the upstream's token.
    client_progress: Mutex<HashMap<ProgressToken, ProgressToken>>,
}

impl DownstreamSession {
    pub(crate) fn new(id: u64, server: String, marks_relays: bool) -> Self {
        Self {
            id,
            server,
            peer: OnceLock::new(),
            marks_relays,
            client_progress: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn map_client_progress(
        self: &Arc<Self>,
        downstream: ProgressToken,
        upstream: ProgressToken,
    ) -> ClientProgressGuard {
        lock(&self.client_progress).insert(downstream.clone(), upstream);
        ClientProgressGuard {
            session: self.clone(),
            token: downstream,
        }
    }

    pub(crate) fn upstream_progress_token(
        &self,
        downstream: &ProgressToken,
    ) -> Option<ProgressToken> {
        lock(&self.client_progress).get(downstream).cloned()
    }
}

/// Removes a client-progress mapping when the relayed request ends.
pub(crate) struct ClientProgressGuard {
    session: Arc<DownstreamSession>,
    token: ProgressToken,
}

impl Drop for ClientProgressGuard {
    fn drop(&mut self) {
        lock(&self.session.client_progress).remove(&self.token);
    }
}

struct InFlight {
    session: Arc<DownstreamSession>,
    downstream_id: RequestId,
    upstream_id: RequestId,
    upstream_token: Option<ProgressToken>,
}

struct ProgressRoute {
    session: Arc<DownstreamSession>,
    downstream_token: ProgressToken,
}

#[derive(Default)]
struct HubState {
    subscribers: HashMap<u64, Arc<DownstreamSession>>,
    /// Forwarded requests awaiting the upstream's answer, oldest first.
    in_flight: BTreeMap<u64, InFlight>,
    /// Upstream progress token (the one rmcp gave the forwarded request) → client session.
    progress: HashMap<ProgressToken, ProgressRoute>,
    next_seq: u64,
}

pub(crate) struct Hub {
    state: Mutex<HubState>,
    /// Signalled whenever a registration completes.
    changed: Notify,
    /// Requests handed to rmcp whose id and progress token are not registered yet.
    pending: AtomicUsize,
    /// Notifications read from the instance and queued for the link's forwarder...
    queued: AtomicU64,
    /// ...and how many of them the forwarder has dealt with.
    forwarded: watch::Sender<u64>,
    /// The instance's lists, for every session of the link.
    pub(crate) lists: crate::list_cache::ListCache,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            changed: Notify::new(),
            pending: AtomicUsize::new(0),
            queued: AtomicU64::new(0),
            forwarded: watch::Sender::new(0),
            lists: crate::list_cache::ListCache::default(),
        }
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Hub")
            .field("subscribers", &state.subscribers.len())
            .field("in_flight", &state.in_flight.len())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    pub(crate) fn subscribe(&self, session: Arc<DownstreamSession>) {
        lock(&self.state).subscribers.insert(session.id, session);
    }

    pub(crate) fn unsubscribe(&self, session_id: u64) {
        lock(&self.state).subscribers.remove(&session_id);
    }

    pub(crate) fn subscribers(&self) -> Vec<Arc<DownstreamSession>> {
        lock(&self.state).subscribers.values().cloned().collect()
    }

    pub(crate) fn subscriber_count(&self) -> usize {
        lock(&self.state).subscribers.len()
    }

    pub(crate) fn in_flight_count(&self) -> usize {
        lock(&self.state).in_flight.len()
    }

    /// A notification from the instance was queued for the forwarder.
    pub(crate) fn notification_queued(&self) {
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// The forwarder dealt with one more queued notification.
    pub(crate) fn notification_forwarded(&self) {
        self.forwarded.send_modify(|count| *count += 1);
    }

    /// Waits (at most `timeout`) until every notification queued so far is forwarded: the
    /// instance's progress and logging sent before an answer reach the client before it.
    pub(crate) async fn flush_notifications(&self, timeout: Duration) {
        let target = self.queued.load(Ordering::SeqCst);
        let mut forwarded = self.forwarded.subscribe();
        let _ = tokio::time::timeout(timeout, forwarded.wait_for(|count| *count >= target)).await;
    }

    /// Announces a request about to be sent: lookups that miss wait for it to register.
    pub(crate) fn begin(self: &Arc<Self>) -> PendingGuard {
        self.pending.fetch_add(1, Ordering::SeqCst);
        PendingGuard { hub: self.clone() }
    }

    /// Records a forwarded request now in flight upstream. The returned guard removes it.
    pub(crate) fn register(
        self: &Arc<Self>,
        session: &Arc<DownstreamSession>,
        downstream_id: RequestId,
        upstream_id: RequestId,
        upstream_token: ProgressToken,
        downstream_token: Option<ProgressToken>,
    ) -> InFlightGuard {
        let mut state = lock(&self.state);
        let seq = state.next_seq;
        state.next_seq += 1;
        let upstream_token = downstream_token.map(|downstream_token| {
            state.progress.insert(
                upstream_token.clone(),
                ProgressRoute {
                    session: session.clone(),
                    downstream_token,
                },
            );
            upstream_token
        });
        state.in_flight.insert(
            seq,
            InFlight {
                session: session.clone(),
                downstream_id,
                upstream_id,
                upstream_token,
            },
        );
        InFlightGuard {
            hub: self.clone(),
            seq,
        }
    }

    /// The client session and its token for an upstream progress token.
    pub(crate) async fn progress_route(
        &self,
        token: &ProgressToken,
    ) -> Option<(Arc<DownstreamSession>, ProgressToken)> {
        self.lookup(|state| {
            state
                .progress
                .get(token)
                .map(|route| (route.session.clone(), route.downstream_token.clone()))
        })
        .await
    }

    /// The client session (and its request id) that should answer a server→client request:
    /// the one whose forwarded request carried it if the transport tells (streamable HTTP
    /// upstreams), otherwise the most recent request in flight on this link.
    ///
    /// Deliberately not "the most recent whose client supports the method": a request born
    /// of one client's call must not be shown to another client.
    pub(crate) async fn relay_target(
        &self,
        origin: Option<&RequestId>,
    ) -> Option<(Arc<DownstreamSession>, RequestId)> {
        self.lookup(|state| {
            let by_origin = origin.and_then(|origin| {
                state
                    .in_flight
                    .values()
                    .find(|entry| &entry.upstream_id == origin)
            });
            by_origin
                .or_else(|| state.in_flight.values().next_back())
                .map(|entry| (entry.session.clone(), entry.downstream_id.clone()))
        })
        .await
    }

    /// Runs `find` on the state; on a miss while registrations are pending, waits for them.
    async fn lookup<T>(&self, mut find: impl FnMut(&HubState) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + REGISTRATION_GRACE;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = find(&lock(&self.state)) {
                return Some(found);
            }
            if self.pending.load(Ordering::SeqCst) == 0 {
                return None;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

/// Held from just before a request is handed to rmcp until it is registered.
pub(crate) struct PendingGuard {
    hub: Arc<Hub>,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.hub.pending.fetch_sub(1, Ordering::SeqCst);
        self.hub.changed.notify_waiters();
    }
}

/// Unregisters a forwarded request (and its progress route) when it ends.
pub(crate) struct InFlightGuard {
    hub: Arc<Hub>,
    seq: u64,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut state = lock(&self.hub.state);
        if let Some(entry) = state.in_flight.remove(&self.seq)
            && let Some(token) = entry.upstream_token
        {
            state.progress.remove(&token);
        }
    }
}
