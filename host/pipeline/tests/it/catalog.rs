//! The ProxyModel catalog: built-ins, local files, re-reading on change, broken files.

use std::path::Path;
use std::time::{Duration, SystemTime};

use pipeline::{BuiltinStages, ContentType, Fallback, ModelSource, ProxyModelCatalog};

const SPLIT: &str = "kind: ProxyModel\nmetadata:\n  name: my-pipeline\nspec:\n  stages:\n    - type: section-split\n      config:\n        minSectionSize: 1000\n        maxSectionSize: 10000\n    - type: summarize-tree\n      config:\n        maxTokens: 150\n        maxDepth: 2\n  appliesTo: [toolResult, prompt]\n  cacheable: true\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Sets a file's modification time (to make a same-length rewrite look unchanged).
fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn built_ins_and_local_files_are_listed() {
    let home = tempfile::tempdir().unwrap();
    let catalog = ProxyModelCatalog::from_home(home.path());
    let registry = BuiltinStages::new();
    let names: Vec<String> = catalog
        .list(&registry)
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        ["default", "subindex"],
        "no directory: built-ins only"
    );
    std::fs::create_dir(home.path().join("proxymodels")).unwrap();
    write(&home.path().join("proxymodels"), "split.yaml", SPLIT);
    let list = catalog.list(&registry);
    assert_eq!(list.len(), 3);
    let mine = &list[2];
    assert_eq!(mine.name, "my-pipeline");
    assert_eq!(mine.source, ModelSource::Local);
    assert_eq!(mine.stages, ["section-split", "summarize-tree"]);
    assert_eq!(mine.applies_to, ["toolResult", "prompt"]);
    assert!(mine.cacheable);
    assert_eq!(mine.fallback, Fallback::Passthrough);
    assert_eq!(mine.stage_configs[0]["minSectionSize"], 1000);
    let default = &list[0];
    assert_eq!(
        (default.source, default.stages.clone()),
        (
            ModelSource::BuiltIn,
            vec!["passthrough".to_owned(), "paginate".to_owned()]
        )
    );
    let json = serde_json::to_value(&list[1]).unwrap();
    assert_eq!(json["source"], "built-in");
    assert_eq!(
        json["appliesTo"],
        serde_json::json!(["toolResult", "prompt", "resource"])
    );
    let pipeline = catalog.get("my-pipeline", &registry).unwrap();
    assert_eq!(
        pipeline.applies_to,
        [ContentType::ToolResult, ContentType::Prompt]
    );
    let err = catalog.get("nope", &registry).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no ProxyModel named \"nope\"; available: default, subindex, my-pipeline"
    );
}

#[test]
fn changed_added_and_removed_files_are_seen_and_unchanged_ones_not_reread() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = ProxyModelCatalog::new(dir.path());
    let registry = BuiltinStages::new();
    let old = SystemTime::now() - Duration::from_secs(60);
    write(dir.path(), "a.yaml", &SPLIT.replace("my-pipeline", "alpha"));
    set_mtime(&dir.path().join("a.yaml"), old);
    assert!(catalog.get("alpha", &registry).is_ok());
    let reads = catalog.files_read();
    for _ in 0..5 {
        assert!(catalog.get("alpha", &registry).is_ok());
    }
    assert_eq!(
        catalog.files_read(),
        reads,
        "an old, unchanged file is only stat'ed"
    );

    // Rewritten with the same length and the same (old) timestamp: invisible to stat. The
    // catalog trusts only timestamps older than the granularity window, so this is the case
    // it cannot see, by design; a real edit moves the mtime to now.
    write(dir.path(), "a.yaml", &SPLIT.replace("my-pipeline", "alphb"));
    let pipelines = catalog.list(&registry);
    assert!(
        pipelines.iter().any(|p| p.name == "alphb"),
        "a new mtime is seen"
    );
    // Just written: its timestamp is young, so the next refreshes compare the text again, and
    // a same-length rewrite within the same timestamp tick is still seen.
    let path = dir.path().join("a.yaml");
    let stamp = std::fs::metadata(&path).unwrap().modified().unwrap();
    write(dir.path(), "a.yaml", &SPLIT.replace("my-pipeline", "alphc"));
    set_mtime(&path, stamp);
    assert!(
        catalog.get("alphc", &registry).is_ok(),
        "same mtime and length, new text: seen"
    );

    write(dir.path(), "b.yml", &SPLIT.replace("my-pipeline", "beta"));
    write(dir.path(), "notes.txt", "not a proxymodel");
    assert!(catalog.get("beta", &registry).is_ok(), "a new file is seen");
    std::fs::remove_file(dir.path().join("a.yaml")).unwrap();
    assert!(
        catalog.get("alphc", &registry).is_err(),
        "a removed file is gone"
    );
    assert_eq!(catalog.reload(&registry), 3, "reload: built-ins + beta");
}

