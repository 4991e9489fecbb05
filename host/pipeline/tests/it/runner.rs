//! The runner: presentation, drill-down, appliesTo, fallback, cache, registries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pipeline::toc::size_label;
use pipeline::{
    BoxFuture, BuiltinStages, CombinedRegistry, ContentType, Fallback, Pipeline, PipelineError,
    PipelineRunner, SectionStore, Stage, StageContext, StageError, StageOutput, StageRegistry,
    StageSource, StageSpec, builtin_pipelines,
};

use crate::documents;
use crate::support::{RecordingLog, context, disk_cache};

/// In-test stages: `explode` always fails, `count` counts its runs and upper-cases, and one
/// that claims the built-in name `paginate`.
struct TestStages {
    runs: Arc<AtomicUsize>,
}

struct Explode;
struct Count(Arc<AtomicUsize>);
struct FakePaginate;

impl Stage for Explode {
    fn name(&self) -> &str {
        "explode"
    }
    fn run<'a>(
        &'a self,
        _: String,
        _: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async {
            Err(StageError::Failed {
                stage: "explode".into(),
                message: "boom".into(),
            })
        })
    }
}

impl Stage for Count {
    fn name(&self) -> &str {
        "count"
    }
    fn run<'a>(
        &'a self,
        content: String,
        _: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(StageOutput::content(content.to_uppercase())) })
    }
}

impl Stage for FakePaginate {
    fn name(&self) -> &str {
        "paginate"
    }
    fn run<'a>(
        &'a self,
        _: String,
        _: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async { Ok(StageOutput::content("impostor")) })
    }
}

impl StageRegistry for TestStages {
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>> {
        match name {
            "explode" => Some(Arc::new(Explode)),
            "count" => Some(Arc::new(Count(self.runs.clone()))),
            "paginate" => Some(Arc::new(FakePaginate)),
            _ => None,
        }
    }
    fn list(&self) -> Vec<(String, StageSource)> {
        ["count", "explode", "paginate"]
            .map(|n| (n.to_owned(), StageSource::Local))
            .to_vec()
    }
}

fn runner_with_tests() -> (PipelineRunner, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = CombinedRegistry::new(vec![Arc::new(TestStages { runs: runs.clone() })]);
    (
        PipelineRunner::new(Arc::new(registry), Arc::new(SectionStore::default())),
        runs,
    )
}

fn builtin(name: &str) -> Pipeline {
    builtin_pipelines()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
}

#[tokio::test]
async fn default_shows_the_first_page_and_drills_into_the_others() {
    let (runner, _) = runner_with_tests();
    let doc: String = (0..2000).map(|i| format!("row {i:04}: value\n")).collect();
    let log = Arc::new(RecordingLog::default());
    let out = runner
        .run(&builtin("default"), doc.clone(), &context(&doc, log))
        .await
        .unwrap();
    let id = out.result_id.clone().unwrap();
    let pages = runner.store().section_ids(&id).unwrap();
    assert_eq!(out.sections, pages.len());
    let first = runner.store().get(&id, "p1").unwrap();
    assert!(out.content.starts_with(&first.content));
    let note = format!(
        "\n[p1 of {} pages shown: 8K chars of {}] _resultId: {id} — use _resultId and _section (\"p2\" to \"p{}\") to read the other pages.",
        pages.len(),
        size_label(doc.len()),
        pages.len()
    );
    assert!(
        out.content.ends_with(&note),
        "{}",
        &out.content[out.content.len() - 300..]
    );
    let all: String = pages
        .iter()
        .map(|p| runner.store().get(&id, p).unwrap().content)
        .collect();
    assert_eq!(all, doc);
    // Small content is left alone.
    let out = runner
        .run(
            &builtin("default"),
            "tiny".into(),
            &context("tiny", Arc::new(RecordingLog::default())),
        )
        .await
        .unwrap();
    assert_eq!((out.content.as_str(), out.result_id), ("tiny", None));
}

#[tokio::test]
async fn section_split_shows_a_table_of_contents_like_the_reference() {
    let (runner, _) = runner_with_tests();
    let doc = documents::json_object();
    let pipeline = Pipeline::new("split", vec![StageSpec::new("section-split")]);
    let out = runner
        .run(
            &pipeline,
            doc.clone(),
            &context(&doc, Arc::new(RecordingLog::default())),
        )
        .await
        .unwrap();
    let id = out.result_id.unwrap();
    let section = |s: &str| runner.store().get(&id, s).unwrap();
    let expected = format!(
        "3 sections (json):\n[users] users ({})\n[config] config ({})\n[logs] logs ({})\n_resultId: {id} — use _resultId and _section parameters to drill into a section.",
        size_label(section("users").content.chars().count()),
        size_label(section("config").content.chars().count()),
        size_label(section("logs").content.chars().count()),
    );
    assert_eq!(out.content, expected);
    assert!(out.content.contains("K chars)"));
    let logs: Vec<String> = serde_json::from_str(&section("logs").content).unwrap();
    assert_eq!(logs.len(), 120);
}

