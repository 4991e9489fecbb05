//! Keys reach the header and nothing else: not Debug output, errors, status or logs.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use llm::{
    ApiKey, CompletionRequest, KeyError, KeyResolver, KeySource, LlmRouter, McpdSecrets,
    RouterOptions, Tier,
};
use serde_json::json;

use crate::support::{FixedKeys, anthropic, openai, openai_error, serve};

const KEY: &str = "sk-ant-api03-VERYSECRET-0123456789";

#[tokio::test]
async fn keys_never_show_in_debug_errors_or_status() {
    // A provider that echoes the key in its error, as some services do.
    let echo = serve(|request, _| async move {
        let key = request.header("x-api-key").unwrap_or_default().to_owned();
        crate::support::anthropic_error(
            401,
            "authentication_error",
            &format!("invalid x-api-key {key}"),
        )
    })
    .await;
    let mut config = anthropic("claude", &echo.url);
    config.api_key_secret = Some("llm-keys".into());
    config.api_key_key = Some("ANTHROPIC_API_KEY".into());
    let router = LlmRouter::new(
        vec![config],
        FixedKeys::with("llm-keys", "ANTHROPIC_API_KEY", KEY),
        RouterOptions::default(),
    );
    let err = router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect_err("refused");
    assert_eq!(
        echo.requests()[0].header("x-api-key"),
        Some(KEY),
        "the key was sent"
    );
    let text = err.to_string();
    assert!(
        text.contains("HTTP 401 (key refused; check key ANTHROPIC_API_KEY of mcpd secret llm-keys): authentication_error: invalid x-api-key ****"),
        "{text}"
    );
    let status = serde_json::to_string(&router.status()).expect("json");
    for shown in [
        text,
        format!("{err:?}"),
        format!("{router:?}"),
        status.clone(),
    ] {
        assert!(!shown.contains("VERYSECRET"), "{shown}");
    }
    assert!(
        status.contains("\"keySource\":\"key ANTHROPIC_API_KEY of mcpd secret llm-keys\""),
        "{status}"
    );
    assert_eq!(format!("{:?}", ApiKey::new(KEY)), "ApiKey(****)");
}

#[tokio::test]
async fn mcpd_secrets_are_read_with_reveal() {
    let mcpd = serve(|request, _| async move {
        match request.path.as_str() {
            "/api/v1/secrets/llm-keys" => Json(json!({
                "kind": "secret",
                "name": "llm-keys",
                "data": {"ANTHROPIC_API_KEY": KEY},
                "resourceVersion": 1
            }))
            .into_response(),
            _ => (
                StatusCode::NOT_FOUND,
                Json(json!({"error": {"status": 404, "reason": "NotFound", "message": "secret \"other\" not found"}})),
            )
                .into_response(),
        }
    })
    .await;
    let secrets = McpdSecrets::new(&mcpd.url);
    let source = KeySource::Secret {
        secret: "llm-keys".into(),
        key: "ANTHROPIC_API_KEY".into(),
    };
    let key = secrets
        .resolve(&source)
        .await
        .expect("resolved")
        .expect("a key");
    assert_eq!(key.expose(), KEY);
    let sent = &mcpd.requests()[0];
    assert_eq!(sent.path, "/api/v1/secrets/llm-keys");

    let missing_key = KeySource::Secret {
        secret: "llm-keys".into(),
        key: "OPENAI_API_KEY".into(),
    };
    assert_eq!(
        secrets
            .resolve(&missing_key)
            .await
            .expect_err("no such key"),
        KeyError::KeyMissing {
            secret: "llm-keys".into(),
            key: "OPENAI_API_KEY".into()
        }
    );
    let missing_secret = KeySource::Secret {
        secret: "other".into(),
        key: "K".into(),
    };
    let err = secrets
        .resolve(&missing_secret)
        .await
        .expect_err("no secret");
    assert_eq!(
        err.to_string(),
        "cannot read mcpd secret other: mcpd answered 404 Not Found: secret \"other\" not found"
    );
    let down = McpdSecrets::new(&crate::support::refused_url());
    let err = down
        .resolve(&source)
        .await
        .expect_err("mcpd down")
        .to_string();
    assert!(
        err.starts_with("cannot read mcpd secret llm-keys: mcpd at http://127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn the_reveal_query_is_sent() {
    // axum's fallback sees the path only; check the query with a dedicated route.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/api/v1/secrets/{name}",
        axum::routing::get(
            |axum::extract::Path(name): axum::extract::Path<String>,
             axum::extract::RawQuery(query): axum::extract::RawQuery| async move {
                let data = if query.as_deref() == Some("reveal=true") {
                    json!({"K": "revealed"})
                } else {
                    json!({"K": "********"})
                };
                Json(json!({"kind": "secret", "name": name, "data": data}))
            },
        ),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let key = McpdSecrets::new(&url)
        .resolve(&KeySource::Secret {
            secret: "s".into(),
            key: "K".into(),
        })
        .await
        .expect("resolved")
        .expect("key");
    assert_eq!(key.expose(), "revealed");
    task.abort();
}

#[tokio::test]
async fn an_auth_failure_drops_the_cached_key() {
    let server = serve(|request, _| async move {
        if request.header("authorization") == Some("Bearer new-key") {
            crate::support::openai_reply("ok")
        } else {
            openai_error(401, "invalid_api_key", "Incorrect API key provided")
        }
    })
    .await;
    #[derive(Debug)]
    struct Rotating(std::sync::atomic::AtomicUsize);
    impl KeyResolver for Rotating {
        fn resolve<'a>(
            &'a self,
            _: &'a KeySource,
        ) -> futures_util::future::BoxFuture<'a, Result<Option<ApiKey>, KeyError>> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                Ok(Some(ApiKey::new(if n == 0 {
                    "old-key"
                } else {
                    "new-key"
                })))
            })
        }
    }
    let mut config = openai("rotated", &server.url);
    config.api_key_env = Some("UNUSED".into());
    let router = LlmRouter::new(
        vec![config],
        Arc::new(Rotating(Default::default())),
        RouterOptions {
            rounds: 1,
            ..RouterOptions::default()
        },
    );
    let ask = CompletionRequest::new("x", 5);
    router
        .complete(Tier::Fast, &ask)
        .await
        .expect_err("old key refused");
    assert_eq!(
        router
            .complete(Tier::Fast, &ask)
            .await
            .expect("new key")
            .text,
        "ok"
    );
}
