//! https providers: a loopback server with a certificate of a test CA, trusted through the
//! provider's `caFile` (the system store does not know it); what happens when the
//! certificate is not trusted or names another host; `caFile` mistakes in `config.yaml`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llm::{
    CompletionRequest, EnvKeys, LlmRouter, ProviderConfig, RouterOptions, Tier, parse_providers,
};
use serde_json::json;

use crate::support::{
    FixedKeys, TestCa, answer, anthropic, anthropic_reply, openai, openai_reply, serve, serve_tls,
};

fn router(configs: Vec<ProviderConfig>) -> LlmRouter {
    LlmRouter::new(
        configs,
        Arc::new(EnvKeys),
        RouterOptions {
            backoff: Duration::from_millis(20),
            ..RouterOptions::default()
        },
    )
}

#[tokio::test]
async fn anthropic_over_https_trusts_the_ca_file() {
    let ca = TestCa::new("mcpctl test CA");
    let server = serve_tls(&ca.identity(&["localhost"]), |_, _| async {
        anthropic_reply("Over TLS.")
    })
    .await;
    assert!(
        server.url.starts_with("https://localhost:"),
        "{}",
        server.url
    );
    let mut config = anthropic("claude", &server.url);
    config.ca_file = Some(ca.file());
    config.api_key_secret = Some("llm-keys".into());
    config.api_key_key = Some("ANTHROPIC_API_KEY".into());
    let router = LlmRouter::new(
        vec![config],
        FixedKeys::with("llm-keys", "ANTHROPIC_API_KEY", "sk-ant-tls"),
        RouterOptions::default(),
    );
    let done = router
        .complete(Tier::Heavy, &CompletionRequest::new("Hello?", 64))
        .await
        .expect("an answer over https");
    assert_eq!(done.text, "Over TLS.");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-tls"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        sent.body["messages"],
        json!([{"role": "user", "content": "Hello?"}])
    );
}

#[tokio::test]
async fn openai_compatible_over_https_reuses_its_connection() {
    let ca = TestCa::new("mcpctl test CA");
    let server = serve_tls(
        &ca.identity(&["localhost", "127.0.0.1"]),
        |r, n| async move { openai_reply(&format!("answer {n} to {}", r.prompt())) },
    )
    .await;
    let mut config = openai("gateway", &format!("{}/v1", server.url));
    config.ca_file = Some(ca.file());
    let router = router(vec![config]);
    for n in 0..3 {
        let done = router
            .complete(Tier::Fast, &CompletionRequest::new(format!("q{n}"), 8))
            .await
            .expect("an answer");
        assert_eq!(done.text, format!("answer {n} to q{n}"));
    }
    assert_eq!(server.count(), 3);
    assert_eq!(
        server.handshakes(),
        1,
        "one TLS connection serves the three requests"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path == "/v1/chat/completions"),
        "{:?}",
        server.requests()
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_over_and_says_why() {
    let ca = TestCa::new("a CA nobody trusts");
    let untrusted = serve_tls(&ca.identity(&["localhost"]), |_, _| async {
        openai_reply("must not be read")
    })
    .await;
    let good = serve(|_, _| async { openai_reply("from plain http") }).await;
    let router = router(vec![
        openai("untrusted", &untrusted.url),
        openai("good", &good.url),
    ]);
    let started = Instant::now();
    assert_eq!(answer(&router, Tier::Fast).await.provider, "good");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        untrusted.count(),
        0,
        "no request reaches an untrusted server"
    );
    let status = &router.status().providers[0];
    let error = status
        .last_error
        .as_ref()
        .expect("an error")
        .message
        .clone();
    assert!(
        error.contains("cannot connect to https://localhost:"),
        "{error}"
    );
    assert!(error.contains("certificate"), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let ca = TestCa::new("mcpctl test CA");
    let server = serve_tls(&ca.identity(&["models.example.internal"]), |_, _| async {
        openai_reply("must not be read")
    })
    .await;
    let mut config = openai("misnamed", &server.url);
    config.ca_file = Some(ca.file());
    let router = router(vec![config]);
    let error = router
        .complete(Tier::Fast, &CompletionRequest::new("Hi", 8))
        .await
        .expect_err("the name does not match")
        .to_string();
    assert!(
        error.contains(r#"certificate not valid for name "localhost""#),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_provider_whose_tls_cannot_be_set_up_is_unusable_without_a_request() {
    let good = serve(|_, _| async { openai_reply("plain http") }).await;
    let mut broken = anthropic("hosted", "https://localhost:9");
    broken.ca_file = Some("/nonexistent/ca.pem".into());
    let router = router(vec![broken, openai("good", &good.url)]);
    assert_eq!(answer(&router, Tier::Fast).await.provider, "good");
    let hosted = &router.status().providers[0];
    assert_eq!(hosted.requests, 0);
    let unusable = hosted.unusable.as_deref().unwrap_or_default();
    assert!(
        unusable.starts_with("cannot read caFile /nonexistent/ca.pem: "),
        "{hosted:?}"
    );
}

fn config_with_ca(ca_file: &str) -> String {
    format!(
        "llm:\n  - name: private\n    type: openai-compatible\n    baseUrl: https://models.internal/v1\n    model: m\n    caFile: {ca_file}\n"
    )
}

#[test]
fn ca_file_mistakes_are_named_with_their_field() {
    let ca = TestCa::new("mcpctl test CA");
    let providers = parse_providers(&config_with_ca(&ca.file()), "config.yaml").expect("parses");
    assert_eq!(providers[0].ca_file.as_deref(), Some(ca.file().as_str()));

    let missing = parse_providers(&config_with_ca("/nonexistent/ca.pem"), "config.yaml")
        .expect_err("missing file")
        .to_string();
    assert!(
        missing.starts_with("config.yaml: llm[0].caFile: cannot read caFile /nonexistent/ca.pem: "),
        "{missing}"
    );

    let not_pem = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(not_pem.path(), "just some text\n").expect("write");
    let path = not_pem.path().display().to_string();
    let empty = parse_providers(&config_with_ca(&path), "config.yaml")
        .expect_err("no certificate")
        .to_string();
    assert_eq!(
        empty,
        format!("config.yaml: llm[0].caFile: caFile {path} holds no PEM certificate")
    );

    let relative = parse_providers(&config_with_ca("certs/ca.pem"), "config.yaml")
        .expect_err("relative")
        .to_string();
    assert_eq!(
        relative,
        "config.yaml: llm[0].caFile: \"certs/ca.pem\" must be an absolute path"
    );
}
