//! summarize-tree: the extractive path, and an LLM handle that records its prompts.

use std::sync::Arc;

use pipeline::{BuiltinStages, Section, StageRegistry};
use serde_json::json;

use crate::support::{RecordingLlm, stage_context};

fn sections(n: usize) -> Arc<[Section]> {
    (0..n)
        .map(|i| Section {
            id: format!("s{i}"),
            title: format!("Part {i}"),
            content: format!(
                "## Part {i}\nPart {i} explains the widget number {i}. It has more to say.\n"
            ),
        })
        .collect::<Vec<_>>()
        .into()
}

#[tokio::test]
async fn without_a_provider_the_summary_is_extractive_and_deterministic() {
    let stage = BuiltinStages::new().stage("summarize-tree").unwrap();
    let mut ctx = stage_context("ignored", json!({"maxTokens": 20}));
    ctx.sections = Some(sections(3));
    let out = stage.run("ignored".into(), &ctx).await.unwrap();
    assert_eq!(out.metadata["method"], "extractive");
    assert_eq!(out.metadata["reason"], "no LLM provider is configured");
    // Heading, first sentence, then the rest while within 20 tokens (80 chars).
    assert_eq!(
        out.metadata["sectionSummaries"]["s1"],
        "Part 1 Part 1 explains the widget number 1. It has more to say."
    );
    assert_eq!(out.sections, None, "the given sections stay the runner's");
    let again = stage.run("ignored".into(), &ctx).await.unwrap();
    assert_eq!(out, again);
}

#[tokio::test]
async fn with_a_handle_every_section_and_group_is_asked() {
    let llm = Arc::new(RecordingLlm::default());
    let stage = BuiltinStages::new().stage("summarize-tree").unwrap();
    let mut ctx = stage_context("ignored", json!({"maxDepth": 2, "tier": "heavy"}));
    ctx.sections = Some(sections(10));
    ctx.llm = Some(llm.clone());
    let out = stage.run("ignored".into(), &ctx).await.unwrap();
    let prompts = llm.prompts.lock().unwrap().clone();
    // 10 sections, then 2 groups (of 8 and 2).
    assert_eq!(prompts.len(), 12);
    assert!(prompts.iter().all(|(tier, _)| tier == "heavy"));
    assert!(
        prompts[0]
            .1
            .starts_with("You write short, factual summaries"),
        "the system text leads"
    );
    assert!(
        prompts
            .iter()
            .any(|(_, p)| p.contains("Part 4 explains the widget number 4."))
    );
    assert_eq!(out.metadata["method"], "llm");
    assert_eq!(out.metadata["llmCalls"], 12);
    let summaries = out.metadata["sectionSummaries"].as_object().unwrap();
    assert_eq!(summaries.len(), 10);
    assert!(
        summaries
            .values()
            .all(|v| v.as_str().unwrap().starts_with("SUMMARY "))
    );
}

#[tokio::test]
async fn failing_calls_fall_back_per_node_and_say_mixed() {
    let llm = Arc::new(RecordingLlm {
        fail_on: Some("widget number 2".into()),
        ..Default::default()
    });
    let stage = BuiltinStages::new().stage("summarize-tree").unwrap();
    let mut ctx = stage_context("ignored", json!({"maxDepth": 1}));
    ctx.sections = Some(sections(3));
    ctx.llm = Some(llm);
    let out = stage.run("ignored".into(), &ctx).await.unwrap();
    assert_eq!(out.metadata["method"], "mixed");
    assert_eq!(out.metadata["reason"], "LLM call failed: provider down");
    assert!(
        out.metadata["sectionSummaries"]["s2"]
            .as_str()
            .unwrap()
            .starts_with("Part 2")
    );
}

#[tokio::test]
async fn without_sections_it_splits_the_content_itself() {
    let doc = crate::documents::markdown(4, 1500);
    let stage = BuiltinStages::new().stage("summarize-tree").unwrap();
    let ctx = stage_context(&doc, json!({}));
    let out = stage.run(doc.clone(), &ctx).await.unwrap();
    assert_eq!(out.sections.unwrap().len(), 4);
    assert_eq!(out.content, out.metadata["overview"].as_str().unwrap());
}
