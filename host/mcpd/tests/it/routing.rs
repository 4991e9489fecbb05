//! MCP traffic through mcpd's per-server endpoint to real instances: a third-party Python
//! server as a local process, and the project's test server in containers.

use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};
use test_support::{Backend, Mcpd, test_server_image};

use crate::client::Api;
use crate::runtime::{running, venv_python, wait_for, wait_no_instances};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(mcpd: &str, server: &str) -> RunningService<RoleClient, ()> {
    let transport = StreamableHttpClientTransport::from_uri(format!("{mcpd}/api/v1/mcp/{server}"));
    ().serve(transport).await.unwrap()
}

fn call(name: &str, arguments: Value) -> CallToolRequestParams {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    CallToolRequestParams::new(name.to_owned()).with_arguments(arguments)
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_python_reference_server_answers_through_mcpd() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({
        "name": "clock",
        "command": venv_python(),
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "clock",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );
    runtime().block_on(async {
        let client = connect(&mcpd.url, "clock").await;
        let tools = client.list_tools(None).await.unwrap();
        let names: Vec<&str> = tools.tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"get_current_time"), "{names:?}");
        let result = client
            .call_tool(call(
                "convert_time",
                json!({"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}),
            ))
            .await
            .unwrap();
        assert!(text(&result).contains("21:00"), "{}", text(&result));
        client.cancel().await.unwrap();
    });
}

#[test]
fn secrets_reach_containers_and_replicas_share_the_load() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let name = format!("echo-{}", &test_support::unique_suffix()[..8]);
    let yaml = format!(
        "secrets:\n  - name: {name}-creds\n    data:\n      API_TOKEN: s3cret-value\nservers:\n  - name: {name}\n    dockerImage: {}\n    replicas: 2\n    envFrom:\n      - secretRef:\n          name: {name}-creds\n",
        test_server_image()
    );
    assert_eq!(api.apply(&yaml).status, 200);
    wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "2 running",
        running(2),
    );
    runtime().block_on(async {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..6 {
            let client = connect(&mcpd.url, &name).await;
            let token = client
                .call_tool(call("env", json!({"name": "API_TOKEN"})))
                .await
                .unwrap();
            assert_eq!(text(&token), "s3cret-value");
            let who = client.call_tool(call("whoami", json!({}))).await.unwrap();
            seen.insert(
                text(&who)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
            client.cancel().await.unwrap();
        }
        assert_eq!(
            seen.len(),
            2,
            "sessions spread over both instances: {seen:?}"
        );
    });
    assert_eq!(api.delete(&format!("/api/v1/servers/{name}")).status, 200);
}

