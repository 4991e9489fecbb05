//! `tools/call` round trips: latency percentiles of sequential calls and the throughput of
//! several sessions calling at once.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::procstat::Watch;
use crate::stats::{Samples, ms, round1};

/// Longest wait for one answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

pub type Client = RunningService<RoleClient, ()>;

/// Where the calls go.
#[derive(Debug, Clone)]
pub enum Target {
    /// A streamable-HTTP endpoint; each session is its own MCP session.
    Http(String),
    /// An `mcp-stdio` stream endpoint of mcpd (`/api/v1/mcp-stream/NAME`); each session is
    /// its own stream.
    Stream(String),
    /// A STDIO server spawned here; every session shares its one MCP session (as mcpd's
    /// shared link does), with one call in flight per session.
    Stdio(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub sessions: usize,
    /// Reuse HTTP connections (a pooled reqwest client) instead of rmcp's default.
    pub keep_alive: bool,
    /// Processes whose CPU time and context switches per call to report (label, pid).
    pub watch: Vec<(String, u32)>,
    pub calls: usize,
    pub warmup: usize,
    pub text: String,
}

/// An initialized client over streamable HTTP. rmcp's default HTTP client keeps no idle
/// connection (a new TCP connection per request); `keep_alive` gives it a pooled one.
pub async fn connect_http(url: &str, keep_alive: bool) -> Result<Client, String> {
    let transport = if keep_alive {
        StreamableHttpClientTransport::with_client(
            reqwest::Client::new(),
            StreamableHttpClientTransportConfig::with_uri(url.to_owned()),
        )
    } else {
        StreamableHttpClientTransport::from_uri(url.to_owned())
    };
    tokio::time::timeout(CALL_TIMEOUT, ().serve(transport))
        .await
        .map_err(|_| format!("initialize at {url} timed out"))?
        .map_err(|e| format!("initialize at {url}: {e}"))
}

/// An initialized client over an `mcp-stdio` stream (mcp-proxy's `connect_stream`).
pub async fn connect_stream(url: &str) -> Result<Client, String> {
    let open = async {
        let (reader, writer) = mcp_proxy::connect_stream(url)
            .await
            .map_err(|e| e.to_string())?;
        ().serve((reader, writer))
            .await
            .map_err(|e| format!("initialize at {url}: {e}"))
    };
    tokio::time::timeout(CALL_TIMEOUT, open)
        .await
        .map_err(|_| format!("initialize at {url} timed out"))?
}

/// One `echo` call; checks the answer is not an error (and, when asked, its text).
pub async fn echo(peer: &Peer<RoleClient>, text: &str, check_text: bool) -> Result<(), String> {
    let mut arguments = serde_json::Map::new();
    arguments.insert("text".to_owned(), Value::String(text.to_owned()));
    let params = CallToolRequestParams::new("echo").with_arguments(arguments);
    let result = tokio::time::timeout(CALL_TIMEOUT, peer.call_tool(params))
        .await
        .map_err(|_| "tools/call echo timed out".to_owned())?
        .map_err(|e| format!("tools/call echo: {e}"))?;
    if result.is_error == Some(true) {
        return Err(format!("echo returned an error: {result:?}"));
    }
    if check_text {
        let answer: String = result
            .content
            .iter()
            .filter_map(|block| block.as_text())
            .map(|t| t.text.as_str())
            .collect();
        if answer != text {
            return Err(format!("echo answered {answer:?}, not {text:?}"));
        }
    }
    Ok(())
}

/// One session's share: warm-up calls, then (after every session is warm) measured calls.
async fn session_loop(
    peer: Peer<RoleClient>,
    options: Arc<Options>,
    barrier: Arc<Barrier>,
) -> Result<Samples, String> {
    let mut warm = echo(&peer, &options.text, true).await;
    for _ in 1..options.warmup {
        if warm.is_err() {
            break;
        }
        warm = echo(&peer, &options.text, false).await;
    }
    // Wait even after a failure, so the other sessions are not left at the barrier.
    barrier.wait().await;
    warm?;
    let mut samples = Samples::with_capacity(options.calls);
    for _ in 0..options.calls {
        let started = Instant::now();
        echo(&peer, &options.text, false).await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

pub async fn run(target: Target, options: Options) -> Result<Value, String> {
    let options = Arc::new(options);
    // Keep the clients (and the child) alive until the calls are done.
    let mut clients = Vec::new();
    let mut child = None;
    let mut watch = Watch::default();
    watch.add("client", std::process::id());
    for (label, pid) in &options.watch {
        watch.add(label, *pid);
    }
    let (label, peers): (String, Vec<Peer<RoleClient>>) = match &target {
        Target::Http(url) => {
            for _ in 0..options.sessions {
                clients.push(connect_http(url, options.keep_alive).await?);
            }
            let peers = clients.iter().map(|c| c.peer().clone()).collect();
            (url.clone(), peers)
        }
        Target::Stream(url) => {
            for _ in 0..options.sessions {
                clients.push(connect_stream(url).await?);
            }
            let peers = clients.iter().map(|c| c.peer().clone()).collect();
            (format!("stream:{url}"), peers)
        }
        Target::Stdio(program) => {
            let mut spawned = tokio::process::Command::new(program)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
            let (Some(stdout), Some(stdin)) = (spawned.stdout.take(), spawned.stdin.take()) else {
                return Err("no pipes".to_owned());
            };
            if let Some(pid) = spawned.id() {
                watch.add("server", pid);
            }
            child = Some(spawned);
            let client = tokio::time::timeout(CALL_TIMEOUT, ().serve((stdout, stdin)))
                .await
                .map_err(|_| "initialize over stdio timed out".to_owned())?
                .map_err(|e| format!("initialize over stdio: {e}"))?;
            let peer = client.peer().clone();
            clients.push(client);
            (
                format!("stdio:{}", program.display()),
                vec![peer; options.sessions],
            )
        }
    };
    let barrier = Arc::new(Barrier::new(peers.len() + 1));
    let tasks: Vec<_> = peers
        .into_iter()
        .map(|peer| tokio::spawn(session_loop(peer, options.clone(), barrier.clone())))
        .collect();
    barrier.wait().await;
    watch.start();
    let started = Instant::now();
    let mut samples = Samples::with_capacity(options.calls * options.sessions);
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok(session)) => samples.extend(session),
            Ok(Err(message)) => failure = Some(message),
            Err(e) => failure = Some(e.to_string()),
        }
    }
    let elapsed = started.elapsed();
    let cpu = watch.per_call(samples.len());
    for client in clients {
        let _ = tokio::time::timeout(CALL_TIMEOUT, client.cancel()).await;
    }
    if let Some(mut child) = child {
        let _ = tokio::time::timeout(CALL_TIMEOUT, child.wait()).await;
        let _ = child.kill().await;
    }
    if let Some(message) = failure {
        return Err(message);
    }
    let count = samples.len();
    let mut result = samples.summary();
    result["target"] = json!(label);
    result["keep_alive"] = json!(options.keep_alive);
    result["sessions"] = json!(options.sessions);
    result["calls"] = json!(count);
    result["elapsed_ms"] = json!(ms(elapsed));
    result["calls_per_s"] = json!(round1(count as f64 / elapsed.as_secs_f64().max(1e-9)));
    result["per_call"] = cpu;
    Ok(result)
}

