//! Projects served by the real plugin cdylibs (gate, content-pipeline, default) through
//! `PluginHooks`, over the real mcpd and the project's test server.
//!
//! The plugin libraries must be built beside the test binary's profile folder
//! (`cargo build -p gate -p content-pipeline -p default`; `cargo xtask test` builds them).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use mcplocal::{McpdServices, PluginHooks, Plugins, ProjectConfig};
use plugin_host::{PluginHost, Source};
use rmcp::model::ErrorCode;
use serde_json::{Value, json};
use test_support::{Backend, Mcpd};

use crate::support::{
    Api, Watcher, call, connect, connect_watching, echo_server, serve, text, within,
};

/// The library of plugin crate `krate` (`content_pipeline`) in the profile folder the test
/// binary runs from.
pub fn profile_library(krate: &str) -> PathBuf {
    let profile = test_support::binary("mcpd").parent().unwrap().to_path_buf();
    let file = profile.join(format!(
        "{}{krate}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        file.exists(),
        "{} is not built; run `cargo build --workspace --lib` (cargo xtask test does)",
        file.display()
    );
    file
}

/// The built-in plugins, loaded from the profile folder the test binary runs from.
pub fn built_in_plugins() -> Arc<Plugins> {
    let files: Vec<(PathBuf, Source)> = ["gate", "content_pipeline", "default"]
        .iter()
        .map(|name| (profile_library(name), Source::BuiltIn))
        .collect();
    let (host, refused) = PluginHost::load_files(&files);
    assert!(refused.is_empty(), "{refused:?}");
    Arc::new(Plugins::new(host, refused))
}

fn names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gated_project_reveals_its_tools_after_begin_session() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", echo_server()).await;
        api.create(
            "projects",
            json!({"name": "gated", "servers": ["echo"], "proxyModel": "gate"}),
        )
        .await;
        for (name, content, priority) in [
            (
                "helm-deploys",
                "Deploy with helm upgrade --atomic; roll back with helm rollback.",
                8,
            ),
            (
                "coding-style",
                "Format Rust with rustfmt and name things plainly.",
                5,
            ),
        ] {
            api.create(
                "prompts?project=gated",
                json!({"name": name, "content": content, "priority": priority}),
            )
            .await;
        }
        api.wait_running("echo").await;

        let hooks = PluginHooks::new(
            built_in_plugins(),
            "gated",
            "gate",
            McpdServices::new(&mcpd.url),
        )
        .unwrap();
        let url = serve(&mcpd.url, "gated", hooks, ProjectConfig::default()).await;
        let watcher = Watcher::default();
        let client = connect_watching(&url, watcher.clone()).await;
        let instructions = client.peer_info().unwrap().instructions.clone();
        assert!(
            instructions.as_deref().unwrap_or("").contains("begin_session"),
            "{instructions:?}"
        );

        let tools = client.list_all_tools().await.unwrap();
        assert_eq!(names(&tools), ["begin_session"]);

        let hidden = client
            .call_tool(call("echo", json!({"text": "too early"})))
            .await
            .unwrap_err();
        let rmcp::ServiceError::McpError(error) = hidden else {
            panic!("expected a JSON-RPC error, got {hidden:?}");
        };
        assert_eq!(error.code, ErrorCode::INVALID_REQUEST, "{error:?}");
        assert!(
            error.message.contains("call begin_session"),
            "{}",
            error.message
        );
        assert_eq!(error.data.as_ref().unwrap()["plugin"], "gate");

        let missing = client
            .call_tool(call("begin_session", json!({})))
            .await
            .unwrap_err();
        let rmcp::ServiceError::McpError(error) = missing else {
            panic!("expected a JSON-RPC error, got {missing:?}");
        };
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{error:?}");

        let begun = client
            .call_tool(call(
                "begin_session",
                json!({"description": "I am deploying the new release with helm"}),
            ))
            .await
            .unwrap();
        let delivered = text(&begun);
        assert!(delivered.contains("helm upgrade --atomic"), "{delivered}");
        assert!(!delivered.contains("rustfmt"), "{delivered}");
        assert!(delivered.contains("coding-style"), "named, not quoted: {delivered}");
        within(10, async {
            while watcher.tool_list_changes.load(Ordering::SeqCst) == 0 {
                watcher.changed.notified().await;
            }
        })
        .await;

        let tools = names(&client.list_all_tools().await.unwrap());
        assert!(tools.contains(&"echo".to_owned()), "{tools:?}");
        assert!(tools.contains(&"propose_prompt".to_owned()), "{tools:?}");
        assert!(!tools.contains(&"begin_session".to_owned()), "{tools:?}");
        let echoed = client
            .call_tool(call("echo", json!({"text": "now it works"})))
            .await
            .unwrap();
        assert_eq!(text(&echoed), "now it works");

        let proposed = client
            .call_tool(call(
                "propose_prompt",
                json!({"name": "rollback-first", "content": "Check helm history before a rollback."}),
            ))
            .await
            .unwrap();
        assert!(
            text(&proposed).contains("mcpctl approve promptrequest rollback-first"),
            "{}",
            text(&proposed)
        );
        let requests: Value = reqwest::get(format!(
            "{}/api/v1/promptrequests?project=gated",
            mcpd.url
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let request = &requests["items"][0];
        assert_eq!(request["name"], "rollback-first", "{requests:#}");
        assert_eq!(request["content"], "Check helm history before a rollback.");
        assert!(
            request["requestedBy"]
                .as_str()
                .is_some_and(|by| by.contains("gate")),
            "{request:#}"
        );

        // A second session of the same project starts gated again.
        let other = connect_watching(&url, Watcher::default()).await;
        assert_eq!(
            names(&other.list_all_tools().await.unwrap()),
            ["begin_session"]
        );
        other.cancel().await.unwrap();
        client.cancel().await.unwrap();
    })
    .await;
}

