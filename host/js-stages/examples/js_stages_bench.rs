//! `cargo xtask bench js-stages`: prints a Markdown table.
//!
//! - A trivial JS stage per call on a warm runtime (p50, p99) against a Rust pass-through stage
//!   called through the same `pipeline::Stage` trait in the same run.
//! - Time from writing a stage file to the first call that runs the new text, with the
//!   registry's watcher (300 ms debounce), over several edits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use js_stages::{JsLimits, JsStage, JsStageRegistry};
use pipeline::{
    BoxFuture, ContentType, Stage, StageContext, StageError, StageLog, StageOutput, StageRegistry,
};

const CALLS: usize = 20_000;
const EDITS: usize = 10;

struct Quiet;

impl StageLog for Quiet {
    fn log(&self, _level: &str, _message: &str) {}
}

struct Passthrough;

impl Stage for Passthrough {
    fn name(&self) -> &str {
        "passthrough"
    }

    fn run<'a>(
        &'a self,
        content: String,
        _ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move { Ok(StageOutput::content(content)) })
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn us(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

async fn per_call(stage: &dyn Stage, ctx: &StageContext) -> Result<Vec<Duration>, StageError> {
    let content = "a tool result of a few words".to_owned();
    for _ in 0..1000 {
        stage.run(content.clone(), ctx).await?;
    }
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let out = stage.run(content.clone(), ctx).await?;
        samples.push(started.elapsed());
        std::hint::black_box(out);
    }
    samples.sort();
    Ok(samples)
}

async fn reload_latency(dir: &std::path::Path) -> Result<Vec<Duration>, String> {
    let registry = JsStageRegistry::open(dir, JsLimits::default());
    registry.watch().map_err(|e| e.to_string())?;
    let ctx = StageContext::new(ContentType::ToolResult, "bench", "", Arc::new(Quiet));
    let mut samples = Vec::new();
    for edit in 0..EDITS {
        let expected = format!("v{edit}");
        let source = format!("export default async () => {expected:?};\n");
        let started = Instant::now();
        std::fs::write(dir.join("edited.js"), source).map_err(|e| e.to_string())?;
        loop {
            if let Some(stage) = registry.stage("edited")
                && stage
                    .run(String::new(), &ctx)
                    .await
                    .is_ok_and(|out| out.content == expected)
            {
                samples.push(started.elapsed());
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("edit {edit} never took effect"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Let the folder settle so edits do not merge into one debounce window.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    samples.sort();
    Ok(samples)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ctx = StageContext::new(ContentType::ToolResult, "bench", "", Arc::new(Quiet));

    let file = dir.path().join("trivial.js");
    let source = "export default async function (content, ctx) { return { content }; }\n";
    std::fs::write(&file, source).map_err(|e| e.to_string())?;
    let js = JsStage::load("trivial", &file, Arc::from(source), &JsLimits::default())
        .map_err(|e| e.to_string())?;
    let rust = per_call(&Passthrough, &ctx)
        .await
        .map_err(|e| e.to_string())?;
    let js = per_call(&*js, &ctx).await.map_err(|e| e.to_string())?;

    let reload_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let reload = reload_latency(reload_dir.path()).await?;

    let ratio =
        |a: Duration, b: Duration| format!("{:.0}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9));
    println!("| measure | result | baseline (same run) | ratio | target |");
    println!("|---|---|---|---|---|");
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (j, r) = (percentile(&js, p), percentile(&rust, p));
        println!(
            "| trivial JS stage per call, warm runtime, {name} ({CALLS} calls) | {} | Rust pass-through stage {} | {} | < 100 µs |",
            us(j),
            us(r),
            ratio(j, r)
        );
    }
    println!(
        "| stage file write to first call running it, p50 of {EDITS} edits (watcher, 300 ms debounce) | {} | the debounce itself 300 ms | {:.2}x | < 500 ms |",
        ms(percentile(&reload, 0.5)),
        percentile(&reload, 0.5).as_secs_f64() / 0.3
    );
    println!(
        "| same, slowest of {EDITS} edits | {} | | | |",
        ms(percentile(&reload, 1.0))
    );
    Ok(())
}
