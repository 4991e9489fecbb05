//! What the `default` plugin adds to a `tools/call` through mcplocal, end to end: a client
//! calls the same tool of the same project, through mcpd, on two endpoints of this process —
//! one served with `PassThrough` hooks, one with `PluginHooks` running the `default` plugin
//! cdylib (in an ungated session: after `begin_session`; its content-pipeline part running the
//! `default` pipeline, as mcplocal runs it) — alternating call by call, so drift
//! of the machine affects both alike; per round the difference of the two means, and the
//! median and quartiles of those differences over the rounds. Prints one JSON line
//! (microseconds per call).
//!
//! `plugin-overhead --mcpd URL --server-command MCP_TEST_SERVER --dir PLUGIN_DIR [--rounds R]
//! [--calls N] [--control]`: creates server `echo` (that command) and project `bench` in the mcpd, waits
//! for the server to run, then measures its `echo` tool (`cargo xtask bench plugins` runs it
//! against a release mcpd and mcp-test-server).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcplocal::content::{ContentPipelines, DEFAULT_PIPELINE};
use mcplocal::{
    BeforeToolCall, Hooks, McpdServices, PassThrough, PluginHooks, Plugins, ProjectConfig,
    ProjectUpstreams, SessionClient, SessionInfo, Target, mcp_service,
};
use plugin_host::{PluginHost, Source};
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RunningService;
use rmcp::transport::{StreamableHttpClientTransport, StreamableHttpServerConfig};
use rmcp::{RoleClient, ServiceExt};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn serve<H: Hooks>(upstreams: Arc<ProjectUpstreams>, hooks: H) -> anyhow::Result<String> {
    let service = mcp_service(
        upstreams,
        Arc::new(hooks),
        Arc::new(ProjectConfig::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().route_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{addr}/mcp"))
}

async fn connect(url: &str) -> anyhow::Result<RunningService<RoleClient, ()>> {
    Ok(
        ().serve(StreamableHttpClientTransport::from_uri(url.to_owned()))
            .await?,
    )
}

/// `pairs` calls on each of `a` and `b`, alternating call by call (and which goes first), so
/// that the machine's drift falls on both alike: the mean of each, in µs.
async fn interleaved(
    a: &RunningService<RoleClient, ()>,
    b: &RunningService<RoleClient, ()>,
    call: &CallToolRequestParams,
    pairs: usize,
) -> anyhow::Result<(f64, f64)> {
    let (clients, mut totals) = ([a, b], [Duration::ZERO; 2]);
    for i in 0..pairs {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let started = Instant::now();
            clients[which].call_tool(call.clone()).await?;
            totals[which] += started.elapsed();
        }
    }
    let mean = |total: Duration| total.as_secs_f64() * 1e6 / pairs.max(1) as f64;
    Ok((mean(totals[0]), mean(totals[1])))
}

/// Creates server `echo` running `command` and project `bench` (proxyModel `default`), and
/// waits until the server's instance runs.
async fn create_and_wait(mcpd: &str, command: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for (kinds, body) in [
        (
            "servers",
            serde_json::json!({"name": "echo", "command": command}),
        ),
        (
            "projects",
            serde_json::json!({"name": "bench", "servers": ["echo"], "proxyModel": "default"}),
        ),
    ] {
        let response = http
            .post(format!("{mcpd}/api/v1/{kinds}"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "creating {kinds}: {}",
            response.text().await?
        );
    }
    let started = Instant::now();
    loop {
        let body: serde_json::Value = http
            .get(format!("{mcpd}/api/v1/instances?server=echo"))
            .send()
            .await?
            .json()
            .await?;
        if body["items"][0]["state"] == "Running" {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "echo is not Running after 60 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The hooks alone, in process: onToolCallBefore and onToolCallAfter of `hooks` for one small
/// call, as mcplocal runs them (rmcp values to JSON, dispatch, JSON back), mean over `calls`.
async fn hooks_alone(
    hooks: &PluginHooks,
    session: &SessionInfo,
    call: &CallToolRequestParams,
    calls: usize,
) -> anyhow::Result<Duration> {
    let target = Target {
        server: "echo".into(),
        name: "echo".into(),
    };
    let started = Instant::now();
    for _ in 0..calls {
        let BeforeToolCall::Forward(_) = hooks
            .before_tool_call(session, Some(&target), call.clone())
            .await?
        else {
            anyhow::bail!("the plugin answered a forwarded call");
        };
        let result = CallToolResult::success(vec![ContentBlock::text("hello")]);
        hooks
            .after_tool_call(session, Some(&target), CallToolResponse::Complete(result))
            .await?;
    }
    Ok(started.elapsed() / calls.max(1) as u32)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let need = |name: &str| arg(&args, name).ok_or_else(|| anyhow::anyhow!("{name} is required"));
    let (mcpd, command) = (need("--mcpd")?, need("--server-command")?);
    let (project, tool) = ("bench", "echo");
    let dir = PathBuf::from(need("--dir")?);
    let rounds: usize = arg(&args, "--rounds").map_or(Ok(30), |v| v.parse())?;
    let calls: usize = arg(&args, "--calls").map_or(Ok(200), |v| v.parse())?;

    let files: Vec<(PathBuf, Source)> = ["gate", "content_pipeline", "default"]
        .iter()
        .map(|name| {
            let file = dir.join(format!(
                "{}{name}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ));
            (file, Source::BuiltIn)
        })
        .collect();
    let (host, refused) = PluginHost::load_files(&files);
    if let Some(error) = refused.first() {
        anyhow::bail!("{error}");
    }
    let plugins = Arc::new(Plugins::new(host, refused));
    create_and_wait(&mcpd, &command).await?;
    let upstreams =
        Arc::new(ProjectUpstreams::connect(&mcpd, project, Duration::from_secs(30)).await?);
    // As mcplocal serves a project whose proxyModel is `default`: the content-pipeline part
    // runs the `default` pipeline (passthrough, paginate) over every result, with a home for
    // its cache and no language model.
    let home = tempfile::tempdir()?;
    let models = Arc::new(llm::LlmRouter::new(
        Vec::new(),
        Arc::new(llm::EnvKeys),
        llm::RouterOptions::default(),
    ));
    let native = Arc::new(mcplocal::plugins::NativeStages::new(plugins.clone()));
    let content = ContentPipelines::load(Some(home.path()), models, Some(native));
    let hooks = PluginHooks::new(plugins, project, "default", McpdServices::new(&mcpd))?
        .with_content(content, DEFAULT_PIPELINE);
    let plain = connect(&serve(upstreams.clone(), PassThrough).await?).await?;
    // `--control`: the second endpoint runs `PassThrough` too, so the figure is the method's
    // own bias and spread (an A/A comparison).
    let control = args.iter().any(|a| a == "--control");
    let plugin = if control {
        connect(&serve(upstreams, PassThrough).await?).await?
    } else {
        connect(&serve(upstreams, hooks.clone()).await?).await?
    };
    let mut begin = CallToolRequestParams::new("begin_session");
    begin.arguments = serde_json::json!({"description": "benchmark the tool call overhead"})
        .as_object()
        .cloned();
    if !control {
        plugin.call_tool(begin).await?;
    }

    let mut call = CallToolRequestParams::new(tool);
    call.arguments = serde_json::json!({"text": "hello"}).as_object().cloned();
    interleaved(&plain, &plugin, &call, calls).await?;
    // An ungated session of the plugin's own, for the hooks measured alone.
    let session = SessionInfo {
        id: u64::MAX,
        project: project.to_owned(),
        client: SessionClient::default(),
    };
    let mut begin = CallToolRequestParams::new("begin_session");
    begin.arguments = serde_json::json!({"description": "benchmark"})
        .as_object()
        .cloned();
    hooks.before_tool_call(&session, None, begin).await?;
    hooks_alone(&hooks, &session, &call, calls).await?;
    let mut alone_us = Vec::new();
    for _ in 0..rounds {
        alone_us.push(
            hooks_alone(&hooks, &session, &call, calls * 10)
                .await?
                .as_secs_f64()
                * 1e6,
        );
    }
    let (mut plain_us, mut plugin_us, mut added_us) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (p, d) = interleaved(&plain, &plugin, &call, calls).await?;
        plain_us.push(p);
        plugin_us.push(d);
        added_us.push(d - p);
    }
    added_us.sort_by(f64::total_cmp);
    let quartile = |q: usize| {
        added_us
            .get(added_us.len() * q / 4)
            .copied()
            .unwrap_or_default()
    };
    let (added_p25, added_p75) = (quartile(1), quartile(3));
    println!(
        r#"{{"hooks_alone_us": {:.2}, "pass_through_us": {:.1}, "default_us": {:.1}, "added_us": {:.1}, "added_p25_us": {added_p25:.1}, "added_p75_us": {added_p75:.1}, "rounds": {rounds}, "calls_per_round": {calls}}}"#,
        median(alone_us),
        median(plain_us),
        median(plugin_us),
        median(added_us)
    );
    plain.cancel().await?;
    plugin.cancel().await?;
    Ok(())
}
