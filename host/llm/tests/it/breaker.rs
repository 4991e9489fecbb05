//! The circuit breaker over real HTTP, with the breaker's clock moved by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use llm::{BreakerState, CompletionRequest, EnvKeys, LlmRouter, ManualClock, RouterOptions, Tier};

use crate::support::{openai, openai_error, openai_reply, serve};

#[tokio::test]
async fn a_failing_provider_is_left_alone_then_probed_and_recovers() {
    let healthy = Arc::new(AtomicBool::new(false));
    let server = {
        let healthy = healthy.clone();
        serve(move |_, _| {
            let ok = healthy.load(Ordering::SeqCst);
            async move {
                if ok {
                    openai_reply("back")
                } else {
                    openai_error(500, "server_error", "down")
                }
            }
        })
        .await
    };
    let clock = Arc::new(ManualClock::default());
    let mut config = openai("flaky", &server.url);
    config.failure_threshold = 3;
    config.cooldown_ms = 10_000;
    let router = LlmRouter::new(
        vec![config],
        Arc::new(EnvKeys),
        RouterOptions {
            rounds: 1,
            clock: clock.clone(),
            ..RouterOptions::default()
        },
    );
    let ask = CompletionRequest::new("x", 5);
    for _ in 0..3 {
        router.complete(Tier::Fast, &ask).await.expect_err("down");
    }
    assert_eq!(server.count(), 3);
    let status = &router.status().providers[0];
    assert_eq!(
        (status.state, status.consecutive_failures),
        (BreakerState::Open, 3)
    );

    // Open: turned away without a request.
    for _ in 0..5 {
        let err = router.complete(Tier::Fast, &ask).await.expect_err("open");
        assert!(
            err.to_string()
                .contains("flaky: circuit open after 3 failures in a row (next probe in 10 s)"),
            "{err}"
        );
    }
    assert_eq!(server.count(), 3, "a dead provider is not hammered");

    // After the cool-down one probe goes out; it fails, so the breaker opens again.
    clock.advance(Duration::from_secs(10));
    assert_eq!(router.status().providers[0].state, BreakerState::HalfOpen);
    router
        .complete(Tier::Fast, &ask)
        .await
        .expect_err("probe fails");
    assert_eq!(server.count(), 4);
    assert_eq!(router.status().providers[0].state, BreakerState::Open);
    router
        .complete(Tier::Fast, &ask)
        .await
        .expect_err("open again");
    assert_eq!(server.count(), 4);

    // The next probe succeeds and closes it.
    healthy.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        router.complete(Tier::Fast, &ask).await.expect("probe").text,
        "back"
    );
    let status = &router.status().providers[0];
    assert_eq!(
        (status.state, status.consecutive_failures),
        (BreakerState::Closed, 0)
    );
    for _ in 0..3 {
        router.complete(Tier::Fast, &ask).await.expect("closed");
    }
    assert_eq!(server.count(), 8);
}

#[tokio::test]
async fn an_open_breaker_sends_traffic_to_the_next_provider() {
    let down = serve(|_, _| async { openai_error(502, "bad_gateway", "upstream") }).await;
    let up = serve(|_, _| async { openai_reply("fine") }).await;
    let mut first = openai("down", &down.url);
    first.failure_threshold = 2;
    let router = LlmRouter::new(
        vec![first, openai("up", &up.url)],
        Arc::new(EnvKeys),
        RouterOptions {
            clock: Arc::new(ManualClock::default()),
            ..RouterOptions::default()
        },
    );
    for _ in 0..6 {
        let done = router
            .complete(Tier::Fast, &CompletionRequest::new("x", 5))
            .await
            .expect("up answers");
        assert_eq!(done.provider, "up");
    }
    assert_eq!(
        down.count(),
        2,
        "asked until its breaker opened, then skipped"
    );
    assert_eq!(up.count(), 6);
}

#[tokio::test]
async fn concurrent_requests_respect_the_provider_bound() {
    let server = serve(|_, _| async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        openai_reply("slow")
    })
    .await;
    let mut config = openai("bounded", &server.url);
    config.max_concurrent = 3;
    let router = Arc::new(LlmRouter::new(
        vec![config],
        Arc::new(EnvKeys),
        RouterOptions::default(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            router
                .complete(Tier::Fast, &CompletionRequest::new("x", 5))
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = &router.status().providers[0];
    assert!(status.in_flight <= 3, "{status:?}");
    for task in tasks {
        task.await.expect("task").expect("answer");
    }
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert_eq!(max, 3, "at most 3 at once, and the bound was reached");
    assert_eq!(server.count(), 12);
    assert_eq!(router.concurrency(Tier::Fast), 3);
}
