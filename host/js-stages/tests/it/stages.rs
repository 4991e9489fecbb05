//! Stages through the `Stage` trait: results, ctx, log, llm, cache, sections, errors.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use js_stages::{JsLimits, JsStage};
use pipeline::{Section, Stage, StageError};
use serde_json::json;

use crate::handles::{Host, load};

const REDACT_KEYS: &str = r#"
export default async function (content, ctx) {
  const redacted = content.replace(/([A-Z_]+_KEY)=\S+/g, '$1=***');
  ctx.log.info(`Redacted ${content.length - redacted.length} chars of secrets`);
  return { content: redacted };
}
"#;

#[tokio::test]
async fn redacts_key_values_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "redact-keys.js",
        REDACT_KEYS,
        &JsLimits::default(),
    );
    assert_eq!(stage.name(), "redact-keys");
    let host = Host::new();
    let input = "OPENAI_API_KEY=sk-abc123 user=bob\nAWS_SECRET_KEY=xyz/987 done";
    let out = stage
        .run(input.to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(
        out.content,
        "OPENAI_API_KEY=*** user=bob\nAWS_SECRET_KEY=*** done"
    );
    assert_eq!(out.sections, None);
    let removed = input.len() - out.content.len();
    assert_eq!(
        host.log.all(),
        vec![(
            "info".to_owned(),
            format!("Redacted {removed} chars of secrets")
        )]
    );
    // Warm: the same runtime serves the next call.
    let again = stage
        .run("NO_KEY=1".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(again.content, "NO_KEY=***");
}

#[tokio::test]
async fn ctx_fields_and_config_are_visible_to_js() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "show-ctx.mjs",
        r#"export default async function (content, ctx) {
             return JSON.stringify({
               content, contentType: ctx.contentType, sourceName: ctx.sourceName,
               projectName: ctx.projectName, sessionId: ctx.sessionId,
               originalContent: ctx.originalContent, config: ctx.config,
               handles: [typeof ctx.log.debug, typeof ctx.llm.complete, typeof ctx.cache.getOrCompute],
               sections: ctx.sections,
             });
           }"#,
        &JsLimits::default(),
    );
    let host = Host::new();
    let mut ctx = host.ctx(json!({"pageSize": 10, "mode": ["a", "b"]}));
    ctx.sections = Some(Arc::from(vec![Section {
        id: "users".to_owned(),
        title: "Users".to_owned(),
        content: "[...]".to_owned(),
    }]));
    let out = stage.run("now".to_owned(), &ctx).await.unwrap();
    let seen: serde_json::Value = serde_json::from_str(&out.content).unwrap();
    assert_eq!(
        seen,
        json!({
            "content": "now", "contentType": "toolResult", "sourceName": "grafana/query",
            "projectName": "demo", "sessionId": "session-1", "originalContent": "the original",
            "config": {"pageSize": 10, "mode": ["a", "b"]},
            "handles": ["function", "function", "function"],
            "sections": [{"id": "users", "title": "Users", "content": "[...]"}],
        })
    );
}

#[tokio::test]
async fn log_levels_reach_the_stage_log() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "chatty.js",
        r#"export default async function (content, ctx) {
             ctx.log.debug('d', 1); ctx.log.info('i'); ctx.log.warn('w', {a: 1}); ctx.log.error('e');
             return content;
           }"#,
        &JsLimits::default(),
    );
    let host = Host::new();
    let out = stage
        .run("x".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "x");
    let lines: Vec<(String, String)> = [
        ("debug", "d 1"),
        ("info", "i"),
        ("warn", "w [object Object]"),
        ("error", "e"),
    ]
    .iter()
    .map(|(l, m)| (l.to_string(), m.to_string()))
    .collect();
    assert_eq!(host.log.all(), lines);
}

