//! A gated session end to end, as Claude Code has it: `mcpctl config claude` writes
//! `.mcp.json`, the official Python MCP SDK (`mcp_client.py`, shared with `mcplocal.rs`)
//! launches `mcpctl mcp --project P` over STDIO, and mcplocal serves the project with the real
//! `gate` plugin cdylib: the client sees only begin_session, is told to call it first, gets
//! the project's matching prompts (created with `mcpctl create prompt`) and a
//! tools/list_changed, then calls a namespaced tool of PyPI's mcp-server-time through mcpd.
//! The same mcplocal answers `mcpctl get proxymodels` and `describe proxymodel gate`.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use test_support::Backend;

use crate::mcplocal::{LocalProxy, run_client, text_of};
use crate::support::{World, running, table, wait_for_instances};

#[test]
fn a_gated_session_over_stdio_reveals_tools_after_begin_session() {
    let w = World::start(Backend::Sqlite);
    let proxy = LocalProxy::new();
    let clock = test_support::peers::venv_bin("mcp-server-time");
    w.ok(&[
        "create",
        "server",
        "clock",
        "--command",
        clock.to_str().unwrap(),
    ]);
    w.ok(&[
        "create",
        "project",
        "ops",
        "--server",
        "clock",
        "--proxy-model",
        "gate",
        "--prefix-mode",
        "always",
    ]);
    let prompt = |name: &str, content: &str, priority: &str| {
        w.ok(&[
            "--project",
            "ops",
            "create",
            "prompt",
            name,
            "--content",
            content,
            "--priority",
            priority,
        ]);
    };
    prompt(
        "time-zones",
        "Report times in UTC and name the time zone; convert between zones with convert_time.",
        "8",
    );
    prompt(
        "release-notes",
        "Release notes list user-visible changes only, newest first.",
        "3",
    );
    wait_for_instances(&w, "clock", "one Running instance", |i| running(i) == 1);

    let env = [("MCPLOCAL_LISTEN", proxy.listen.as_str())];
    w.run_with_env(&["--project", "ops", "config", "claude"], &env)
        .ok();
    let mcp_json = w.files.path().join(".mcp.json");
    let steps = json!([
        {"do": "initialize"},
        {"do": "tools"},
        {"do": "call", "name": "clock/get_current_time", "arguments": {"timezone": "UTC"}},
        {"do": "call", "name": "begin_session",
         "arguments": {"description": "Show the current time in Tokyo and convert it to other time zones"}},
        {"do": "wait_notification", "method": "notifications/tools/list_changed", "timeout": 20},
        {"do": "tools"},
        {"do": "call", "name": "clock/get_current_time", "arguments": {"timezone": "Asia/Tokyo"}},
    ]);
    let seen = run_client(&mcp_json, "ops", &steps);
    let names = |step: &Value| -> Vec<String> {
        step["names"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect()
    };

    assert_eq!(seen[0]["server"], "mcplocal/ops", "{:#}", seen[0]);
    assert_eq!(names(&seen[1]), ["begin_session"], "{:#}", seen[1]);
    let refused = seen[2]["error"].as_str().unwrap_or_default();
    assert!(
        refused.contains("call begin_session"),
        "a hidden tool before begin_session: {:#}",
        seen[2]
    );
    let delivered = text_of(&seen[3]["result"]);
    assert!(
        delivered.contains("convert between zones with convert_time"),
        "{delivered}"
    );
    assert!(!delivered.contains("user-visible changes"), "{delivered}");
    assert!(delivered.contains("release-notes"), "{delivered}");
    let notified = seen[4]["seen"].as_array().unwrap();
    assert!(
        notified.contains(&json!("notifications/tools/list_changed")),
        "no list_changed after begin_session: {notified:?}"
    );
    let tools = names(&seen[5]);
    assert!(
        tools.contains(&"clock/get_current_time".to_owned()),
        "{tools:?}"
    );
    assert!(tools.contains(&"propose_prompt".to_owned()), "{tools:?}");
    assert!(
        text_of(&seen[6]["result"]).contains("Asia/Tokyo"),
        "{:#}",
        seen[6]
    );

    // The mcplocal the session started answers the proxy model commands.
    let listed = w.run_with_env(&["get", "proxymodels"], &env).ok();
    let rows = table(&listed);
    assert_eq!(
        rows[0],
        ["NAME", "KIND", "SOURCE", "EXTENDS", "HOOKS", "STAGES"]
    );
    let row = |name: &str| rows.iter().find(|r| r[0] == name).cloned();
    assert_eq!(
        row("gate"),
        Some(
            ["gate", "plugin", "built-in", "-", "5", "-"]
                .map(String::from)
                .to_vec()
        ),
        "{listed}"
    );
    assert_eq!(
        row("default"),
        Some(
            [
                "default",
                "plugin",
                "built-in",
                "gate,content-pipeline",
                "8",
                "-"
            ]
            .map(String::from)
            .to_vec()
        ),
        "{listed}"
    );
    let as_json: Value = serde_json::from_str(
        &w.run_with_env(&["get", "proxymodels", "gate", "-o", "json"], &env)
            .ok(),
    )
    .unwrap();
    assert_eq!(as_json["name"], "gate");
    assert_eq!(as_json["kind"], "plugin");
    let described = w
        .run_with_env(&["describe", "proxymodel", "default"], &env)
        .ok();
    assert!(
        described.contains("Extends:        gate, content-pipeline"),
        "{described}"
    );
    assert!(
        described
            .lines()
            .any(|l| l.split_whitespace().eq(["onToolCallBefore", "gate"])),
        "{described}"
    );
    assert!(
        described.lines().any(|l| l
            .split_whitespace()
            .eq(["onToolCallAfter", "content-pipeline"])),
        "{described}"
    );
    let unknown = w
        .run_with_env(&["describe", "proxymodel", "nope"], &env)
        .error();
    assert!(unknown.contains("no proxy model \"nope\""), "{unknown}");
}
