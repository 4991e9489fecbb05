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
const ROUNDS: usize = 20;
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

/// Pass-through on a thread of its own, reached like a JS stage's runtime (a channel there, a
/// oneshot back): what the hand-off alone costs.
struct ThreadHop {
    jobs: std::sync::mpsc::Sender<(String, tokio::sync::oneshot::Sender<String>)>,
}

impl ThreadHop {
    fn start() -> Self {
        let (jobs, queue) =
            std::sync::mpsc::channel::<(String, tokio::sync::oneshot::Sender<String>)>();
        std::thread::spawn(move || {
            while let Ok((content, reply)) = queue.recv() {
                let _ = reply.send(content);
            }
        });
        Self { jobs }
    }
}

impl Stage for ThreadHop {
    fn name(&self) -> &str {
        "thread-hop"
    }

    fn run<'a>(
        &'a self,
        content: String,
        _ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let failed = || StageError::Failed {
                stage: "thread-hop".to_owned(),
                message: "thread gone".to_owned(),
            };
            let (reply, answer) = tokio::sync::oneshot::channel();
            self.jobs.send((content, reply)).map_err(|_| failed())?;
            Ok(StageOutput::content(answer.await.map_err(|_| failed())?))
        })
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

/// Calls of each stage in alternating rounds (a burst of noise on this shared machine then
/// hits all of them alike); returns each one's sorted latencies.
async fn per_call(
    stages: &[&dyn Stage],
    ctx: &StageContext,
) -> Result<Vec<Vec<Duration>>, StageError> {
    let content = "a tool result of a few words".to_owned();
    let mut samples = vec![Vec::with_capacity(CALLS); stages.len()];
    for stage in stages {
        for _ in 0..1000 {
            stage.run(content.clone(), ctx).await?;
        }
    }
    for _ in 0..ROUNDS {
        for (stage, samples) in stages.iter().zip(&mut samples) {
            for _ in 0..CALLS / ROUNDS {
                let started = Instant::now();
                let out = stage.run(content.clone(), ctx).await?;
                samples.push(started.elapsed());
                std::hint::black_box(out);
            }
        }
    }
    for samples in &mut samples {
        samples.sort();
    }
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
    let hop = ThreadHop::start();
    let samples = per_call(&[&Passthrough, &hop, &*js], &ctx)
        .await
        .map_err(|e| e.to_string())?;
    let [rust, hop, js] = [&samples[0], &samples[1], &samples[2]];

    let reload_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let reload = reload_latency(reload_dir.path()).await?;

    let ratio =
        |a: Duration, b: Duration| format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9));
    println!("| measure | result | baseline (same run) | ratio | target |");
    println!("|---|---|---|---|---|");
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        let (j, r, h) = (percentile(js, p), percentile(rust, p), percentile(hop, p));
        println!(
            "| trivial JS stage per call, warm runtime, {name} ({CALLS} calls in {ROUNDS} rounds alternating with the baselines) | {} | Rust pass-through stage {} | {} | < 100 µs |",
            us(j),
            us(r),
            ratio(j, r)
        );
        println!(
            "| same, against a Rust pass-through on a thread of its own (the hand-off alone), {name} | {} | {} | {} | |",
            us(j),
            us(h),
            ratio(j, h)
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