#[tokio::test]
async fn subindex_shows_summaries_under_each_entry() {
    let (runner, _) = runner_with_tests();
    let doc = documents::markdown(5, 1200);
    let out = runner
        .run(
            &builtin("subindex"),
            doc.clone(),
            &context(&doc, Arc::new(RecordingLog::default())),
        )
        .await
        .unwrap();
    assert_eq!(out.metadata["summarize-tree"]["method"], "extractive");
    assert_eq!(
        out.metadata["summarize-tree"]["reason"],
        "no LLM provider is configured"
    );
    let lines: Vec<&str> = out.content.lines().collect();
    let header = lines
        .iter()
        .position(|l| *l == "5 sections (markdown):")
        .expect(&out.content);
    assert!(header >= 1, "the overview comes first");
    assert!(
        lines[header + 1].starts_with("[intro..topic-0-step-0] "),
        "{}",
        lines[header + 1]
    );
    assert!(
        lines[header + 2].starts_with("    "),
        "a summary line under the entry: {}",
        lines[header + 2]
    );
    assert!(
        lines[header + 2].contains("Operations guide"),
        "{}",
        lines[header + 2]
    );
    assert!(lines.last().unwrap().starts_with("_resultId: pm-"));
    let id = out.result_id.unwrap();
    assert!(
        runner
            .store()
            .get(&id, "topic-3-step-3")
            .unwrap()
            .content
            .starts_with("## Topic 3")
    );
}

#[tokio::test]
async fn applies_to_limits_the_content_types() {
    let (runner, runs) = runner_with_tests();
    let mut pipeline = Pipeline::new("p", vec![StageSpec::new("count")]);
    pipeline.applies_to = vec![ContentType::Prompt];
    let ctx = context("abc", Arc::new(RecordingLog::default()));
    let out = runner.run(&pipeline, "abc".into(), &ctx).await.unwrap();
    assert!(out.skipped);
    assert_eq!(out.content, "abc");
    let mut prompt_ctx = ctx.clone();
    prompt_ctx.content_type = ContentType::Prompt;
    let out = runner
        .run(&pipeline, "abc".into(), &prompt_ctx)
        .await
        .unwrap();
    assert_eq!(out.content, "ABC");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failing_stage_is_logged_and_the_fallback_applies() {
    let (runner, _) = runner_with_tests();
    let log = Arc::new(RecordingLog::default());
    let ctx = context("input", log.clone());
    let mut pipeline = Pipeline::new(
        "fragile",
        vec![StageSpec::new("count"), StageSpec::new("explode")],
    );
    let out = runner.run(&pipeline, "input".into(), &ctx).await.unwrap();
    assert_eq!(
        out.content, "input",
        "passed through untransformed (not even `count`'s change)"
    );
    assert_eq!(
        out.fell_back.as_deref(),
        Some("proxymodel fragile: stage explode: boom")
    );
    let lines = log.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "error");
    assert!(
        lines[0].1.starts_with(
            "stage explode failed: proxymodel fragile: stage explode: boom; fallback passthrough"
        ),
        "{}",
        lines[0].1
    );

    pipeline.fallback = Fallback::Fail;
    let err = runner
        .run(&pipeline, "input".into(), &ctx)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PipelineError::Stage { stage, .. } if stage == "explode"),
        "{err}"
    );
    assert!(log.lines()[1].1.contains("fallback fail"));

    // A stage that is gone (a removed JS stage) is a failure too.
    let gone = Pipeline::new("gone", vec![StageSpec::new("vanished")]);
    let out = runner.run(&gone, "input".into(), &ctx).await.unwrap();
    assert_eq!(out.content, "input");
    assert!(
        log.lines()[2].1.contains("no stage named \"vanished\""),
        "{:?}",
        log.lines()[2]
    );

    // A config error is one too, naming the field.
    let bad = Pipeline::new(
        "bad",
        vec![StageSpec::new("paginate").with("pageSize", "big")],
    );
    let out = runner.run(&bad, "input".into(), &ctx).await.unwrap();
    assert!(out.fell_back.unwrap().contains("config.pageSize"));
}

