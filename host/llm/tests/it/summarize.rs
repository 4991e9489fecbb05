//! summarize-tree against loopback providers: the tree's shape, concurrency within the
//! provider's bound, and the extractive fallback when there is no provider or it fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llm::{EnvKeys, LlmRouter, Method, RouterOptions, Section, SummarizeOptions, summarize_tree};

use crate::support::{openai, openai_error, openai_reply, refused_url, serve};

fn sections(n: usize) -> Vec<Section> {
    (0..n)
        .map(|i| Section {
            id: format!("s{i}"),
            title: format!("Part {i}"),
            text: format!("Part {i} explains topic {i}. It has details.\n\nMore about {i}."),
        })
        .collect()
}

/// Answers "summary of <title>" for sections and "overview" for groups, after `delay`.
async fn summarizer(delay_ms: u64) -> crate::support::Server {
    serve(move |request, _| async move {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let prompt = request.prompt();
        let text = match prompt.split('"').nth(1) {
            Some(title) if prompt.starts_with("Summarize the section titled") => {
                format!("summary of {title}")
            }
            _ => format!("overview of {} summaries", prompt.matches("\n- ").count()),
        };
        openai_reply(&text)
    })
    .await
}

#[tokio::test]
async fn sections_then_groups_are_summarized_side_by_side() {
    let server = summarizer(50).await;
    let mut config = openai("local", &server.url);
    config.max_concurrent = 4;
    let router = LlmRouter::new(vec![config], Arc::new(EnvKeys), RouterOptions::default());
    let options = SummarizeOptions {
        max_tokens: 120,
        max_depth: 2,
        group_size: 4,
        ..SummarizeOptions::default()
    };
    let started = Instant::now();
    let tree = summarize_tree(Some(&router), &sections(12), &options).await;
    let wall = started.elapsed();

    assert_eq!(tree.levels.len(), 2);
    assert_eq!(tree.levels[0].len(), 12);
    assert_eq!(tree.levels[0][5].id, "s5");
    assert_eq!(tree.levels[0][5].summary, "summary of Part 5");
    assert_eq!(tree.levels[1].len(), 3);
    assert_eq!(tree.levels[1][1].children, ["s4", "s5", "s6", "s7"]);
    assert_eq!(tree.levels[1][1].summary, "overview of 4 summaries");
    assert_eq!(tree.levels[1][1].title, "Part 4 … Part 7");
    assert!(
        tree.summary
            .starts_with("- Part 0 … Part 3: overview of 4 summaries\n"),
        "{}",
        tree.summary
    );
    let meta = &tree.metadata;
    assert_eq!((meta.method, meta.reason.as_deref()), (Method::Llm, None));
    assert_eq!(
        (meta.llm_calls, meta.extractive_nodes, meta.depth),
        (15, 0, 2)
    );
    assert_eq!(meta.providers, ["local"]);

    let first = &server.requests()[0];
    assert_eq!(first.body["max_tokens"], 120);
    assert!(
        first.body["messages"][0]["content"]
            .as_str()
            .is_some_and(|s| s.contains("table of contents"))
    );
    assert_eq!(
        server
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        4,
        "within the bound, and using it"
    );
    // 15 calls of 50 ms: 750 ms one after another; 3 + 1 waves of 4 take ~200 ms.
    assert!(wall < Duration::from_millis(750 / 2), "{wall:?}");
}

#[tokio::test]
async fn without_a_provider_the_summary_is_extractive_and_says_so() {
    let options = SummarizeOptions::default();
    let tree = summarize_tree(None, &sections(3), &options).await;
    assert_eq!(tree.metadata.method, Method::Extractive);
    assert_eq!(
        tree.metadata.reason.as_deref(),
        Some("no LLM provider is configured")
    );
    assert_eq!(tree.metadata.llm_calls, 0);
    assert_eq!(
        tree.levels[0][1].summary,
        "Part 1 explains topic 1. More about 1. It has details."
    );
    assert_eq!(tree.levels[1].len(), 1);
    assert_eq!(tree.summary, tree.levels[1][0].summary);
    assert!(
        tree.summary
            .starts_with("Part 0: Part 0 explains topic 0. Part 1: "),
        "{}",
        tree.summary
    );
    assert_eq!(tree.levels[1][0].title, "Part 0 … Part 2");
    let again = summarize_tree(None, &sections(3), &options).await;
    assert_eq!(tree, again, "deterministic");

    let empty = LlmRouter::new(Vec::new(), Arc::new(EnvKeys), RouterOptions::default());
    let tree = summarize_tree(Some(&empty), &sections(1), &options).await;
    assert_eq!(tree.metadata.method, Method::Extractive);
    assert_eq!(tree.levels.len(), 1, "one section needs no group level");
}

#[tokio::test]
async fn a_failing_provider_falls_back_and_the_reason_is_kept() {
    let mut config = openai("dead", &refused_url());
    config.failure_threshold = 2;
    let router = LlmRouter::new(
        vec![config],
        Arc::new(EnvKeys),
        RouterOptions {
            backoff: Duration::from_millis(10),
            ..RouterOptions::default()
        },
    );
    let started = Instant::now();
    let tree = summarize_tree(Some(&router), &sections(20), &SummarizeOptions::default()).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(tree.metadata.method, Method::Extractive);
    let reason = tree.metadata.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("LLM call failed: no fast-tier LLM provider answered: dead: "),
        "{reason}"
    );
    assert!(
        tree.levels[0]
            .iter()
            .all(|n| n.method == Method::Extractive)
    );
    assert!(
        router.status().providers[0].requests <= 6,
        "the breaker stopped the calls"
    );
}

#[tokio::test]
async fn some_failed_calls_make_a_mixed_tree() {
    let server = serve(|request, _| async move {
        if request.prompt().contains("Part 1\"") {
            openai_error(400, "invalid_request_error", "content filtered")
        } else {
            openai_reply("fine")
        }
    })
    .await;
    let router = LlmRouter::new(
        vec![openai("p", &server.url)],
        Arc::new(EnvKeys),
        RouterOptions::default(),
    );
    let tree = summarize_tree(Some(&router), &sections(3), &SummarizeOptions::default()).await;
    assert_eq!(tree.metadata.method, Method::Mixed);
    assert_eq!(tree.levels[0][1].method, Method::Extractive);
    assert_eq!(tree.levels[0][0].summary, "fine");
    assert!(
        tree.metadata
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("content filtered"))
    );
    assert_eq!(tree.metadata.extractive_nodes, 1);
}
