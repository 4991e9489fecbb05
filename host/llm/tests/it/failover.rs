//! Failure injection: each failure ends in failover to the next provider or in a clear error,
//! and never in a hang.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use llm::{
    CompletionRequest, EnvKeys, LlmError, LlmRouter, ProviderConfig, ProviderError, RouterOptions,
    Tier,
};

use crate::support::{
    answer, anthropic, anthropic_error, anthropic_reply, hanging_url, openai, openai_error,
    openai_reply, refused_url, serve,
};

fn make_router(configs: Vec<ProviderConfig>) -> LlmRouter {
    LlmRouter::new(
        configs,
        Arc::new(EnvKeys),
        RouterOptions {
            backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_millis(1_500),
            ..RouterOptions::default()
        },
    )
}

fn ask() -> CompletionRequest {
    CompletionRequest::new("Summarize.", 20)
}

#[tokio::test]
async fn a_refused_connection_fails_over() {
    let good = serve(|_, _| async { openai_reply("from the second") }).await;
    let router = make_router(vec![
        openai("dead", &refused_url()),
        openai("good", &good.url),
    ]);
    let done = answer(&router, Tier::Fast).await;
    assert_eq!(
        (done.provider.as_str(), done.text.as_str()),
        ("good", "from the second")
    );
    let status = router.status();
    let dead = &status.providers[0];
    assert_eq!(dead.reachable, Some(false));
    assert_eq!((dead.requests, dead.errors), (1, 1));
    let message = &dead.last_error.as_ref().expect("last error").message;
    assert!(
        message.starts_with("cannot connect to http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("refused"), "{message}");
    assert_eq!(status.providers[1].reachable, Some(true));
    assert!(status.providers[1].latency_p50_ms.is_some());
}

#[tokio::test]
async fn a_hanging_server_times_out_and_fails_over() {
    let (hang, _task) = hanging_url().await;
    let good = serve(|_, _| async { anthropic_reply("rescued") }).await;
    let mut slow = openai("hang", &hang);
    slow.timeout_ms = 300;
    let router = make_router(vec![slow, anthropic("good", &good.url)]);
    let started = Instant::now();
    let done = answer(&router, Tier::Fast).await;
    assert_eq!(done.provider, "good");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let hang_status = &router.status().providers[0];
    let message = &hang_status.last_error.as_ref().expect("error").message;
    assert!(
        message.contains("no answer from") && message.contains("within 300 ms"),
        "{message}"
    );
}

#[tokio::test]
async fn server_errors_fail_over_in_both_formats() {
    let broken =
        serve(|_, _| async { openai_error(500, "server_error", "The server had an error") }).await;
    let overloaded =
        serve(|_, _| async { anthropic_error(529, "overloaded_error", "Overloaded") }).await;
    let good = serve(|_, _| async { openai_reply("third time") }).await;
    let router = make_router(vec![
        openai("broken", &broken.url),
        anthropic("overloaded", &overloaded.url),
        openai("good", &good.url),
    ]);
    let done = answer(&router, Tier::Fast).await;
    assert_eq!(done.provider, "good");
    let status = router.status();
    assert_eq!(
        status.providers[0].last_error.as_ref().expect("e").message,
        "HTTP 500 (server error): server_error: The server had an error"
    );
    assert_eq!(
        status.providers[1].last_error.as_ref().expect("e").message,
        "HTTP 529 (server error): overloaded_error: Overloaded"
    );
    assert_eq!(
        status.providers[1].reachable,
        Some(true),
        "it answered, badly"
    );
}

#[tokio::test]
async fn rate_limits_honour_retry_after_within_the_bound() {
    // One provider: 429 with Retry-After: 1, then a success. The router waits ~1 s.
    let limited = serve(|_, n| async move {
        if n == 0 {
            let mut response = anthropic_error(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit",
            );
            response
                .headers_mut()
                .insert("retry-after", "1".parse().expect("header"));
            response
        } else {
            anthropic_reply("after waiting")
        }
    })
    .await;
    let router = make_router(vec![anthropic("limited", &limited.url)]);
    let started = Instant::now();
    let done = answer(&router, Tier::Fast).await;
    let waited = started.elapsed();
    assert_eq!(done.text, "after waiting");
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After honoured: {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    // Retry-After: 3600 is cut to the bound (1.5 s here), and then the error is clear.
    let always = serve(|_, _| async {
        let mut response = openai_error(429, "rate_limit_exceeded", "Rate limit reached");
        response
            .headers_mut()
            .insert("retry-after", "3600".parse().expect("header"));
        response
    })
    .await;
    let router = make_router(vec![openai("always", &always.url)]);
    let started = Instant::now();
    let err = router
        .complete(Tier::Fast, &ask())
        .await
        .expect_err("still limited");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(2_500),
        "bounded wait: {waited:?}"
    );
    assert!(waited >= Duration::from_millis(1_400), "{waited:?}");
    assert_eq!(
        err.to_string(),
        "no fast-tier LLM provider answered: always: HTTP 429 (rate limited, retry after 3600 s): rate_limit_exceeded: Rate limit reached"
    );
    assert_eq!(always.count(), 2, "two rounds");
}

#[tokio::test]
async fn a_rate_limited_provider_hands_over_at_once_when_another_can_answer() {
    let limited = serve(|_, _| async {
        let mut response = openai_error(429, "rate_limit_exceeded", "slow down");
        response
            .headers_mut()
            .insert("retry-after", "30".parse().expect("header"));
        response
    })
    .await;
    let good = serve(|_, _| async { openai_reply("no wait") }).await;
    let router = make_router(vec![
        openai("limited", &limited.url),
        openai("good", &good.url),
    ]);
    let started = Instant::now();
    let done = answer(&router, Tier::Fast).await;
    assert_eq!(done.provider, "good");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn malformed_answers_fail_over_or_say_what_is_wrong() {
    let garbage = serve(|_, _| async { (StatusCode::OK, "{\"choices\": [").into_response() }).await;
    let empty = serve(|_, _| async {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({"choices": []})),
        )
            .into_response()
    })
    .await;
    let good = serve(|_, _| async { openai_reply("valid") }).await;
    let router = make_router(vec![
        openai("garbage", &garbage.url),
        openai("empty", &empty.url),
        openai("good", &good.url),
    ]);
    assert_eq!(answer(&router, Tier::Fast).await.provider, "good");

    let router = router_alone(&garbage.url);
    let err = router
        .complete(Tier::Fast, &ask())
        .await
        .expect_err("malformed");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "no fast-tier LLM provider answered: only: malformed answer: EOF while parsing"
        ),
        "{text}"
    );
    match err {
        LlmError::AllFailed { failures, .. } => {
            assert!(matches!(failures[0].1, ProviderError::Malformed(_)));
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn router_alone(url: &str) -> LlmRouter {
    make_router(vec![openai("only", url)])
}

#[tokio::test]
async fn a_rejected_request_is_not_sent_elsewhere() {
    let strict = serve(|_, _| async {
        openai_error(400, "invalid_request_error", "max_tokens is too large")
    })
    .await;
    let other = serve(|_, _| async { openai_reply("never asked") }).await;
    let router = make_router(vec![
        openai("strict", &strict.url),
        openai("other", &other.url),
    ]);
    let err = router
        .complete(Tier::Fast, &ask())
        .await
        .expect_err("rejected");
    assert_eq!(
        err.to_string(),
        "LLM provider strict rejected the request: HTTP 400 (request rejected): invalid_request_error: max_tokens is too large"
    );
    assert_eq!(other.count(), 0);
    assert_eq!(
        router.status().providers[0].state,
        llm::BreakerState::Closed,
        "not the provider's fault"
    );
}

#[tokio::test]
async fn when_everything_fails_the_error_names_each_provider() {
    let (hang, _task) = hanging_url().await;
    let mut slow = openai("hang", &hang);
    slow.timeout_ms = 200;
    let broken = serve(|_, _| async { openai_error(503, "unavailable", "try later") }).await;
    let router = make_router(vec![
        openai("dead", &refused_url()),
        slow,
        openai("broken", &broken.url),
    ]);
    let started = Instant::now();
    let err = router
        .complete(Tier::Fast, &ask())
        .await
        .expect_err("all fail");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    for fragment in [
        "no fast-tier LLM provider answered: ",
        "dead: cannot connect to",
        "hang: no answer from",
        "broken: HTTP 503 (server error): unavailable: try later",
    ] {
        assert!(text.contains(fragment), "{fragment} in {text}");
    }
    assert!(!text.contains('\n'));
}
