//! Each wire format exactly: the request (path, headers, body) and the answer's fields.

use std::sync::Arc;

use llm::{CompletionRequest, EnvKeys, LlmRouter, RouterOptions, Tier};
use serde_json::json;

use crate::support::{FixedKeys, anthropic, anthropic_reply, openai, openai_reply, serve};

#[tokio::test]
async fn openai_compatible_speaks_chat_completions() {
    let server = serve(|_, _| async { openai_reply("A short summary.") }).await;
    let mut config = openai("vllm", &format!("{}/v1", server.url));
    config.api_key_secret = Some("llm-keys".into());
    config.api_key_key = Some("OPENAI_API_KEY".into());
    config.temperature = Some(0.2);
    let router = LlmRouter::new(
        vec![config],
        FixedKeys::with("llm-keys", "OPENAI_API_KEY", "sk-test-openai"),
        RouterOptions::default(),
    );
    let mut request = CompletionRequest::new("Summarize this.", 150);
    request.system = Some("Be brief.".into());
    let done = router.complete(Tier::Fast, &request).await.expect("answer");
    assert_eq!(done.text, "A short summary.");
    assert_eq!(done.provider, "vllm");
    assert_eq!(done.model, "served-model", "the model the server reports");
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!((done.input_tokens, done.output_tokens), (Some(12), Some(5)));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-openai"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Summarize this."}
            ],
            "max_tokens": 150,
            "temperature": 0.2,
            "stream": false
        })
    );
}

#[tokio::test]
async fn anthropic_speaks_the_messages_api() {
    let server = serve(|_, _| async { anthropic_reply("Hello from Claude.") }).await;
    let mut config = anthropic("claude", &server.url);
    config.api_key_secret = Some("llm-keys".into());
    config.api_key_key = Some("ANTHROPIC_API_KEY".into());
    let router = LlmRouter::new(
        vec![config],
        FixedKeys::with("llm-keys", "ANTHROPIC_API_KEY", "sk-ant-test"),
        RouterOptions::default(),
    );
    let mut request = CompletionRequest::new("Hi", 64);
    request.system = Some("You are terse.".into());
    let done = router
        .complete(Tier::Heavy, &request)
        .await
        .expect("answer");
    assert_eq!(done.text, "Hello from Claude.");
    assert_eq!(done.model, "claude-sonnet-4-20250514");
    assert_eq!(done.finish_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        (done.input_tokens, done.output_tokens),
        (Some(10), Some(25))
    );

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-sonnet-4-20250514",
            "max_tokens": 64,
            "system": "You are terse.",
            "messages": [{"role": "user", "content": "Hi"}]
        })
    );
}

#[tokio::test]
async fn a_provider_without_a_key_sends_no_auth_header() {
    let server = serve(|_, _| async { openai_reply("ok") }).await;
    let router = LlmRouter::new(
        vec![openai("local", &server.url)],
        Arc::new(EnvKeys),
        RouterOptions::default(),
    );
    router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect("answer");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/chat/completions");
    assert_eq!(sent.header("authorization"), None);
}

#[tokio::test]
async fn an_environment_key_reaches_the_header() {
    // cargo sets CARGO_PKG_NAME for the test process; it stands in for a key variable.
    let server = serve(|_, _| async { openai_reply("ok") }).await;
    let mut config = openai("env", &server.url);
    config.api_key_env = Some("CARGO_PKG_NAME".into());
    let router = LlmRouter::new(vec![config], Arc::new(EnvKeys), RouterOptions::default());
    router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect("answer");
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer llm")
    );

    let mut config = openai("unset", &server.url);
    config.api_key_env = Some("MCPCTL_TEST_SURELY_UNSET_KEY".into());
    let router = LlmRouter::new(vec![config], Arc::new(EnvKeys), RouterOptions::default());
    let err = router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect_err("no key");
    assert!(
        err.to_string().contains(
            "unset: API key: environment variable MCPCTL_TEST_SURELY_UNSET_KEY is not set"
        ),
        "{err}"
    );
    assert_eq!(server.count(), 1, "no request without the key");
}
