//! A project endpoint merging servers that mcpd runs.

use mcplocal::{
    BeforeToolCall, FailMode, Hooks, NamespaceConfig, PassThrough, PrefixMode, ProjectConfig,
    SessionInfo, Target,
};
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest, ContentBlock,
    GetPromptRequestParams, PingRequest, ReadResourceRequestParams,
};
use serde_json::json;
use test_support::{Backend, Mcpd};

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mcplocal::ProjectUpstreams;

use crate::support::{
    Api, Watcher, call, clock_server, connect, connect_watching, echo_server, serve,
    serve_upstreams, text, within,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_two_server_project_merges_and_routes() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", clock_server()).await;
        api.create("servers", echo_server()).await;
        api.create(
            "projects",
            json!({"name": "both", "servers": ["clock", "echo"]}),
        )
        .await;
        api.wait_running("clock").await;
        api.wait_running("echo").await;

        let url = serve(&mcpd.url, "both", PassThrough, ProjectConfig::default()).await;
        let client = connect(&url).await;
        let info = client.peer_info().unwrap();
        let caps = &info.capabilities;
        assert_eq!(caps.tools.as_ref().unwrap().list_changed, Some(true));
        assert_eq!(caps.prompts.as_ref().unwrap().list_changed, Some(true));
        assert_eq!(caps.resources.as_ref().unwrap().list_changed, Some(true));

        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"clock/get_current_time"), "{names:?}");
        assert!(names.contains(&"clock/convert_time"), "{names:?}");
        assert!(names.contains(&"echo/echo"), "{names:?}");
        assert!(names.contains(&"echo/add"), "{names:?}");
        assert!(names.iter().all(|n| n.contains('/')), "{names:?}");

        let result = client
            .call_tool(call("echo/echo", json!({"text": "hello through mcplocal"})))
            .await
            .unwrap();
        assert_eq!(text(&result), "hello through mcplocal");
        let result = client
            .call_tool(call(
                "clock/convert_time",
                json!({"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}),
            ))
            .await
            .unwrap();
        assert!(text(&result).contains("21:00"), "{}", text(&result));
        let unknown = client.call_tool(call("echo/nope", json!({}))).await;
        assert!(unknown.is_err(), "{unknown:?}");
        let plain = client.call_tool(call("echo", json!({"text": "x"}))).await;
        assert!(plain.is_err(), "unprefixed names do not resolve: {plain:?}");

        let resources = client.list_all_resources().await.unwrap();
        assert!(
            resources.iter().any(|r| r.uri == "test://static"),
            "{resources:?}"
        );
        let read = client
            .read_resource(ReadResourceRequestParams::new("test://static"))
            .await
            .unwrap();
        let read = serde_json::to_string(&read).unwrap();
        assert!(read.contains("static resource"), "{read}");

        let prompts = client.list_all_prompts().await.unwrap();
        let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["echo/greeting"]);
        let mut get = GetPromptRequestParams::new("echo/greeting");
        get.arguments = json!({"name": "World"}).as_object().cloned();
        let prompt = client.get_prompt(get).await.unwrap();
        let prompt = serde_json::to_string(&prompt).unwrap();
        assert!(prompt.contains("Hello, World!"), "{prompt}");

        let pong = client
            .send_request(ClientRequest::PingRequest(PingRequest::default()))
            .await;
        assert!(pong.is_ok(), "{pong:?}");

        // Paging: one tool per page gives the same list.
        let url = serve(
            &mcpd.url,
            "both",
            PassThrough,
            ProjectConfig::default().with_page_size(1),
        )
        .await;
        let paged = connect(&url).await;
        let first = paged.list_tools(None).await.unwrap();
        assert_eq!(first.tools.len(), 1);
        assert!(first.next_cursor.is_some());
        let all = paged.list_all_tools().await.unwrap();
        let paged_names: Vec<&str> = all.iter().map(|t| t.name.as_ref()).collect();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(paged_names, names);
        let mut bad = rmcp::model::PaginatedRequestParams::default();
        bad.cursor = Some("not-a-cursor".to_owned());
        assert!(paged.list_tools(Some(bad)).await.is_err());

        paged.cancel().await.unwrap();
        client.cancel().await.unwrap();
    })
    .await;
}

/// Answers `add` itself and tags every other result.
struct Intercept;

