//! The stage, run in-process through the JSON boundary mcplocal uses, and the built library,
//! loaded through mcplocal's own loader.

use sdk::testing::{built_library, load_library, run_stage, stage_context};

#[test]
fn long_lines_are_shortened_and_counted() {
    let content = format!("short\n{}\nalso short", "x".repeat(50));
    let context = stage_context("files/read", serde_json::json!({"maxLineLength": 10}));
    let result = run_stage({{crate}}::run, &content, &context).expect("the stage runs");
    assert_eq!(result.content, format!("short\n{}…\nalso short", "x".repeat(10)));
    assert_eq!(result.metadata["shortenedLines"], 1);
}

#[test]
fn a_bad_config_is_a_clear_error() {
    let context = stage_context("files/read", serde_json::json!({"maxLineLength": "ten"}));
    let error = run_stage({{crate}}::run, "text", &context).expect_err("refused");
    assert_eq!(error.kind(), "invalid params");
    assert!(error.message().contains("maxLineLength"), "{error}");
}

#[test]
fn the_built_library_exports_the_stage() {
    let file = built_library("{{crate}}").expect("cargo test builds the cdylib beside the tests");
    let library = load_library(&file).expect("mcplocal accepts the library");
    assert_eq!(library.stages(), ["{{name}}"]);
    let long = "y".repeat(300);
    let result = library
        .run_stage("{{name}}", &long, &stage_context("t", serde_json::json!({})))
        .expect("the stage runs");
    assert_eq!(result.content.chars().count(), 201);
}
