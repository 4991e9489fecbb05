//! mcp-server-time behind the proxy: listing, calling, many sessions on one link.

use std::time::Instant;

use futures_util::future::join_all;
use serde_json::json;

use crate::support::{Proxy, Recorder, text_of, time_server, tool_call, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_calls_tools_through_the_proxy() {
    within(60, async {
        let proxy = Proxy::start(time_server()).await;
        let client = proxy.connect("time", Recorder::new("c")).await;

        let info = client.peer_info().unwrap();
        assert_eq!(info.server_info.as_ref().unwrap().name, "mcp-time");
        assert!(info.capabilities.tools.is_some());

        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        assert!(names.contains(&"get_current_time"), "{names:?}");
        assert!(names.contains(&"convert_time"), "{names:?}");

        let result = client
            .call_tool(tool_call(
                "get_current_time",
                json!({ "timezone": "Europe/Warsaw" }),
            ))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true));
        assert!(text_of(&result).contains("Europe/Warsaw"), "{result:?}");

        // A tool error from the server comes back as a tool error, not a proxy error.
        let result = client
            .call_tool(tool_call(
                "get_current_time",
                json!({ "timezone": "Nowhere/Nothing" }),
            ))
            .await;
        match result {
            Ok(result) => assert_eq!(result.is_error, Some(true), "{result:?}"),
            Err(error) => assert!(error.to_string().contains("Nowhere"), "{error}"),
        }
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_on_one_shared_link_get_their_own_answers() {
    const SESSIONS: usize = 32;
    within(120, async {
        let proxy = Proxy::start(time_server()).await;
        let clients =
            join_all((0..SESSIONS).map(|i| proxy.connect("time", Recorder::new(&format!("c{i}")))))
                .await;
        assert_eq!(
            proxy.provider.links_made(),
            1,
            "all sessions share one link"
        );
        let link = proxy.provider.shared_link().unwrap();
        assert_eq!(link.session_count(), SESSIONS);

        let start = Instant::now();
        let replies = join_all(clients.iter().enumerate().map(|(i, client)| async move {
            // A unique time per session: minute = i, hour = i % 24.
            let time = format!("{:02}:{:02}", i % 24, i);
            let call = tool_call(
                "convert_time",
                json!({ "source_timezone": "UTC", "time": time, "target_timezone": "Asia/Tokyo" }),
            );
            (time, client.call_tool(call).await.unwrap())
        }))
        .await;
        let elapsed = start.elapsed();
        for (time, result) in &replies {
            let text = text_of(result);
            assert!(
                text.contains(&format!("T{time}:00")),
                "asked {time}, got {text}"
            );
        }
        eprintln!(
            "{SESSIONS} concurrent convert_time calls through one shared STDIO link: {elapsed:?}"
        );

        // Sequential round trips through proxy + link, for a latency figure.
        let client = &clients[0];
        let rounds = 50;
        let start = Instant::now();
        for _ in 0..rounds {
            client
                .call_tool(tool_call("get_current_time", json!({ "timezone": "UTC" })))
                .await
                .unwrap();
        }
        eprintln!(
            "sequential tools/call through the proxy: {:?} per call",
            start.elapsed() / rounds
        );

        // The same calls straight on the link (no HTTP, no proxy session), for comparison.
        let start = Instant::now();
        for _ in 0..rounds {
            link.peer()
                .call_tool(tool_call("get_current_time", json!({ "timezone": "UTC" })))
                .await
                .unwrap();
        }
        eprintln!(
            "sequential tools/call straight on the upstream link: {:?} per call",
            start.elapsed() / rounds
        );

        for client in clients {
            client.cancel().await.unwrap();
        }
    })
    .await;
}