/// Plain HTTP round trips on one reqwest client: the cost of HTTP alone, without MCP. With
/// `fresh`, every request opens a new TCP connection (as rmcp's default client does);
/// otherwise one keep-alive connection serves them all.
pub async fn http(
    url: String,
    method: String,
    fresh: bool,
    calls: usize,
    warmup: usize,
) -> Result<Value, String> {
    let client = if fresh {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| e.to_string())?
    } else {
        reqwest::Client::new()
    };
    let post = method.eq_ignore_ascii_case("POST");
    let mut status = 0;
    for _ in 0..warmup.max(1) {
        status = round_trip(&client, &url, post).await?;
    }
    let mut samples = Samples::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        round_trip(&client, &url, post).await?;
        samples.push(started.elapsed());
    }
    let count = samples.len();
    let mut result = samples.summary();
    result["target"] = json!(format!("{} {url}", if post { "POST" } else { "GET" }));
    result["status"] = json!(status);
    result["fresh_connections"] = json!(fresh);
    result["calls"] = json!(count);
    Ok(result)
}

/// One request (a POST carries a small JSON-RPC body); returns the status.
async fn round_trip(client: &reqwest::Client, url: &str, post: bool) -> Result<u16, String> {
    let request = if post {
        client
            .post(url)
            .header("content-type", "application/json")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
    } else {
        client.get(url)
    };
    let response = request
        .timeout(CALL_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    Ok(status)
}