#[tokio::test]
async fn llm_complete_goes_through_the_handle() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "summarize.js",
        r#"export default async function (content, ctx) {
             const fast = await ctx.llm.complete('sum up: ' + content);
             const heavy = await ctx.llm.complete('again', 'heavy');
             let failure = '';
             try { await ctx.llm.complete('fail'); } catch (e) { failure = e.message; }
             return { content: [fast, heavy, failure].join(' | ') };
           }"#,
        &JsLimits::default(),
    );
    let host = Host::new();
    let out = stage
        .run("abc".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(
        out.content,
        "model(fast): sum up: abc | model(heavy): again | provider said no"
    );
    assert_eq!(host.model.calls.load(Ordering::SeqCst), 3);

    // Without a provider the promise rejects with a clear error.
    let mut ctx = host.ctx(json!({}));
    ctx.llm = None;
    let error = stage.run("abc".to_owned(), &ctx).await.unwrap_err();
    let StageError::Failed {
        stage: name,
        message,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(name, "summarize");
    assert!(
        message.contains("no LLM provider is configured"),
        "{message}"
    );
    assert!(
        host.log
            .all()
            .iter()
            .any(|(level, line)| level == "error" && line.contains("summarize"))
    );
}

#[tokio::test]
async fn cache_get_or_compute_computes_once() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "cached.js",
        r#"let runs = 0;
           export default async function (content, ctx) {
             const value = await ctx.cache.getOrCompute('k:' + content, async () => {
               runs += 1;
               const summary = await ctx.llm.complete(content);
               return summary + ' #' + runs;
             });
             return value;
           }"#,
        &JsLimits {
            runtimes_per_stage: 1,
            ..JsLimits::default()
        },
    );
    let host = Host::new();
    let first = stage
        .run("doc".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    let second = stage
        .run("doc".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    let other = stage
        .run("other".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(first.content, "model(fast): doc #1");
    assert_eq!(second.content, "model(fast): doc #1");
    assert_eq!(other.content, "model(fast): other #2");
    assert_eq!(host.cache.computed.load(Ordering::SeqCst), 2);
    assert_eq!(host.model.calls.load(Ordering::SeqCst), 2);

    // A compute function that throws rejects getOrCompute; nothing is stored.
    let failing = load(
        dir.path(),
        "cache-fails.js",
        r#"export default async function (content, ctx) {
             try { await ctx.cache.getOrCompute('bad', () => { throw new Error('cannot compute'); }); }
             catch (e) { return 'caught: ' + e.message; }
           }"#,
        &JsLimits::default(),
    );
    let out = failing
        .run("x".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "caught: cannot compute");
    assert!(!host.cache.values.lock().await.contains_key("bad"));
}

#[tokio::test]
async fn sections_and_metadata_come_back_from_js() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "split-lines.js",
        r#"export default async function (content) {
             const lines = content.split('\n');
             return {
               content: `${lines.length} lines`,
               sections: lines.map((line, i) => ({ id: 'l' + i, title: 'Line ' + i, content: line })),
               metadata: { lines: lines.length },
             };
           }"#,
        &JsLimits::default(),
    );
    let host = Host::new();
    let out = stage
        .run("a\nb".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "2 lines");
    let sections = out.sections.unwrap();
    assert_eq!(
        sections
            .iter()
            .map(|s| (s.id.as_str(), s.title.as_str(), s.content.as_str()))
            .collect::<Vec<_>>(),
        vec![("l0", "Line 0", "a"), ("l1", "Line 1", "b")]
    );
    assert_eq!(out.metadata.get("lines"), Some(&json!(2)));
}

#[tokio::test]
async fn a_result_of_the_wrong_shape_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new();
    for (file, body, expected) in [
        (
            "number.js",
            "return 42;",
            "it returned a number instead of { content",
        ),
        (
            "no-content.js",
            "return { text: 'x' };",
            "an object without `content`",
        ),
        (
            "bad-content.js",
            "return { content: 1 };",
            "{ content } that is a number",
        ),
        (
            "bad-sections.js",
            "return { content: 'x', sections: [{ id: 'a' }] };",
            "sections[0] has no content",
        ),
        (
            "bad-metadata.js",
            "return { content: 'x', metadata: [1] };",
            "metadata that is an array",
        ),
    ] {
        let source = format!("export default async function (content, ctx) {{ {body} }}");
        let stage = load(dir.path(), file, &source, &JsLimits::default());
        let error = stage
            .run("x".to_owned(), &host.ctx(json!({})))
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, StageError::Failed { .. }), "{file}: {text}");
        assert!(text.contains(expected), "{file}: {text}");
        assert!(
            text.starts_with(&format!("stage {}", file.trim_end_matches(".js"))),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_stage_that_throws_fails_the_call_and_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "thrower.js",
        "export default async function (content, ctx) {\n  if (content === 'ok') return 'fine';\n  throw new TypeError('bad input: ' + content);\n}\n",
        &JsLimits::default(),
    );
    let host = Host::new();
    let error = stage
        .run("boom".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        StageError::Failed {
            stage: "thrower".to_owned(),
            message: "TypeError: bad input: boom (line 3)".to_owned(),
        }
    );
    let lines = host.log.all();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "error");
    assert!(
        lines[0].1.contains("stage thrower") && lines[0].1.contains("bad input"),
        "{lines:?}"
    );
    // The runtime survives.
    let out = stage
        .run("ok".to_owned(), &host.ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(out.content, "fine");
}

