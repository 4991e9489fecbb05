//! The hooks, run in-process with the SDK's recording host, and the built library, loaded
//! through mcplocal's own loader.

use sdk::testing::{TestHost, built_library, load_library};
use sdk::{HookOutcome, HookPoint, LogLevel};

const TOOLS: &str = r#"{"tools": [
    {"name": "db/query", "inputSchema": {"type": "object"}},
    {"name": "db/delete_rows", "inputSchema": {"type": "object"}}
]}"#;

fn names(json: &str) -> Vec<String> {
    let list: serde_json::Value = serde_json::from_str(json).expect("JSON");
    list["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn blocked_tools_are_left_out_of_the_list() {
    let host = TestHost::new("demo");
    match host.call({{crate}}::tools_list, TOOLS) {
        Ok(HookOutcome::Modified(json)) => assert_eq!(names(&json), ["db/query"]),
        other => panic!("expected a modified list, got {other:?}"),
    }
    let harmless = r#"{"tools": [{"name": "db/query", "inputSchema": {}}]}"#;
    assert_eq!(
        host.call({{crate}}::tools_list, harmless),
        Ok(HookOutcome::PassThrough)
    );
}

#[test]
fn a_blocked_call_is_refused_and_logged() {
    let host = TestHost::new("demo");
    let error = host
        .call(
            {{crate}}::tool_call_before,
            r#"{"name": "db/drop_table", "arguments": {}}"#,
        )
        .expect_err("refused");
    assert_eq!(error.kind(), "refused");
    assert!(error.message().contains("db/drop_table is blocked"), "{error}");
    assert_eq!(host.logs()[0].level, LogLevel::Warn);
    assert_eq!(
        host.call({{crate}}::tool_call_before, r#"{"name": "db/query"}"#),
        Ok(HookOutcome::PassThrough)
    );
}

#[test]
fn the_built_library_loads_into_mcplocal() {
    let file = built_library("{{crate}}").expect("cargo test builds the cdylib beside the tests");
    let library = load_library(&file).expect("mcplocal accepts the library");
    assert_eq!(library.name(), "{{name}}");
    let host = TestHost::new("demo");
    let listed = library
        .dispatch(&host, HookPoint::ToolsList, TOOLS)
        .expect("onToolsList")
        .expect("a modified list");
    assert_eq!(names(&listed), ["db/query"]);
}
