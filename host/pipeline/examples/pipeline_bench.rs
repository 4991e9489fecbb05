//! `cargo xtask bench pipeline`: section-split and paginate of 1 MB, each next to a baseline
//! measured in the same run (`serde_json::from_str` of the same document, a plain copy).
//! Prints a Markdown table.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pipeline::stages::paginate::paginate;
use pipeline::stages::section_split::{SplitSettings, split_sections};
use pipeline::{
    BuiltinStages, ContentType, Pipeline, PipelineRunner, SectionStore, StageContext, StageLog,
    StageSpec,
};

/// Rounds per measure (after two unmeasured ones); the median is reported.
const ROUNDS: usize = 31;
const MB: usize = 1 << 20;

struct QuietLog;
impl StageLog for QuietLog {
    fn log(&self, _: &str, _: &str) {}
}

fn median(mut f: impl FnMut()) -> Duration {
    for _ in 0..2 {
        f();
    }
    let mut samples: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples[ROUNDS / 2]
}

/// A pretty-printed JSON array of device objects (name, id, state, attributes), ~1 MB.
fn json_document() -> (String, usize) {
    let mut items = Vec::new();
    let mut doc = String::new();
    let mut n = 0;
    while doc.len() < MB {
        for _ in 0..500 {
            items.push(serde_json::json!({
                "name": format!("sensor.device_{n:05}"),
                "id": format!("dev-{n}"),
                "state": if n % 3 == 0 { "on" } else { "off" },
                "attributes": {"unit": "°C", "friendly_name": format!("Device {n} in room {}", n % 40), "value": n as f64 * 0.5},
                "last_changed": "2026-01-01T00:00:00Z",
            }));
            n += 1;
        }
        doc = serde_json::to_string_pretty(&items).unwrap_or_default();
    }
    (doc, n)
}

/// ~1 MB of log lines.
fn text_document() -> String {
    let mut doc = String::with_capacity(MB + 100);
    let mut i = 0;
    while doc.len() < MB {
        doc.push_str(&format!(
            "2026-01-01T00:{:02}:{:02}Z INFO request {i} served /api/v1/items in {} ms\n",
            i / 60 % 60,
            i % 60,
            i * 7 % 300
        ));
        i += 1;
    }
    doc
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64().max(1e-12))
}

fn main() {
    let (json, elements) = json_document();
    let text = text_document();
    let settings = SplitSettings::default();

    let parse = median(|| {
        black_box(serde_json::from_str::<serde_json::Value>(black_box(&json)).ok());
    });
    let mut sections = 0;
    let split = median(|| {
        let result = split_sections(black_box(&json), &settings);
        sections = result.sections.len();
        black_box(result);
    });

    // The whole runner: section-split, the sections stored, the table of contents rendered.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
    let store = Arc::new(SectionStore::default());
    let runner = PipelineRunner::new(Arc::new(BuiltinStages::new()), store);
    let pipeline = Pipeline::new("bench", vec![StageSpec::new("section-split")]);
    let ctx = StageContext::new(
        ContentType::ToolResult,
        "bench",
        json.as_str(),
        Arc::new(QuietLog),
    );
    let mut toc_len = 0;
    let run = median(|| {
        let out = runtime.block_on(runner.run(&pipeline, json.clone(), &ctx));
        toc_len = out.map(|o| o.content.len()).unwrap_or_default();
    });
    let clone = median(|| {
        black_box(json.clone());
    });

    let copy = median(|| {
        black_box(black_box(&text).to_owned());
    });
    let mut pages = 0;
    let paged = median(|| {
        let result = paginate(black_box(&text), 8000);
        pages = result.as_ref().map_or(0, Vec::len);
        black_box(result);
    });
    let text_parse_baseline = parse;

    let verdict = |d: Duration, target: Duration| if d < target { "met" } else { "missed" };
    println!("| measure | result | baseline (same run) | ratio | target | verdict |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| section-split of a {:.2} MB JSON array ({elements} objects → {sections} sections) | {} | `serde_json::from_str::<Value>` {} | {} | < 20 ms | {} |",
        json.len() as f64 / MB as f64,
        ms(split),
        ms(parse),
        ratio(split, parse),
        verdict(split, Duration::from_millis(20)),
    );
    println!(
        "| runner: section-split + store + table of contents ({toc_len} chars), same document | {} | `serde_json::from_str::<Value>` {} | {} | | |",
        ms(run),
        ms(parse),
        ratio(run, parse),
    );
    println!(
        "| paginate of {:.2} MB of log lines (8000-char pages → {pages}) | {} | copy of the text {} | {} | | |",
        text.len() as f64 / MB as f64,
        ms(paged),
        ms(copy),
        ratio(paged, copy),
    );
    println!(
        "| paginate, against the JSON parse baseline | {} | `serde_json::from_str::<Value>` of the 1 MB JSON {} | {} | | |",
        ms(paged),
        ms(text_parse_baseline),
        ratio(paged, text_parse_baseline),
    );
    println!(
        "\nMedian of {ROUNDS} rounds each; the runner row includes copying the input ({}).",
        ms(clone)
    );
}