/// mcplocal's app: each project by its proxyModel, an unknown one refused with the
/// available ones named, and the plugin list.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_serves_projects_by_proxy_model_and_lists_the_plugins() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", echo_server()).await;
        api.create(
            "projects",
            json!({"name": "plain", "servers": ["echo"], "proxyModel": "content-pipeline"}),
        )
        .await;
        api.create("projects", json!({"name": "gated", "servers": ["echo"]}))
            .await;
        api.create(
            "projects",
            json!({"name": "odd", "servers": ["echo"], "proxyModel": "no-such-plugin"}),
        )
        .await;
        api.wait_running("echo").await;

        let base = crate::support::serve_mcplocal(&mcpd.url, None).await;

        let odd = reqwest::get(format!("{base}/projects/odd")).await.unwrap();
        assert_eq!(odd.status().as_u16(), 503);
        let message = odd.json::<Value>().await.unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("\"no-such-plugin\""), "{message}");
        assert!(
            message.contains("content-pipeline, default, gate"),
            "{message}"
        );

        let plain =
            connect_watching(&format!("{base}/projects/plain/mcp"), Watcher::default()).await;
        let tools = names(&plain.list_all_tools().await.unwrap());
        assert!(tools.contains(&"echo".to_owned()), "{tools:?}");
        let echoed = plain
            .call_tool(call("echo", json!({"text": "ungated"})))
            .await
            .unwrap();
        assert_eq!(text(&echoed), "ungated");
        plain.cancel().await.unwrap();

        // No proxyModel: `default`, which inherits the gate.
        let gated =
            connect_watching(&format!("{base}/projects/gated/mcp"), Watcher::default()).await;
        assert_eq!(
            names(&gated.list_all_tools().await.unwrap()),
            ["begin_session"]
        );
        gated.cancel().await.unwrap();

        let list: Value = reqwest::get(format!("{base}/proxymodels"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = list["items"].as_array().unwrap();
        let default = items.iter().find(|i| i["name"] == "default").unwrap();
        assert_eq!(default["kind"], "plugin");
        assert_eq!(default["source"], "built-in");
        assert_eq!(default["extends"], json!(["gate", "content-pipeline"]));
        let before = default["hooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["hook"] == "onToolCallBefore")
            .unwrap();
        assert_eq!(before["from"], json!(["gate"]));
        let one: Value = reqwest::get(format!("{base}/proxymodels/gate"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["name"], "gate");
        assert!(
            one["file"].as_str().unwrap().ends_with("libgate.so"),
            "{one}"
        );
        let missing = reqwest::get(format!("{base}/proxymodels/nope"))
            .await
            .unwrap();
        assert_eq!(missing.status().as_u16(), 404);
    })
    .await;
}

/// The description of the `swap_version` tool the `test-swap` plugin adds, or the error.
async fn swap_version(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
) -> Result<String, String> {
    let tools = client.list_all_tools().await.map_err(|e| e.to_string())?;
    let tool = tools.iter().find(|t| t.name == "swap_version");
    Ok(tool
        .and_then(|t| t.description.as_deref())
        .unwrap_or("(no swap_version tool)")
        .to_owned())
}

/// Puts `library` at `dest` the way an installer does: a new file renamed over the old one.
fn install_library(library: &std::path::Path, dest: &std::path::Path) {
    let partial = dest.with_file_name(".installing");
    std::fs::copy(library, &partial).unwrap();
    std::fs::rename(&partial, dest).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_plugin_library_is_swapped_in_while_a_session_stays_open() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.echo_project("swapped", "test-swap").await;

        let local = tempfile::tempdir().unwrap();
        let installed = local.path().join("libtest_swap.so");
        install_library(&profile_library("test_plugin_swap_a"), &installed);
        let search = plugin_host::SearchPath::new(&[], &[local.path().to_path_buf()]);
        let plugins = Arc::new(Plugins::load(search));
        plugins.watch();
        let hooks = PluginHooks::new(
            plugins.clone(),
            "swapped",
            "test-swap",
            McpdServices::new(&mcpd.url),
        )
        .unwrap();
        let url = serve(&mcpd.url, "swapped", hooks, ProjectConfig::default()).await;
        let client = connect(&url).await;
        assert_eq!(
            swap_version(&client).await.unwrap(),
            "v1 session-known=true"
        );

        // Writing over the library swaps the new copy in for the open session's next
        // request; the new copy is told of the session before it answers for it.
        install_library(&profile_library("test_plugin_swap_b"), &installed);
        let swapped_at = std::time::Instant::now();
        let description = loop {
            let description = swap_version(&client).await.unwrap();
            if !description.starts_with("v1") {
                break description;
            }
            assert!(
                swapped_at.elapsed() < std::time::Duration::from_secs(10),
                "the new library was not swapped in"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(description, "v2 session-known=true");
        eprintln!(
            "native plugin swap effective after {:?}",
            swapped_at.elapsed()
        );
        let tools = client.list_all_tools().await.unwrap();
        assert!(names(&tools).contains(&"echo".to_owned()), "{tools:?}");
        let echoed = client
            .call_tool(call("echo", json!({"text": "still here"})))
            .await
            .unwrap();
        assert!(text(&echoed).contains("still here"));

        // Removing it fails the project's requests with a message that says why.
        std::fs::remove_file(&installed).unwrap();
        let removed_at = std::time::Instant::now();
        let error = loop {
            match swap_version(&client).await {
                Err(error) => break error,
                Ok(_) => {
                    assert!(
                        removed_at.elapsed() < std::time::Duration::from_secs(10),
                        "the removed library still serves"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        };
        assert!(error.contains("`test-swap`"), "{error}");
        assert!(error.contains("no longer loaded"), "{error}");
        client.cancel().await.unwrap();
    })
    .await;
}

struct NoLog;

impl pipeline::StageLog for NoLog {
    fn log(&self, _level: &str, _message: &str) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_stages_come_from_the_current_plugin_set() {
    use pipeline::{ContentType, StageContext, StageRegistry, StageSource};

    let local = tempfile::tempdir().unwrap();
    let installed = local.path().join("libtest_swap.so");
    install_library(&profile_library("test_plugin_swap_a"), &installed);
    let search = plugin_host::SearchPath::new(&[], &[local.path().to_path_buf()]);
    let plugins = Arc::new(Plugins::load(search));
    let stages = mcplocal::plugins::NativeStages::new(plugins.clone());
    assert_eq!(
        stages.list(),
        [("swap-mark".to_owned(), StageSource::Plugin)]
    );
    let ctx = StageContext::new(ContentType::ToolResult, "git/log", "hello", Arc::new(NoLog));
    let stage = stages.stage("swap-mark").unwrap();
    assert_eq!(
        stage.run("hello".into(), &ctx).await.unwrap().content,
        "v1:hello"
    );

    install_library(&profile_library("test_plugin_swap_b"), &installed);
    plugins.reload();
    // A stage taken before the reload is the old copy's; the registry now gives the new one.
    assert_eq!(
        stage.run("hello".into(), &ctx).await.unwrap().content,
        "v1:hello"
    );
    let swapped = stages.stage("swap-mark").unwrap();
    assert_eq!(
        swapped.run("hello".into(), &ctx).await.unwrap().content,
        "v2:hello"
    );

    let error = swapped
        .run("panic".into(), &ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("swap-mark"), "{error}");
    assert!(error.contains("plugin `test-swap`"), "{error}");
    assert!(error.contains("panicked: told to by git/log"), "{error}");
    assert!(stages.stage("no-such-stage").is_none());
}
