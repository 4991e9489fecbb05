//! The time and memory limits stop a stage, and the stage works again on the next call.

use std::time::{Duration, Instant};

use js_stages::JsLimits;
use pipeline::{Stage, StageError};
use serde_json::json;

use crate::handles::{Host, load};

#[tokio::test]
async fn a_stage_that_loops_forever_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let limits = JsLimits {
        time: Duration::from_millis(200),
        runtimes_per_stage: 1,
        ..JsLimits::default()
    };
    let stage = load(
        dir.path(),
        "spin.js",
        "export default async function (content) { if (content === 'spin') { for (;;) {} } return 'done'; }",
        &limits,
    );
    let host = Host::new();
    let started = Instant::now();
    let error = stage
        .run("spin".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        error,
        StageError::TimedOut {
            stage: "spin".to_owned(),
            limit_ms: 200
        }
    );
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert!(
        host.log
            .all()
            .iter()
            .any(|(l, m)| l == "error" && m.contains("stage spin ran longer than 200 ms"))
    );
    let out = stage
        .run("x".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "done");
}

#[tokio::test]
async fn a_loop_inside_a_promise_chain_is_stopped_too() {
    let dir = tempfile::tempdir().unwrap();
    let limits = JsLimits {
        time: Duration::from_millis(200),
        ..JsLimits::default()
    };
    let stage = load(
        dir.path(),
        "later.js",
        "export default async function (content, ctx) { await ctx.llm.complete('x'); while (true) {} }",
        &limits,
    );
    let error = stage
        .run(String::new(), &Host::new().ctx(json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StageError::TimedOut { limit_ms: 200, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stage_that_allocates_without_bound_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let limits = JsLimits {
        memory_bytes: 16 * 1024 * 1024,
        runtimes_per_stage: 1,
        ..JsLimits::default()
    };
    let stage = load(
        dir.path(),
        "hog.js",
        "export default async function (content) {\n  if (content !== 'hog') return 'small';\n  const keep = [];\n  for (;;) keep.push('x'.repeat(1024) + keep.length);\n}\n",
        &limits,
    );
    let host = Host::new();
    let error = stage
        .run("hog".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        StageError::OutOfMemory {
            stage: "hog".to_owned(),
            limit_bytes: 16 * 1024 * 1024
        }
    );
    assert!(
        host.log
            .all()
            .iter()
            .any(|(l, m)| l == "error" && m.contains("stage hog needed more than"))
    );
    let out = stage
        .run("x".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "small");
}

#[tokio::test]
async fn a_promise_that_never_settles_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "stuck.js",
        "export default async function () { await new Promise(() => {}); return 'never'; }",
        &JsLimits::default(),
    );
    let started = Instant::now();
    let error = stage
        .run(String::new(), &Host::new().ctx(json!({})))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("never settles"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1));
}
