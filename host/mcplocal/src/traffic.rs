//! The traffic inspector's feed: one event per MCP request mcplocal sends to a server.
//!
//! Recording costs nothing while nobody watches: events are built (and messages measured)
//! only when [`Traffic::is_watched`]. Watchers that fall behind lose the oldest events (a
//! bounded broadcast channel), never slow the traffic down.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow watcher may lag behind before it misses some.
const CAPACITY: usize = 1024;

/// One MCP request to one server of a project, with its outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TrafficEvent {
    /// When the request ended (RFC 3339, milliseconds).
    pub time: String,
    pub project: String,
    /// The client session (process-unique number).
    pub session: u64,
    pub server: String,
    /// The MCP method (`tools/call`, `tools/list`, ...).
    pub method: String,
    /// The tool or prompt name (the server's own) or the resource URI, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub latency_us: u64,
    /// Size of the request as JSON, in bytes.
    pub request_bytes: usize,
    /// Size of the answer (result or error) as JSON, in bytes.
    pub response_bytes: usize,
    /// The error message, when the request failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Which events a watcher wants; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficFilter {
    pub project: Option<String>,
    pub server: Option<String>,
}

impl TrafficFilter {
    /// Whether `event` passes the filter.
    pub fn matches(&self, event: &TrafficEvent) -> bool {
        self.project.as_ref().is_none_or(|p| *p == event.project)
            && self.server.as_ref().is_none_or(|s| *s == event.server)
    }
}

/// The feed, shared by every project of one mcplocal. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Traffic {
    sender: broadcast::Sender<Arc<TrafficEvent>>,
}

impl Default for Traffic {
    fn default() -> Self {
        Self {
            sender: broadcast::Sender::new(CAPACITY),
        }
    }
}

impl Traffic {
    /// Whether anyone watches (only then are events built).
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// A new watcher, seeing events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<TrafficEvent>> {
        self.sender.subscribe()
    }

    /// Publishes one event (dropped when nobody watches).
    pub fn publish(&self, event: TrafficEvent) {
        let _ = self.sender.send(Arc::new(event));
    }
}

/// RFC 3339 with milliseconds, in UTC.
pub fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// Microseconds, saturating.
pub fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

/// Size of `value` as JSON (0 if it cannot be serialized).
pub fn json_size<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value)
        .map(|bytes| bytes.len())
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(project: &str, server: &str) -> TrafficEvent {
        TrafficEvent {
            time: timestamp(SystemTime::UNIX_EPOCH),
            project: project.into(),
            session: 1,
            server: server.into(),
            method: "tools/call".into(),
            name: Some("echo".into()),
            latency_us: 12,
            request_bytes: 3,
            response_bytes: 4,
            error: None,
        }
    }

    #[test]
    fn filters_match_by_project_and_server() {
        let any = TrafficFilter::default();
        let project = TrafficFilter {
            project: Some("p".into()),
            server: None,
        };
        let both = TrafficFilter {
            project: Some("p".into()),
            server: Some("s".into()),
        };
        assert!(any.matches(&event("q", "t")));
        assert!(project.matches(&event("p", "t")));
        assert!(!project.matches(&event("q", "t")));
        assert!(both.matches(&event("p", "s")));
        assert!(!both.matches(&event("p", "t")));
    }

    #[test]
    fn events_reach_watchers_only_while_they_watch() {
        let traffic = Traffic::default();
        assert!(!traffic.is_watched());
        let mut watcher = traffic.subscribe();
        assert!(traffic.is_watched());
        traffic.publish(event("p", "s"));
        assert_eq!(watcher.try_recv().unwrap().server, "s");
        drop(watcher);
        assert!(!traffic.is_watched());
    }

    #[test]
    fn events_serialize_in_camel_case_without_empty_fields() {
        let json = serde_json::to_value(event("p", "s")).unwrap();
        assert_eq!(json["latencyUs"], 12);
        assert_eq!(json["time"], "1970-01-01T00:00:00.000Z");
        assert!(json.get("error").is_none());
    }
}
