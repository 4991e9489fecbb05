//! server-everything behind the proxy: progress, logging, sampling and list_changed.

use std::sync::atomic::Ordering;
use std::time::Duration;

use rmcp::model::{ClientRequest, ServerResult};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::{Proxy, Recorder, everything_server, text_of, tool_call, within};

/// Two sessions run the long operation at once. Each client's rmcp peer numbers its progress
/// tokens from the same start, so both use the same token: each must still get exactly its
/// own notifications, under its own token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reaches_only_the_session_that_asked() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let a = Recorder::new("a");
        let b = Recorder::new("b");
        let client_a = proxy.connect("everything", a.clone()).await;
        let client_b = proxy.connect("everything", b.clone()).await;
        assert_eq!(proxy.provider.links_made(), 1);

        let steps = 4;
        let call = || {
            ClientRequest::CallToolRequest(rmcp::model::CallToolRequest::new(tool_call(
                "trigger-long-running-operation",
                json!({ "duration": 1, "steps": steps }),
            )))
        };
        let handle_a = client_a
            .send_request_with_option(call(), PeerRequestOptions::no_options())
            .await
            .unwrap();
        let handle_b = client_b
            .send_request_with_option(call(), PeerRequestOptions::no_options())
            .await
            .unwrap();
        assert_eq!(
            handle_a.progress_token, handle_b.progress_token,
            "the test relies on both sessions using the same token"
        );
        let token = handle_a.progress_token.clone();
        let (result_a, result_b) =
            tokio::join!(handle_a.await_response(), handle_b.await_response());
        for result in [result_a.unwrap(), result_b.unwrap()] {
            let ServerResult::CallToolResult(result) = result else {
                panic!("unexpected result {result:?}");
            };
            assert!(text_of(&result).contains("Long running operation completed"));
        }

        for recorder in [&a, &b] {
            let arrived = recorder
                .wait_for(Duration::from_secs(5), |r| {
                    r.progress.lock().unwrap().len() >= steps
                })
                .await;
            let counts = [
                a.progress.lock().unwrap().len(),
                b.progress.lock().unwrap().len(),
            ];
            assert!(
                arrived,
                "{}: progress counts (a, b) = {counts:?}",
                recorder.name
            );
            // Give a stray notification from the other session time to show up.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let progress = recorder.progress.lock().unwrap().clone();
            assert_eq!(progress.len(), steps, "{}: {progress:?}", recorder.name);
            let mut values: Vec<f64> = progress.iter().map(|p| p.progress).collect();
            values.sort_by(f64::total_cmp);
            assert_eq!(values, vec![1.0, 2.0, 3.0, 4.0]);
            assert!(progress.iter().all(|p| p.progress_token == token));
            assert!(progress.iter().all(|p| p.total == Some(steps as f64)));
        }
        client_a.cancel().await.unwrap();
        client_b.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_is_broadcast_to_every_session_on_the_link() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let a = Recorder::new("a");
        let b = Recorder::new("b");
        let client_a = proxy.connect("everything", a.clone()).await;
        let client_b = proxy.connect("everything", b.clone()).await;

        let result = client_a
            .call_tool(tool_call("toggle-simulated-logging", json!({})))
            .await
            .unwrap();
        assert!(text_of(&result).contains("Started simulated"), "{result:?}");
        for recorder in [&a, &b] {
            assert!(
                recorder
                    .wait_for(Duration::from_secs(10), |r| !r
                        .logs
                        .lock()
                        .unwrap()
                        .is_empty())
                    .await,
                "{} got no logging notification",
                recorder.name
            );
        }
        let log = a.logs.lock().unwrap()[0].clone();
        assert!(log.data.to_string().contains("message"), "{log:?}");
        client_a
            .call_tool(tool_call("toggle-simulated-logging", json!({})))
            .await
            .unwrap();
        client_a.cancel().await.unwrap();
        client_b.cancel().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_is_relayed_to_the_session_with_the_call_in_flight() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let asker = Recorder::new("asker").with_sampling();
        let idle = Recorder::new("idle").with_sampling();
        let no_sampling = Recorder::new("plain");
        let client = proxy.connect("everything", asker.clone()).await;
        let idle_client = proxy.connect("everything", idle.clone()).await;
        let plain_client = proxy.connect("everything", no_sampling.clone()).await;

        // The link advertised sampling, so the server offers its sampling tool.
        let tools = client.list_all_tools().await.unwrap();
        assert!(
            tools
                .iter()
                .any(|tool| tool.name == "trigger-sampling-request")
        );

        let prompt = "the-unique-prompt-4711";
        let result = client
            .call_tool(tool_call(
                "trigger-sampling-request",
                json!({ "prompt": prompt, "maxTokens": 10 }),
            ))
            .await
            .unwrap();
        let text = text_of(&result);
        assert!(text.contains("sampled by asker"), "{text}");
        assert!(text.contains(prompt), "{text}");
        assert_eq!(asker.sampled.lock().unwrap().len(), 1);
        assert!(idle.sampled.lock().unwrap().is_empty());

        // A client that did not declare sampling is not asked; the server's request fails.
        let result = plain_client
            .call_tool(tool_call(
                "trigger-sampling-request",
                json!({ "prompt": "x" }),
            ))
            .await;
        match result {
            Ok(result) => assert_eq!(result.is_error, Some(true), "{result:?}"),
            Err(error) => assert!(error.to_string().contains("sampling"), "{error}"),
        }
        for client in [client, idle_client, plain_client] {
            client.cancel().await.unwrap();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_changed_is_broadcast() {
    within(60, async {
        let proxy = Proxy::start(everything_server()).await;
        let a = Recorder::new("a");
        let b = Recorder::new("b");
        let client_a = proxy.connect("everything", a.clone()).await;
        let client_b = proxy.connect("everything", b.clone()).await;

        // Registering a session resource makes the server send resources/list_changed.
        let result = client_a
            .call_tool(tool_call(
                "gzip-file-as-resource",
                json!({ "name": "hello.txt.gz", "data": "data:text/plain;base64,aGVsbG8=" }),
            ))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        for recorder in [&a, &b] {
            assert!(
                recorder
                    .wait_for(Duration::from_secs(10), |r| r
                        .resource_list_changed
                        .load(Ordering::SeqCst)
                        > 0)
                    .await,
                "{} got no resources/list_changed",
                recorder.name
            );
        }
        let resources = client_b.list_all_resources().await.unwrap();
        assert!(
            resources
                .iter()
                .any(|resource| resource.uri.contains("hello.txt.gz")),
            "{resources:?}"
        );
        client_a.cancel().await.unwrap();
        client_b.cancel().await.unwrap();
    })
    .await;
}
