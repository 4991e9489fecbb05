//! The folder registry: loading, broken files, size bound, hot reload with the watcher.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use js_stages::{JsLimits, JsStageRegistry, RELOAD_DEBOUNCE};
use pipeline::{StageRegistry, StageSource};
use serde_json::json;

use crate::handles::Host;

fn stage_returning(text: &str) -> String {
    format!("export default async function (content) {{ return {text:?} + ':' + content; }}\n")
}

async fn call(registry: &JsStageRegistry, name: &str) -> Option<String> {
    let stage = registry.stage(name)?;
    let out = stage
        .run("in".to_owned(), &Host::new().ctx(json!({})))
        .await;
    Some(out.unwrap().content)
}

/// Polls until `check` holds (at most 10 s); returns how long it took.
async fn wait_until(registry: &JsStageRegistry, name: &str, expected: Option<&str>) -> Duration {
    let started = Instant::now();
    loop {
        if call(registry, name).await.as_deref() == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name} never became {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

#[tokio::test]
async fn loads_the_folder_and_skips_broken_files_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "upper.js",
        "export default async function (c) { return c.toUpperCase(); }",
    );
    write(
        dir.path(),
        "lower.mjs",
        "export default async (c) => c.toLowerCase();",
    );
    write(
        dir.path(),
        "broken.js",
        "export default async function (c) {\n  return c +;\n}\n",
    );
    write(dir.path(), "no-default.js", "export const x = 1;");
    write(dir.path(), "upper.mjs", "export default async (c) => c;");
    write(dir.path(), "bad name.js", "export default async (c) => c;");
    write(dir.path(), "notes.txt", "not a stage");
    write(
        dir.path(),
        "huge.js",
        &format!("// {}\nexport default async (c) => c;", "x".repeat(2000)),
    );
    let limits = JsLimits {
        max_file_bytes: 1000,
        ..JsLimits::default()
    };
    let registry = JsStageRegistry::open(dir.path(), limits);
    assert_eq!(
        registry.list(),
        vec![
            ("lower".to_owned(), StageSource::Local),
            ("upper".to_owned(), StageSource::Local)
        ]
    );
    assert_eq!(call(&registry, "upper").await.as_deref(), Some("IN"));
    assert_eq!(call(&registry, "lower").await.as_deref(), Some("in"));
    assert!(registry.stage("broken").is_none());

    let skipped: Vec<String> = registry.skipped().iter().map(|s| s.to_string()).collect();
    let find = |file: &str| {
        skipped
            .iter()
            .find(|s| s.contains(file))
            .unwrap_or_else(|| panic!("{file} not in {skipped:?}"))
            .clone()
    };
    assert_eq!(skipped.len(), 5, "{skipped:?}");
    let broken = find("broken.js");
    assert!(broken.contains("broken.js line 2: SyntaxError"), "{broken}");
    assert!(find("no-default.js").contains("export default"));
    assert!(find("upper.mjs").contains("already defined by"));
    assert!(find("bad name.js").contains("not a stage name"));
    assert!(find("huge.js").contains("larger than the 1000-byte limit"));

    // The report of a manual reload says the same.
    let report = registry.reload();
    assert_eq!(report.loaded, 2);
    assert_eq!(report.skipped.len(), 5);
}

#[tokio::test]
async fn hot_reload_adds_edits_and_removes_stages() {
    let dir = tempfile::tempdir().unwrap();
    let registry = JsStageRegistry::open(dir.path(), JsLimits::default());
    registry.watch().unwrap();
    assert!(registry.list().is_empty());

    write(dir.path(), "greet.js", &stage_returning("v1"));
    let added = wait_until(&registry, "greet", Some("v1:in")).await;

    let before = registry.stage("greet").unwrap();
    write(dir.path(), "greet.js", &stage_returning("v2"));
    let edited = wait_until(&registry, "greet", Some("v2:in")).await;
    // A reference taken before the edit (a call in flight) still runs the old version.
    let old = before
        .run("in".to_owned(), &Host::new().ctx(json!({})))
        .await
        .unwrap();
    assert_eq!(old.content, "v1:in");

    // A broken edit keeps nothing loaded under that name and says why.
    write(dir.path(), "greet.js", "export default async function ( {");
    let broken = wait_until(&registry, "greet", None).await;
    assert!(
        registry
            .skipped()
            .iter()
            .any(|s| s.path.ends_with("greet.js"))
    );
    write(dir.path(), "greet.js", &stage_returning("v3"));
    wait_until(&registry, "greet", Some("v3:in")).await;

    std::fs::remove_file(dir.path().join("greet.js")).unwrap();
    let removed = wait_until(&registry, "greet", None).await;
    assert!(registry.list().is_empty());
    for (what, took) in [
        ("add", added),
        ("edit", edited),
        ("broken edit", broken),
        ("remove", removed),
    ] {
        eprintln!("hot reload, {what}: effective after {took:?}");
        // Not before the folder was quiet for the debounce (a reload's own reads of the files
        // must not count as changes), and well before a person would notice. The watcher can
        // see the change a moment before the write returns to this thread, hence the slack.
        assert!(
            took + Duration::from_millis(20) >= RELOAD_DEBOUNCE && took < Duration::from_secs(2),
            "{what} took {took:?}"
        );
    }
}

#[tokio::test]
async fn an_unchanged_file_keeps_its_warm_stage() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "same.js", &stage_returning("same"));
    write(dir.path(), "other.js", &stage_returning("a"));
    let registry = JsStageRegistry::open(dir.path(), JsLimits::default());
    let same = registry.stage("same").unwrap();
    let other = registry.stage("other").unwrap();
    write(dir.path(), "other.js", &stage_returning("b"));
    let report = registry.reload();
    assert_eq!(report.loaded, 2);
    assert!(Arc::ptr_eq(&same, &registry.stage("same").unwrap()));
    assert!(!Arc::ptr_eq(&other, &registry.stage("other").unwrap()));
    assert_eq!(call(&registry, "other").await.as_deref(), Some("b:in"));
}
