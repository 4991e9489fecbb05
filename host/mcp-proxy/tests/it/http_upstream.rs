//! An instance reached over streamable HTTP instead of STDIO (server-everything in its
//! `streamableHttp` mode).

use std::time::Duration;

use futures_util::future::join_all;
use rmcp::ServiceError;
use rmcp::model::ErrorCode;
use serde_json::json;

use crate::support::{Proxy, Recorder, everything_http_server, text_of, tool_call, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_progress_and_sampling_over_an_http_upstream() {
    within(60, async {
        let proxy = Proxy::start(everything_http_server()).await;
        let recorder = Recorder::new("a").with_sampling();
        let client = proxy.connect("everything", recorder.clone()).await;
        let others =
            join_all((0..8).map(|i| proxy.connect("everything", Recorder::new(&format!("o{i}")))))
                .await;
        assert_eq!(proxy.provider.links_made(), 1);

        let replies = join_all(others.iter().enumerate().map(|(i, other)| async move {
            let message = format!("message {i}");
            let result = other
                .call_tool(tool_call("echo", json!({ "message": message })))
                .await
                .unwrap();
            (message, text_of(&result))
        }))
        .await;
        for (message, reply) in replies {
            assert_eq!(reply, format!("Echo: {message}"));
        }

        let result = client
            .call_tool(tool_call(
                "trigger-long-running-operation",
                json!({ "duration": 1, "steps": 3 }),
            ))
            .await
            .unwrap();
        assert!(text_of(&result).contains("completed"));
        assert!(
            recorder
                .wait_for(Duration::from_secs(5), |r| r.progress.lock().unwrap().len()
                    == 3)
                .await
        );

        let result = client
            .call_tool(tool_call(
                "trigger-sampling-request",
                json!({ "prompt": "over-http" }),
            ))
            .await
            .unwrap();
        let text = text_of(&result);
        assert!(
            text.contains("sampled by a") && text.contains("over-http"),
            "{text}"
        );

        for other in others {
            other.cancel().await.unwrap();
        }
        client.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_http_upstream_fails_the_call_and_is_replaced() {
    within(60, async {
        let proxy = Proxy::start(everything_http_server()).await;
        let recorder = Recorder::new("a");
        let client = proxy.connect("everything", recorder.clone()).await;
        let call = client.call_tool(tool_call(
            "trigger-long-running-operation",
            json!({ "duration": 20, "steps": 20 }),
        ));
        let kill = async {
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
                assert!(error.message.contains("went away; retry"), "{error:?}");
            }
            other => panic!("expected the went-away error, got {other:?}"),
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