impl Hooks for Intercept {
    async fn before_tool_call(
        &self,
        _session: &SessionInfo,
        target: Option<&Target>,
        request: CallToolRequestParams,
    ) -> Result<BeforeToolCall, ErrorData> {
        if target.is_some_and(|target| target.name == "add") {
            return Ok(BeforeToolCall::Respond(CallToolResponse::Complete(
                CallToolResult::success(vec![ContentBlock::text("intercepted")]),
            )));
        }
        Ok(BeforeToolCall::Forward(request))
    }

    async fn after_tool_call(
        &self,
        _session: &SessionInfo,
        target: Option<&Target>,
        response: CallToolResponse,
    ) -> Result<CallToolResponse, ErrorData> {
        match response {
            CallToolResponse::Complete(mut result) => {
                let server = target.map_or("nobody", |target| target.server.as_str());
                result
                    .content
                    .push(ContentBlock::text(format!("[via {server}]")));
                Ok(CallToolResponse::Complete(result))
            }
            other => Ok(other),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_server_projects_failing_servers_and_hooks() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", echo_server()).await;
        api.create("servers", json!({"name": "broken", "command": "false"}))
            .await;
        api.create("projects", json!({"name": "solo", "servers": ["echo"]}))
            .await;
        api.create(
            "projects",
            json!({"name": "mixed", "servers": ["echo", "broken"]}),
        )
        .await;
        api.wait_running("echo").await;

        // Conditional prefixing: one server, its own names.
        let url = serve(&mcpd.url, "solo", PassThrough, ProjectConfig::default()).await;
        let client = connect(&url).await;
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"echo"), "{names:?}");
        assert!(names.iter().all(|n| !n.contains('/')), "{names:?}");
        let result = client
            .call_tool(call("echo", json!({"text": "solo"})))
            .await
            .unwrap();
        assert_eq!(text(&result), "solo");
        client.cancel().await.unwrap();

