//! Upstream failures and cancellation.

use std::time::Duration;

use rmcp::ServiceError;
use rmcp::model::{CallToolRequest, ClientRequest, ErrorCode};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::{Proxy, Recorder, everything_server, text_of, tool_call, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_upstream_fails_the_call_in_flight_and_the_next_call_gets_a_new_link() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let recorder = Recorder::new("a");
        let client = proxy.connect("everything", recorder.clone()).await;

        let call = client.call_tool(tool_call(
            "trigger-long-running-operation",
            json!({ "duration": 20, "steps": 20 }),
        ));
        let kill = async {
            // Kill once the call is certainly running upstream.
            assert!(
                recorder
                    .wait_for(Duration::from_secs(10), |r| !r
                        .progress
                        .lock()
                        .unwrap()
                        .is_empty())
                    .await
            );
            proxy.provider.kill_all();
        };
        let (result, ()) = tokio::join!(call, kill);
        match result {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.code, ErrorCode::INTERNAL_ERROR);
                assert_eq!(
                    error.message,
                    "upstream instance of server everything went away; retry"
                );
            }
            other => panic!("expected the went-away error, got {other:?}"),
        }
        assert!(
            proxy
                .provider
                .broken_reports
                .load(std::sync::atomic::Ordering::SeqCst)
                >= 1
        );

        let result = client
            .call_tool(tool_call("echo", json!({ "message": "after" })))
            .await
            .unwrap();
        assert_eq!(text_of(&result), "Echo: after");
        assert_eq!(proxy.provider.links_made(), 2);
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_that_died_while_idle_is_replaced_transparently() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let client = proxy.connect("everything", Recorder::new("a")).await;
        client
            .call_tool(tool_call("echo", json!({ "message": "before" })))
            .await
            .unwrap();
        let link = proxy.provider.shared_link().unwrap();
        proxy.provider.kill_all();
        while !link.is_closed() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let result = client
            .call_tool(tool_call("echo", json!({ "message": "after" })))
            .await
            .unwrap();
        assert_eq!(text_of(&result), "Echo: after");
        assert_eq!(proxy.provider.links_made(), 2);
        client.cancel().await.unwrap();
    })
    .await;
}

/// A client's `notifications/cancelled` reaches the instance under the request id the
/// proxy's link used, not the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_is_forwarded_under_the_upstream_request_id() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        // Another session's traffic first, so the link's request ids run ahead of the
        // client's and the two cannot coincide.
        let other = proxy.connect("everything", Recorder::new("other")).await;
        for _ in 0..3 {
            other
                .call_tool(tool_call("echo", json!({ "message": "x" })))
                .await
                .unwrap();
        }
        let recorder = Recorder::new("a");
        let client = proxy.connect("everything", recorder.clone()).await;
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(tool_call(
            "trigger-long-running-operation",
            json!({ "duration": 20, "steps": 20 }),
        )));
        let handle = client
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .unwrap();
        let client_id = handle.id.clone();
        assert!(
            recorder
                .wait_for(Duration::from_secs(10), |r| !r
                    .progress
                    .lock()
                    .unwrap()
                    .is_empty())
                .await
        );
        let link = proxy.provider.shared_link().unwrap();
        assert_eq!(link.in_flight(), 1);
        handle
            .cancel(Some("changed my mind".to_owned()))
            .await
            .unwrap();

        let upstream_id = proxy
            .provider
            .sent_messages()
            .iter()
            .find(|m| m["params"]["name"] == "trigger-long-running-operation")
            .map(|m| m["id"].clone())
            .unwrap();
        assert_ne!(
            upstream_id,
            json!(client_id),
            "ids must differ for this test to mean much"
        );
        let mut cancelled = None;
        for _ in 0..100 {
            cancelled = proxy
                .provider
                .sent_messages()
                .into_iter()
                .find(|m| m["method"] == "notifications/cancelled");
            if cancelled.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let cancelled = cancelled.expect("no notifications/cancelled reached the instance");
        assert_eq!(cancelled["params"]["requestId"], upstream_id);
        while link.in_flight() != 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // The link is still good.
        let result = client
            .call_tool(tool_call("echo", json!({ "message": "still here" })))
            .await
            .unwrap();
        assert_eq!(text_of(&result), "Echo: still here");
        client.cancel().await.unwrap();
        other.cancel().await.unwrap();
    })
    .await;
}

/// Dedicated mode: one instance per client session, closed with the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedicated_links_are_per_session_and_closed_with_it() {
    within(60, async {
        let proxy = Proxy::start(everything_server().dedicated()).await;
        let a = proxy.connect("everything", Recorder::new("a")).await;
        let b = proxy.connect("everything", Recorder::new("b")).await;
        assert_eq!(proxy.provider.links_made(), 2);
        for client in [&a, &b] {
            let result = client
                .call_tool(tool_call("echo", json!({ "message": "hi" })))
                .await
                .unwrap();
            assert_eq!(text_of(&result), "Echo: hi");
        }
        assert_eq!(proxy.provider.running(), 2);
        a.cancel().await.unwrap();
        // Closing the session closes its link: the instance sees EOF on stdin and exits
        // (within 30 s: a Node process on a loaded 2-core machine once took over 10).
        let mut waited = 0;
        while proxy.provider.running() != 1 {
            assert!(
                waited < 600,
                "the dedicated instance did not exit within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        b.cancel().await.unwrap();
    })
    .await;
}