#[tokio::test]
async fn imports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reader.js");
    let source = "import fs from 'fs';\nexport default async function (content) { return fs.readFileSync('/etc/passwd', 'utf8'); }\n";
    std::fs::write(&path, source).unwrap();
    let error = JsStage::load("reader", &path, source.into(), &JsLimits::default()).unwrap_err();
    assert_eq!(error.file, "reader.js");
    assert!(error.message.contains("cannot import modules"), "{error}");
    assert!(error.message.contains("fs"), "{error}");

    // A dynamic import at run time is refused the same way.
    let stage = load(
        dir.path(),
        "dynamic.js",
        "export default async function () { const os = await import('os'); return String(os); }",
        &JsLimits::default(),
    );
    let error = stage
        .run(String::new(), &Host::new().ctx(json!({})))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("cannot import modules"),
        "{error}"
    );
    // No std/os globals either.
    let stage = load(
        dir.path(),
        "globals.js",
        "export default async function () { return [typeof std, typeof os, typeof require, typeof process, typeof fetch].join(','); }",
        &JsLimits::default(),
    );
    let out = stage
        .run(String::new(), &Host::new().ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(
        out.content,
        "undefined,undefined,undefined,undefined,undefined"
    );
}

#[tokio::test]
async fn log_lines_per_call_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let limits = JsLimits {
        max_log_lines: 3,
        max_log_bytes: 5,
        ..JsLimits::default()
    };
    let stage = load(
        dir.path(),
        "flood.js",
        "export default async function (content, ctx) { for (let i = 0; i < 1000; i++) ctx.log.info('line ' + i); return 'ok'; }",
        &limits,
    );
    let host = Host::new();
    stage
        .run(String::new(), &host.ctx(json!({})))
        .await
        .unwrap();
    let lines = host.log.all();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0], ("info".to_owned(), "line ".to_owned()));
    assert!(
        lines[3].1.contains("more than 3 ctx.log lines"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_call_waiting_for_the_host_does_not_hold_up_another() {
    let dir = tempfile::tempdir().unwrap();
    let stage = load(
        dir.path(),
        "ask.js",
        "export default async function (content, ctx) { return await ctx.llm.complete(content); }",
        &JsLimits::default(),
    );
    let host = Host::new();
    let (slow_ctx, fast_ctx) = (host.ctx(json!({})), host.ctx(json!({})));
    let slow = stage.run("slow".to_owned(), &slow_ctx);
    let fast = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let out = stage.run("quick".to_owned(), &fast_ctx).await.unwrap();
        (out, started.elapsed())
    };
    let (slow, (fast, fast_took)) = tokio::join!(slow, fast);
    assert_eq!(slow.unwrap().content, "model(fast): slow");
    assert_eq!(fast.content, "model(fast): quick");
    // The second runtime answered while the first waited 1 s for the model.
    assert!(
        fast_took < std::time::Duration::from_millis(600),
        "{fast_took:?}"
    );
}

#[tokio::test]
async fn host_calls_per_call_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let limits = JsLimits {
        max_host_calls: 5,
        ..JsLimits::default()
    };
    let stage = load(
        dir.path(),
        "greedy.js",
        "export default async function (content, ctx) { for (;;) await ctx.llm.complete('x'); }",
        &limits,
    );
    let host = Host::new();
    let error = stage
        .run(String::new(), &host.ctx(json!({})))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("more than 5 host calls in one stage call"),
        "{error}"
    );
    // The five started ones reached the model; nothing beyond.
    assert_eq!(host.model.calls.load(Ordering::SeqCst), 5);
}