#[tokio::test]
async fn cacheable_pipelines_compute_once_per_content() {
    let dir = tempfile::tempdir().unwrap();
    let (runner, runs) = runner_with_tests();
    let mut ctx = context("x", Arc::new(RecordingLog::default()));
    ctx.cache = Some(Arc::new(disk_cache(dir.path())));
    let mut pipeline = Pipeline::new(
        "cached",
        vec![StageSpec::new("count"), StageSpec::new("section-split")],
    );
    pipeline.cacheable = true;
    // `count` upper-cases the keys, so elements are unnamed (`item-N`).
    let doc = documents::json_array(30, 800);
    let first = runner.run(&pipeline, doc.clone(), &ctx).await.unwrap();
    assert!(!first.cached);
    let second = runner.run(&pipeline, doc.clone(), &ctx).await.unwrap();
    assert!(second.cached);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the stages ran once");
    let (a, b) = (first.result_id.unwrap(), second.result_id.unwrap());
    assert_ne!(a, b, "a cached result gets its own result id");
    assert_eq!(
        first.content.replace(&a, "ID"),
        second.content.replace(&b, "ID")
    );
    assert_eq!(
        runner.store().get(&b, "item-4").unwrap().content,
        runner.store().get(&a, "item-4").unwrap().content
    );
    // Other content, other config: computed again.
    runner
        .run(&pipeline, format!("{doc} "), &ctx)
        .await
        .unwrap();
    pipeline.stages[1] = StageSpec::new("section-split").with("minSectionSize", 100);
    runner.run(&pipeline, doc.clone(), &ctx).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    // A failure is not cached.
    let mut failing = Pipeline::new(
        "failing",
        vec![StageSpec::new("count"), StageSpec::new("explode")],
    );
    failing.cacheable = true;
    for _ in 0..2 {
        let out = runner.run(&failing, "same".into(), &ctx).await.unwrap();
        assert!(out.fell_back.is_some());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 5);
}

#[test]
fn a_local_stage_named_like_a_built_in_is_refused() {
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = CombinedRegistry::new(vec![Arc::new(TestStages { runs })]);
    let list = registry.list();
    let paginate: Vec<_> = list.iter().filter(|(n, _)| n == "paginate").collect();
    assert_eq!(paginate, [&("paginate".to_owned(), StageSource::BuiltIn)]);
    assert!(list.contains(&("count".to_owned(), StageSource::Local)));
    assert_eq!(list.len(), BuiltinStages::new().list().len() + 2);
    // The built-in is what runs.
    let stage = registry.stage("paginate").unwrap();
    let ctx = context("x", Arc::new(RecordingLog::default()));
    let out = futures_block_on(stage.run("short".into(), &ctx)).unwrap();
    assert_eq!(out.content, "short");
}

fn futures_block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// The size below which a pipeline leaves content alone is what its stages promise, and the
/// promise holds at the boundary: one byte shorter passes `default` unchanged, the size
/// itself is paginated.
#[tokio::test]
async fn pipelines_leave_content_shorter_than_their_stages_act_on_unchanged() {
    let (runner, _) = runner_with_tests();
    let default = builtin("default");
    let below = runner.unchanged_below(&default);
    assert_eq!(
        below, 8001,
        "passthrough never changes, paginate past 8,000 bytes"
    );
    assert_eq!(runner.unchanged_below(&builtin("subindex")), 0);
    let only_passthrough = Pipeline::new("p", vec![StageSpec::new("passthrough")]);
    assert_eq!(runner.unchanged_below(&only_passthrough), usize::MAX);
    let with_local = Pipeline::new(
        "l",
        vec![StageSpec::new("passthrough"), StageSpec::new("count")],
    );
    assert_eq!(
        runner.unchanged_below(&with_local),
        0,
        "a stage that promises nothing"
    );
    let unknown = Pipeline::new("u", vec![StageSpec::new("no-such-stage")]);
    assert_eq!(runner.unchanged_below(&unknown), 0);
    let bad_config = Pipeline::new(
        "b",
        vec![StageSpec::new("paginate").with("pageSize", "big")],
    );
    assert_eq!(
        runner.unchanged_below(&bad_config),
        0,
        "errors still surface"
    );

    let lines = |bytes: usize| -> String {
        let line = "0123456789abcdef012345678901234567890123456789012345678901234567890123456789\n";
        line.repeat(bytes / line.len() + 1)[..bytes].to_owned()
    };
    let log = || Arc::new(RecordingLog::default());
    let short = lines(below - 1);
    let out = runner
        .run(&default, short.clone(), &context(&short, log()))
        .await
        .unwrap();
    assert_eq!(out.content, short);
    assert_eq!(out.sections, 0);
    let long = lines(below);
    let out = runner
        .run(&default, long.clone(), &context(&long, log()))
        .await
        .unwrap();
    assert!(out.sections >= 2, "{} sections", out.sections);
    assert_ne!(out.content, long);
}