        // `always` prefixes even a single server, with the configured separator.
        let config = ProjectConfig::default().with_namespace(
            NamespaceConfig::default()
                .with_prefix(PrefixMode::Always)
                .with_separator("__"),
        );
        let url = serve(&mcpd.url, "solo", PassThrough, config).await;
        let client = connect(&url).await;
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "echo__echo"), "{tools:?}");
        client.cancel().await.unwrap();

        // Fail-open: the broken server's items are missing, the rest works.
        let url = serve(&mcpd.url, "mixed", PassThrough, ProjectConfig::default()).await;
        let client = connect(&url).await;
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"echo/echo"), "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("echo/")), "{names:?}");
        let result = client
            .call_tool(call("echo/echo", json!({"text": "open"})))
            .await
            .unwrap();
        assert_eq!(text(&result), "open");
        client.cancel().await.unwrap();

        // Fail-closed: the list fails and names the server.
        let config = ProjectConfig::default().with_fail_mode(FailMode::Closed);
        let url = serve(&mcpd.url, "mixed", PassThrough, config).await;
        let client = connect(&url).await;
        let error = client.list_all_tools().await.unwrap_err();
        assert!(error.to_string().contains("broken"), "{error}");
        client.cancel().await.unwrap();

        // Hooks: `add` answered by the hook, others transformed after the call.
        let url = serve(&mcpd.url, "solo", Intercept, ProjectConfig::default()).await;
        let client = connect(&url).await;
        let added = client
            .call_tool(call("add", json!({"a": 1, "b": 2})))
            .await
            .unwrap();
        assert_eq!(text(&added), "intercepted\n[via echo]");
        let echoed = client
            .call_tool(call("echo", json!({"text": "hooked"})))
            .await
            .unwrap();
        assert_eq!(text(&echoed), "hooked\n[via echo]");
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_of_the_project_reach_the_client() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", echo_server()).await;
        let mut second = echo_server();
        second["name"] = json!("second");
        api.create("servers", second).await;
        api.create("projects", json!({"name": "grow", "servers": ["echo"]}))
            .await;
        api.wait_running("echo").await;
        api.wait_running("second").await;

        let upstreams = Arc::new(
            ProjectUpstreams::connect(&mcpd.url, "grow", Duration::from_secs(10))
                .await
                .unwrap(),
        );
        let url = serve_upstreams(upstreams.clone(), PassThrough, ProjectConfig::default()).await;
        let watcher = Watcher::default();
        let client = connect_watching(&url, watcher.clone()).await;
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "echo"), "{tools:?}");
        assert!(!upstreams.refresh().await.unwrap(), "nothing changed yet");

        // A second server: the client is told, and names get their prefix.
        api.patch("projects/grow", json!({"servers": ["echo", "second"]}))
            .await;
        assert!(upstreams.refresh().await.unwrap());
        within(10, watcher.changed.notified()).await;
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"echo/echo"), "{names:?}");
        assert!(names.contains(&"second/echo"), "{names:?}");
        let result = client
            .call_tool(call("second/echo", json!({"text": "from the second"})))
            .await
            .unwrap();
        assert_eq!(text(&result), "from the second");
        // Both servers list `test://static`: the first in project order owns it.
        let resources = client.list_all_resources().await.unwrap();
        let statics = resources
            .iter()
            .filter(|r| r.uri == "test://static")
            .count();
        assert_eq!(statics, 1, "{resources:?}");
        let read = client
            .read_resource(ReadResourceRequestParams::new("test://static"))
            .await
            .unwrap();
        assert!(
            serde_json::to_string(&read)
                .unwrap()
                .contains("static resource")
        );

        // The first server removed: its tools are gone, the names lose their prefix again.
        api.patch("projects/grow", json!({"servers": ["second"]}))
            .await;
        let refresher = upstreams.spawn_refresher(Duration::from_millis(100));
        within(10, watcher.changed.notified()).await;
        refresher.abort();
        assert_eq!(upstreams.servers().as_slice(), ["second"]);
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert!(names.contains(&"echo"), "{names:?}");
        assert!(names.iter().all(|n| !n.contains('/')), "{names:?}");
        let stale = client
            .call_tool(call("echo/echo", json!({"text": "x"})))
            .await;
        assert!(stale.is_err(), "{stale:?}");
        assert_eq!(watcher.tool_list_changes.load(Ordering::SeqCst), 2);
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_server_leaves_the_lists_and_comes_back() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(180, async {
        let api = Api::new(&mcpd.url);
        api.create("servers", echo_server()).await;
        let mut flaky = echo_server();
        flaky["name"] = json!("flaky");
        api.create("servers", flaky).await;
        api.create(
            "projects",
            json!({"name": "pair", "servers": ["echo", "flaky"]}),
        )
        .await;
        api.wait_running("echo").await;
        api.wait_running("flaky").await;

        let upstreams = Arc::new(
            ProjectUpstreams::connect(&mcpd.url, "pair", Duration::from_secs(10))
                .await
                .unwrap(),
        );
        let url = serve_upstreams(upstreams.clone(), PassThrough, ProjectConfig::default()).await;
        let watcher = Watcher::default();
        let client = connect_watching(&url, watcher.clone()).await;
        let names = |tools: &[rmcp::model::Tool]| -> Vec<String> {
            tools.iter().map(|t| t.name.to_string()).collect()
        };
        let tools = client.list_all_tools().await.unwrap();
        assert!(
            names(&tools).contains(&"flaky/echo".to_owned()),
            "{:?}",
            names(&tools)
        );
        let refresher = upstreams.spawn_refresher(Duration::from_millis(200));

        // No instance left: the probe notices, the client is told, the tools are gone, and
        // the rest of the project still works.
        api.patch("servers/flaky", json!({"replicas": 0})).await;
        within(30, watcher.changed.notified()).await;
        assert!(!upstreams.is_available("flaky"));
        let tools = client.list_all_tools().await.unwrap();
        assert!(
            names(&tools).iter().all(|n| !n.starts_with("flaky/")),
            "{:?}",
            names(&tools)
        );
        let echoed = client
            .call_tool(call("echo/echo", json!({"text": "still here"})))
            .await
            .unwrap();
        assert_eq!(text(&echoed), "still here");

        // Back: told again, and its tools return.
        api.patch("servers/flaky", json!({"replicas": 1})).await;
        within(60, watcher.changed.notified()).await;
        assert!(upstreams.is_available("flaky"));
        let tools = client.list_all_tools().await.unwrap();
        assert!(
            names(&tools).contains(&"flaky/echo".to_owned()),
            "{:?}",
            names(&tools)
        );
        let echoed = client
            .call_tool(call("flaky/echo", json!({"text": "recovered"})))
            .await
            .unwrap();
        assert_eq!(text(&echoed), "recovered");
        refresher.abort();
        client.cancel().await.unwrap();
    })
    .await;
}
