//! The runtime through the real mcpd: instances of local processes and containers, scaling,
//! crash loops, health probes, logs and events.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::{Backend, Mcpd};

use crate::client::Api;

/// The test venv's Python, which has the reference servers `mcp-server-time` and
/// `mcp-server-git` (cargo xtask test installs it).
pub fn venv_python() -> String {
    let venv = std::env::var("MCPCTL_TEST_VENV").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-venv").to_owned()
    });
    let python = format!("{venv}/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run `cargo xtask test` (it installs the Python test peers)"
    );
    python
}

/// Instances of `server` as (name, state, restarts).
pub fn instances(api: &Api, server: &str) -> Vec<(String, String, u64)> {
    let reply = api.get(&format!("/api/v1/instances?server={server}"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
                i["restarts"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Waits until `check` holds for the instances of `server`, or fails with what was seen.
pub fn wait_for(
    api: &Api,
    server: &str,
    within: Duration,
    what: &str,
    check: impl Fn(&[(String, String, u64)]) -> bool,
) -> Vec<(String, String, u64)> {
    let deadline = Instant::now() + within;
    loop {
        let seen = instances(api, server);
        if check(&seen) {
            return seen;
        }
        if Instant::now() > deadline {
            let events = api.get(&format!("/api/v1/servers/{server}/events")).body;
            panic!(
                "{server}: {what} not reached within {within:?}; instances {seen:?}; events {events}"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (at most 30 s) until `server` has no instance: after a delete or a scale to zero.
pub fn wait_no_instances(api: &Api, server: &str) {
    wait_for(
        api,
        server,
        Duration::from_secs(30),
        "no instances",
        |seen| seen.is_empty(),
    );
}

/// A `wait_for` check: exactly `n` instances, all Running.
pub fn running(n: usize) -> impl Fn(&[(String, String, u64)]) -> bool {
    move |seen| seen.len() == n && seen.iter().all(|(_, state, _)| state == "Running")
}

fn clock(replicas: u32) -> Value {
    json!({
        "name": "clock",
        "command": venv_python(),
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
        "replicas": replicas,
        "healthCheck": {"intervalSeconds": 1, "timeoutSeconds": 10, "failureThreshold": 2},
    })
}

#[test]
fn a_process_server_runs_scales_and_goes() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    assert_eq!(api.post_json("/api/v1/servers", &clock(1)).status, 201);
    let one = wait_for(
        &api,
        "clock",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );

    assert_eq!(
        api.patch_json("/api/v1/servers/clock", &json!({"replicas": 3}))
            .status,
        200
    );
    let three = wait_for(
        &api,
        "clock",
        Duration::from_secs(30),
        "3 running",
        running(3),
    );
    assert!(
        three.iter().any(|i| i.0 == one[0].0),
        "scaling up keeps the first instance"
    );
    assert_eq!(api.get("/api/v1/status").body["resources"]["instances"], 3);

    assert_eq!(
        api.patch_json("/api/v1/servers/clock", &json!({"replicas": 1}))
            .status,
        200
    );
    wait_for(
        &api,
        "clock",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );

    let events = api.get("/api/v1/servers/clock/events").body;
    let reasons: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"Ready") && reasons.contains(&"ScaledDown"),
        "{reasons:?}"
    );

    assert_eq!(api.delete("/api/v1/servers/clock").status, 200);
    wait_no_instances(&api, "clock");
}

#[test]
fn a_server_that_exits_at_once_backs_off() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({"name": "quitter", "command": "false"});
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    let seen = wait_for(
        &api,
        "quitter",
        Duration::from_secs(20),
        "CrashLoop after restarts",
        |seen| seen.len() == 1 && seen[0].1 == "CrashLoop" && seen[0].2 >= 2,
    );
    // Backoff doubles (1 s, 2 s, 4 s ...): six seconds allow only a handful of restarts.
    std::thread::sleep(Duration::from_secs(6));
    let later = instances(&api, "quitter");
    assert!(
        later[0].2 <= seen[0].2 + 3,
        "restarted too often: {seen:?} then {later:?}"
    );
    let doc = api.get(&format!("/api/v1/instances/{}", later[0].0)).body;
    assert!(
        doc["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("code 1"),
        "{doc}"
    );
}

#[test]
fn a_server_that_never_initializes_is_unhealthy() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({
        "name": "mute",
        "command": "sleep",
        "args": ["600"],
        "healthCheck": {"intervalSeconds": 1, "timeoutSeconds": 1, "failureThreshold": 1},
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    let seen = wait_for(&api, "mute", Duration::from_secs(20), "Unhealthy", |seen| {
        seen.len() == 1 && seen[0].1 == "Unhealthy"
    });
    let doc = api.get(&format!("/api/v1/instances/{}", seen[0].0)).body;
    assert!(
        doc["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("initialize"),
        "{doc}"
    );
}

#[test]
fn logs_show_what_instances_write_to_stderr() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({
        "name": "chatty",
        "command": "sh",
        "args": ["-c", "for i in 1 2 3; do echo line-$i >&2; done; exec sleep 600"],
        "healthCheck": {"intervalSeconds": 30, "timeoutSeconds": 1, "failureThreshold": 1},
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = api.get("/api/v1/servers/chatty/logs?tail=2");
        let text = reply.body.as_str().unwrap_or_default().to_owned();
        if text.contains("line-3") {
            assert!(
                !text.contains("line-1"),
                "tail=2 keeps the last two: {text}"
            );
            assert!(text.contains("line-2"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "no logs: {}", reply.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(api.get("/api/v1/servers/ghost/logs").status, 404);
    assert_eq!(
        api.get("/api/v1/servers/chatty/logs?tail=1000000").status,
        400
    );
}
