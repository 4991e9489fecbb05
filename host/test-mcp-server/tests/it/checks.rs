//! Checks shared by the STDIO, HTTP and container tests: each takes a connected client.
#![allow(deprecated)] // logging levels are deprecated by SEP-2577, and tested here

use std::time::Duration;

use rmcp::model::{GetPromptRequestParams, LoggingLevel, ReadResourceRequestParams};
use serde_json::json;

use crate::client::{Client, call_text, sampling_answer, try_call};

pub async fn echo_and_add(client: &Client) {
    assert_eq!(
        call_text(client, "echo", json!({"text": "hello"})).await,
        "hello"
    );
    assert_eq!(call_text(client, "add", json!({"a": 2, "b": 3})).await, "5");
    assert_eq!(
        call_text(client, "add", json!({"a": 1.5, "b": -4})).await,
        "-2.5"
    );
}

pub async fn tool_list(client: &Client) {
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "add", "big", "crash", "echo", "env", "log", "progress", "sample", "sleep", "whoami"
        ]
    );
}

pub async fn resource_and_prompt(client: &Client) {
    let resources = client.list_all_resources().await.unwrap();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].uri, "test://static");
    let read = client
        .read_resource(ReadResourceRequestParams::new("test://static"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&read.contents).unwrap()[0]["text"],
        "static resource"
    );

    let prompt = client
        .get_prompt(
            GetPromptRequestParams::new("greeting")
                .with_arguments(json!({"name": "Ada"}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&prompt.messages).unwrap()[0]["content"]["text"],
        "Hello, Ada!"
    );
}

pub async fn progress_notifications(client: &Client) {
    let answer = call_text(client, "progress", json!({"steps": 3, "delay_ms": 10})).await;
    assert_eq!(answer, "done");
    // Notifications and the result travel in order, but are handled concurrently.
    let progress = wait_until(|| {
        let progress = client.service().progress.lock().unwrap().clone();
        (progress.len() >= 3).then_some(progress)
    })
    .await;
    let steps: Vec<(f64, Option<f64>)> = progress.iter().map(|p| (p.progress, p.total)).collect();
    assert_eq!(
        steps,
        [(1.0, Some(3.0)), (2.0, Some(3.0)), (3.0, Some(3.0))]
    );
    assert_eq!(progress[0].message.as_deref(), Some("step 1 of 3"));
}

pub async fn logging_notification(client: &Client) {
    let answer = call_text(
        client,
        "log",
        json!({"level": "warning", "message": "disk almost full"}),
    )
    .await;
    assert_eq!(answer, "logged");
    let logs = wait_until(|| {
        let logs = client.service().logs.lock().unwrap().clone();
        (!logs.is_empty()).then_some(logs)
    })
    .await;
    assert_eq!(logs[0].level, LoggingLevel::Warning);
    assert_eq!(logs[0].data, json!("disk almost full"));
    assert_eq!(logs[0].logger.as_deref(), Some("mcp-test-server"));
}

pub async fn sampling_relay(client: &Client) {
    let answer = call_text(client, "sample", json!({"prompt": "what is 6 x 7?"})).await;
    assert_eq!(answer, sampling_answer("what is 6 x 7?"));
}

pub async fn sleep_and_big(client: &Client) {
    let started = std::time::Instant::now();
    assert_eq!(
        call_text(client, "sleep", json!({"ms": 200})).await,
        "slept 200 ms"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));

    let big = call_text(client, "big", json!({"bytes": 1 << 20})).await;
    assert_eq!(big.len(), 1 << 20);
    let too_big = try_call(client, "big", json!({"bytes": (16 << 20) + 1})).await;
    assert!(too_big.is_err(), "{too_big:?}");
}

async fn wait_until<T>(mut ready: impl FnMut() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(value) = ready() {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the awaited notifications never came")
}