#[test]
fn concurrent_sessions_on_one_instance_each_get_their_own_replies() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({"name": "shared", "command": test_support::binary("mcp-test-server").display().to_string()});
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "shared",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );
    runtime().block_on(async {
        let mut tasks = Vec::new();
        for session in 0..32 {
            let url = mcpd.url.clone();
            tasks.push(tokio::spawn(async move {
                let client = connect(&url, "shared").await;
                for round in 0..5 {
                    let payload = format!("session-{session}-round-{round}");
                    let reply = client
                        .call_tool(call("echo", json!({"text": payload})))
                        .await
                        .unwrap();
                    assert_eq!(text(&reply), payload, "a reply reached the wrong session");
                }
                client.cancel().await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn a_dying_instance_fails_the_call_in_flight_and_later_calls_succeed() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({
        "name": "fragile",
        "command": test_support::binary("mcp-test-server").display().to_string(),
        "healthCheck": {"intervalSeconds": 1, "timeoutSeconds": 5, "failureThreshold": 1},
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "fragile",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );
    runtime().block_on(async {
        let client = connect(&mcpd.url, "fragile").await;
        let slow = {
            let peer = client.peer().clone();
            tokio::spawn(async move { peer.call_tool(call("sleep", json!({"ms": 5000}))).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        // kill -9 the instance while the call is in flight.
        let killer = connect(&mcpd.url, "fragile").await;
        let who = text(&killer.call_tool(call("whoami", json!({}))).await.unwrap());
        let pid = who
            .split("pid=")
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned();
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap();
        assert!(killed.success(), "kill -9 {pid}");
        let in_flight = slow.await.unwrap();
        let message = match in_flight {
            Ok(result) => panic!("the call survived its instance: {}", text(&result)),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains("went away") || message.contains("retry"),
            "{message}"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match client
                .call_tool(call("echo", json!({"text": "again"})))
                .await
            {
                Ok(result) if text(&result) == "again" => break,
                other => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "no recovery: {other:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    });
    let restarts = crate::runtime::instances(&api, "fragile")[0].2;
    assert!(restarts >= 1, "the instance was restarted");
}

#[test]
fn dedicated_sessions_get_an_instance_of_their_own() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let server = json!({
        "name": "private",
        "command": test_support::binary("mcp-test-server").display().to_string(),
        "sessionMode": "dedicated",
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "private",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );
    let pid_of = |text: String| {
        text.split("pid=")
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    runtime().block_on(async {
        let first = connect(&mcpd.url, "private").await;
        let second = connect(&mcpd.url, "private").await;
        let a = pid_of(text(
            &first.call_tool(call("whoami", json!({}))).await.unwrap(),
        ));
        let b = pid_of(text(
            &second.call_tool(call("whoami", json!({}))).await.unwrap(),
        ));
        assert!(!a.is_empty() && !b.is_empty());
        assert_ne!(a, b, "each session has its own process");
        let again = pid_of(text(
            &first.call_tool(call("whoami", json!({}))).await.unwrap(),
        ));
        assert_eq!(a, again, "and keeps it");
        first.cancel().await.unwrap();
        // The ended session's process is stopped by the reconciler.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::path::Path::new(&format!("/proc/{a}")).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "process {a} outlived its session"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            std::path::Path::new(&format!("/proc/{b}")).exists(),
            "the other session keeps its process"
        );
        second.cancel().await.unwrap();
    });
}

#[test]
fn a_streamable_http_container_is_probed_and_routed_over_http() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let name = format!("web-{}", &test_support::unique_suffix()[..8]);
    let server = json!({
        "name": name,
        "dockerImage": test_server_image(),
        "transport": "STREAMABLE_HTTP",
        "containerPort": 8000,
        "args": ["--transport", "streamable-http", "--port", "8000"],
        "sessionMode": "dedicated",
        "healthCheck": {"intervalSeconds": 1, "timeoutSeconds": 5, "failureThreshold": 3, "tool": "echo", "arguments": {"text": "probe"}},
    });
    let reply = api.post_json("/api/v1/servers", &server);
    assert_eq!(reply.status, 201, "{}", reply.body);
    wait_for(
        &api,
        &name,
        Duration::from_secs(60),
        "1 running",
        running(1),
    );
    // Several probe rounds pass (the probe calls the echo tool).
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(crate::runtime::instances(&api, &name)[0].1, "Running");
    runtime().block_on(async {
        let client = connect(&mcpd.url, &name).await;
        let reply = client
            .call_tool(call("echo", json!({"text": "over http"})))
            .await
            .unwrap();
        assert_eq!(text(&reply), "over http");
        client.cancel().await.unwrap();
    });
    assert_eq!(api.delete(&format!("/api/v1/servers/{name}")).status, 200);
    // The container goes before mcpd stops (a stopping mcpd keeps its containers to adopt
    // them when it starts again, and this test's mcpd never does).
    wait_no_instances(&api, &name);
}

#[test]
fn the_python_git_server_reads_a_repository_through_mcpd() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(repo.path().join("notes.txt"), "hello\n").unwrap();
    git(&["add", "notes.txt"]);
    git(&["commit", "-q", "-m", "first commit through mcpd"]);
    let repo_path = repo.path().display().to_string();
    let server = json!({
        "name": "git",
        "command": venv_python(),
        "args": ["-m", "mcp_server_git", "--repository", repo_path],
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "git",
        Duration::from_secs(30),
        "1 running",
        running(1),
    );
    runtime().block_on(async {
        let client = connect(&mcpd.url, "git").await;
        let log = client
            .call_tool(call(
                "git_log",
                json!({"repo_path": repo_path, "max_count": 5}),
            ))
            .await
            .unwrap();
        assert!(
            text(&log).contains("first commit through mcpd"),
            "{}",
            text(&log)
        );
        client.cancel().await.unwrap();
    });
}

#[test]
fn a_legacy_sse_server_runs_as_a_local_process_and_answers_through_mcpd() {
    let node = std::env::var("MCPCTL_TEST_NODE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-node").to_owned()
    });
    let script =
        format!("{node}/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        std::path::Path::new(&script).exists(),
        "{script} is missing: run `cargo xtask test` (it installs the npm test peers)"
    );
    let mcpd = Mcpd::start(Backend::Sqlite);
    let api = Api::new(&mcpd.url);
    let port = test_support::free_port();
    let server = json!({
        "name": "everything",
        "command": "node",
        "args": [script, "sse"],
        "env": [{"name": "PORT", "value": port.to_string()}],
        "transport": "SSE",
        "containerPort": port,
    });
    assert_eq!(api.post_json("/api/v1/servers", &server).status, 201);
    wait_for(
        &api,
        "everything",
        Duration::from_secs(60),
        "1 running",
        running(1),
    );
    runtime().block_on(async {
        let client = connect(&mcpd.url, "everything").await;
        let reply = client
            .call_tool(call("echo", json!({"message": "via sse"})))
            .await
            .unwrap();
        assert!(text(&reply).contains("via sse"), "{}", text(&reply));
        client.cancel().await.unwrap();
    });
}
