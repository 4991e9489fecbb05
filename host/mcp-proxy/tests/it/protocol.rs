//! Protocol revisions, HTTP limits, and bad server names.

use rmcp::ServiceExt;
use rmcp::model::ProtocolVersion;
use rmcp::transport::StreamableHttpClientTransport;

use crate::support::{Proxy, Recorder, time_server, within};
use mcp_proxy::ProxyConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_and_previous_protocol_revisions_are_answered_with_themselves() {
    within(60, async {
        let proxy = Proxy::start(time_server()).await;
        for version in [
            ProtocolVersion::V_2025_11_25,
            ProtocolVersion::V_2025_06_18,
            ProtocolVersion::V_2025_03_26,
        ] {
            let client = proxy
                .connect(
                    "time",
                    Recorder::new("c").with_protocol_version(version.clone()),
                )
                .await;
            let info = client.peer_info().unwrap();
            assert_eq!(info.protocol_version, version);
            let tools = client.list_all_tools().await.unwrap();
            assert!(!tools.is_empty());
            client.cancel().await.unwrap();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_initialize_with_the_previous_revision() {
    within(60, async {
        let proxy = Proxy::start(time_server()).await;
        let body = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "raw", "version": "1" }
            }
        });
        let response = reqwest::Client::new()
            .post(proxy.url("time"))
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("mcp-session-id"));
        let text = response.text().await.unwrap();
        let data = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .find(|data| !data.is_empty())
            .unwrap();
        let message: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(message["id"], 1);
        assert_eq!(message["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(message["result"]["serverInfo"]["name"], "mcp-time");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_unknown_revision_is_answered_with_the_newest_supported() {
    within(60, async {
        let proxy = Proxy::start(time_server()).await;
        let client = proxy
            .connect(
                "time",
                Recorder::new("c").with_protocol_version(ProtocolVersion::V_2026_07_28),
            )
            .await;
        assert_eq!(
            client.peer_info().unwrap().protocol_version,
            ProtocolVersion::V_2025_11_25
        );
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    within(60, async {
        let config = ProxyConfig::default().with_max_request_body_bytes(64 * 1024);
        let proxy = Proxy::start_with(time_server(), config).await;
        let padding = "x".repeat(128 * 1024);
        let body = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": padding, "version": "1" }
            }
        });
        let response = reqwest::Client::new()
            .post(proxy.url("time"))
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        assert_eq!(proxy.provider.links_made(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_server_names_fail_initialize() {
    within(60, async {
        let proxy = Proxy::start(time_server()).await;
        for server in ["nosuch", "Bad_Name"] {
            let transport = StreamableHttpClientTransport::from_uri(proxy.url(server));
            let error = Recorder::new("c").serve(transport).await.unwrap_err();
            let message = error.to_string();
            assert!(message.contains(server), "{server}: {message}");
        }
        assert_eq!(proxy.provider.links_made(), 0);
    })
    .await;
}