#[test]
fn broken_files_are_reported_with_their_position_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = ProxyModelCatalog::new(dir.path());
    let registry = BuiltinStages::new();
    write(
        dir.path(),
        "1-syntax.yaml",
        "kind: ProxyModel\nmetadata:\n  name: x\nspec:\n  stages: [\n",
    );
    write(
        dir.path(),
        "2-unknown-field.yaml",
        &SPLIT
            .replace("my-pipeline", "two")
            .replace("  cacheable: true\n", "  cachable: true\n"),
    );
    write(
        dir.path(),
        "3-unknown-stage.yaml",
        &SPLIT
            .replace("my-pipeline", "three")
            .replace("type: summarize-tree", "type: summarise-tree"),
    );
    write(
        dir.path(),
        "4-builtin-name.yaml",
        &SPLIT.replace("my-pipeline", "default"),
    );
    write(
        dir.path(),
        "5-bad-config.yaml",
        &SPLIT
            .replace("my-pipeline", "five")
            .replace("maxDepth: 2", "maxDepth: 99"),
    );
    write(
        dir.path(),
        "6-good.yaml",
        &SPLIT.replace("my-pipeline", "six"),
    );
    write(
        dir.path(),
        "7-dup.yaml",
        &SPLIT.replace("my-pipeline", "six"),
    );
    write(
        dir.path(),
        "8-kind.yaml",
        &SPLIT
            .replace("my-pipeline", "eight")
            .replace("kind: ProxyModel", "kind: Project"),
    );
    let snapshot = catalog.snapshot(&registry);
    assert_eq!(snapshot.names(), ["default", "subindex", "six"]);
    let problems: Vec<String> = snapshot.problems.iter().map(|p| p.to_string()).collect();
    let d = dir.path().display();
    assert_eq!(problems.len(), 7, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!("{d}/1-syntax.yaml:6:1: ")),
        "{}",
        problems[0]
    );
    assert_eq!(snapshot.problems[0].line, Some(6));
    assert!(problems[1].starts_with(&format!("{d}/2-unknown-field.yaml:15:3: spec.cachable: unknown field `cachable`, expected one of")), "{}", problems[1]);
    assert!(problems[2].starts_with(&format!("{d}/3-unknown-stage.yaml:10:13: spec.stages[1].type: no stage named \"summarise-tree\"; available: paginate, passthrough")), "{}", problems[2]);
    assert!(
        problems[3]
            .contains("4-builtin-name.yaml: metadata.name: \"default\" is a built-in ProxyModel"),
        "{}",
        problems[3]
    );
    assert!(
        problems[4].starts_with(&format!(
            "{d}/5-bad-config.yaml:13:9: spec.stages[1].config.maxDepth: 99 is out of range"
        )),
        "{}",
        problems[4]
    );
    assert!(
        problems[5].contains("7-dup.yaml: metadata.name: \"six\" is already defined by"),
        "{}",
        problems[5]
    );
    assert!(
        problems[6].contains("8-kind.yaml:1:1: kind: expected ProxyModel, got \"Project\""),
        "{}",
        problems[6]
    );
}
