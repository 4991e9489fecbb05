use std::sync::Arc;

use llm::{CompletionRequest, EnvKeys, LlmError, LlmRouter, RouterOptions, Tier};

use crate::support::{answer, openai, openai_reply, serve};

#[tokio::test]
async fn tiers_route_to_their_providers_and_preference_switches_at_run_time() {
    let fast = serve(|_, _| async { openai_reply("fast") }).await;
    let heavy = serve(|_, _| async { openai_reply("heavy") }).await;
    let spare = serve(|_, _| async { openai_reply("spare") }).await;
    let mut f = openai("fast-1", &fast.url);
    f.tier = Some(Tier::Fast);
    let mut h = openai("heavy-1", &heavy.url);
    h.tier = Some(Tier::Heavy);
    let s = openai("spare", &spare.url); // no tier: serves both, after the tier's own
    let router = LlmRouter::new(vec![h, s, f], Arc::new(EnvKeys), RouterOptions::default());
    let names = |tier| -> Vec<String> {
        router
            .candidates(tier)
            .iter()
            .map(|p| p.name().to_owned())
            .collect()
    };
    assert_eq!(names(Tier::Fast), ["spare", "fast-1"]);
    assert_eq!(names(Tier::Heavy), ["heavy-1", "spare"]);
    assert_eq!(answer(&router, Tier::Heavy).await.text, "heavy");
    assert_eq!(answer(&router, Tier::Fast).await.text, "spare");

    router.set_preferred(Tier::Fast, "fast-1").expect("known");
    assert_eq!(answer(&router, Tier::Fast).await.text, "fast");
    router.set_preferred(Tier::Heavy, "spare").expect("known");
    assert_eq!(answer(&router, Tier::Heavy).await.text, "spare");
    let status = router.status();
    assert_eq!(
        status.preferred.get(&Tier::Fast).map(String::as_str),
        Some("fast-1")
    );
    let json = serde_json::to_value(&status).expect("json");
    assert_eq!(json["preferred"]["heavy"], "spare");
    assert_eq!(json["providers"][0]["type"], "openai-compatible");
    assert_eq!(json["providers"][0]["state"], "closed");
    router.clear_preferred(Tier::Fast);
    assert_eq!(names(Tier::Fast), ["spare", "fast-1"]);

    let err = router
        .set_preferred(Tier::Fast, "gpt-9")
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "no LLM provider named \"gpt-9\"; configured: heavy-1, spare, fast-1"
    );
}

#[tokio::test]
async fn a_tier_nobody_serves_falls_back_to_every_provider() {
    let only = serve(|_, _| async { openai_reply("only") }).await;
    let mut config = openai("only-fast", &only.url);
    config.tier = Some(Tier::Fast);
    let router = LlmRouter::new(vec![config], Arc::new(EnvKeys), RouterOptions::default());
    let done = router
        .complete(Tier::Heavy, &CompletionRequest::new("x", 5))
        .await
        .expect("answers");
    assert_eq!(done.provider, "only-fast");
}

#[tokio::test]
async fn no_providers_is_a_clear_error() {
    let router = LlmRouter::new(Vec::new(), Arc::new(EnvKeys), RouterOptions::default());
    let err = router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect_err("none");
    assert_eq!(err, LlmError::NoProviders);
    assert_eq!(
        err.to_string(),
        "no LLM provider is configured (add one under llm: in config.yaml)"
    );
}

#[tokio::test]
async fn from_home_reads_config_yaml() {
    let server = serve(|_, _| async { openai_reply("configured") }).await;
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("config.yaml"),
        format!(
            "llm:\n  - name: local\n    type: openai-compatible\n    baseUrl: {}/v1\n    model: m\n",
            server.url
        ),
    )
    .expect("write");
    let router = LlmRouter::from_home(home.path(), Arc::new(EnvKeys)).expect("config");
    let done = router
        .complete(Tier::Fast, &CompletionRequest::new("x", 5))
        .await
        .expect("answer");
    assert_eq!(done.text, "configured");
    assert_eq!(server.requests()[0].body["model"], "m");
}
