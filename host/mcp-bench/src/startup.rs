//! From nothing to the first answer: a server created through mcpd, and the baseline of a
//! command spawned here and initialized over its stdio.

use std::process::Stdio;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use serde_json::{Value, json};

use crate::calls::{CALL_TIMEOUT, connect_http, echo};
use crate::stats::ms;

/// Pause between polls of mcpd (instances) and between call attempts.
const POLL: Duration = Duration::from_millis(2);

fn items(value: &Value) -> &[Value] {
    value["items"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    http.get(url)
        .timeout(CALL_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("GET {url}: {e}"))
}

/// `POST /api/v1/servers`, then: when the instance is listed (the reconciler took the server
/// up), when it is `Running` (started and initialized), and when the first `tools/call`
/// through `/api/v1/mcp/NAME` succeeds (a new client session: initialize + call). All in
/// milliseconds from the POST.
pub async fn first_call(
    mcpd: &str,
    name: &str,
    spec: &str,
    delete: bool,
    limit: Duration,
) -> Result<Value, String> {
    let mcpd = mcpd.trim_end_matches('/');
    let http = reqwest::Client::new();
    let mut body: serde_json::Map<String, Value> =
        serde_json::from_str(spec).map_err(|e| format!("--spec: {e}"))?;
    body.insert("kind".into(), json!("server"));
    body.insert("name".into(), json!(name));
    // Open the connection first, as a client that already talked to mcpd would have.
    get_json(&http, &format!("{mcpd}/healthz")).await?;
    let instances_url = format!("{mcpd}/api/v1/instances?server={name}");

    let started = Instant::now();
    let response = http
        .post(format!("{mcpd}/api/v1/servers"))
        .json(&body)
        .timeout(CALL_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("POST /api/v1/servers: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.as_u16() != 201 {
        return Err(format!("POST /api/v1/servers: {status}: {text}"));
    }
    let created = started.elapsed();

    let mut listed = None;
    let mut last = Value::Null;
    let running = loop {
        if started.elapsed() > limit {
            return Err(format!(
                "{name} not Running after {} s: {last}",
                limit.as_secs()
            ));
        }
        last = get_json(&http, &instances_url).await?;
        if listed.is_none() && !items(&last).is_empty() {
            listed = Some(started.elapsed());
        }
        if items(&last).iter().any(|i| i["state"] == "Running") {
            break started.elapsed();
        }
        tokio::time::sleep(POLL).await;
    };

    let url = format!("{mcpd}/api/v1/mcp/{name}");
    let mut attempts = 0u32;
    let (client, first_call) = loop {
        attempts += 1;
        let attempt = async {
            let client = connect_http(&url, false).await?;
            echo(client.peer(), "first", true).await?;
            Ok::<_, String>(client)
        };
        match attempt.await {
            Ok(client) => break (client, started.elapsed()),
            Err(message) if started.elapsed() > limit => {
                return Err(format!("no successful call through {url}: {message}"));
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    };
    let _ = tokio::time::timeout(CALL_TIMEOUT, client.cancel()).await;

    let events = get_json(&http, &format!("{mcpd}/api/v1/servers/{name}/events")).await?;
    let reasons: Vec<Value> = items(&events).iter().map(|e| e["reason"].clone()).collect();
    let mut result = json!({
        "server": name,
        "post_ms": ms(created),
        "listed_ms": listed.map(ms),
        "running_ms": ms(running),
        "first_call_ms": ms(first_call),
        "call_attempts": attempts,
        "events": reasons,
    });
    if delete {
        let deleted = Instant::now();
        http.delete(format!("{mcpd}/api/v1/servers/{name}"))
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("DELETE {name}: {e}"))?;
        loop {
            if items(&get_json(&http, &instances_url).await?).is_empty() {
                break;
            }
            if deleted.elapsed() > limit {
                return Err(format!("{name}'s instances still there after the delete"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        result["delete_ms"] = json!(ms(deleted.elapsed()));
    }
    Ok(result)
}

/// Spawns `command` with piped stdio, initializes an MCP session over it and calls `echo`
/// once; then closes stdin and waits for the exit. Milliseconds from the spawn.
pub async fn spawn_call(command: &[String], limit: Duration) -> Result<Value, String> {
    let (program, args) = command.split_first().ok_or("no command")?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
        return Err("no pipes".to_owned());
    };
    let client = tokio::time::timeout(limit, ().serve((stdout, stdin)))
        .await
        .map_err(|_| format!("{program}: initialize timed out"))?
        .map_err(|e| format!("{program}: initialize: {e}"))?;
    let initialized = started.elapsed();
    echo(client.peer(), "first", true).await?;
    let first_call = started.elapsed();
    let _ = tokio::time::timeout(CALL_TIMEOUT, client.cancel()).await;
    let exited = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.map_err(|e| e.to_string())?.success(),
        Err(_) => {
            let _ = child.kill().await;
            false
        }
    };
    Ok(json!({
        "command": command.join(" "),
        "initialized_ms": ms(initialized),
        "first_call_ms": ms(first_call),
        "exit_ms": ms(started.elapsed()),
        "clean_exit": exited,
    }))
}
