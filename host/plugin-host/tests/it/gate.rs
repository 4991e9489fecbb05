//! The gate through the loaded `default` library: a gated session sees only begin_session,
//! hidden tools are refused, begin_session delivers the ranked prompts (BM25 over the real
//! prompt texts) and reveals the tools, propose_prompt creates a prompt request.

use plugin_host::{Call, DispatchError, HookPoint, Outcome, Plugin, PluginError};
use serde_json::{Value, json};

use crate::support::{TestHost, load, session_id};

const PROJECT_TOOLS: &str = r#"{"tools":[
    {"name":"grafana_search_dashboards","inputSchema":{"type":"object"}},
    {"name":"grafana_get_alerts","inputSchema":{"type":"object"}}
]}"#;

fn prompts_host() -> TestHost {
    TestHost::with_prompts(&[
        (
            "deployment-guide",
            "Deployments go through helm: run helm upgrade with the release values, watch the rollout, and roll back with helm rollback if pods crash.",
            7,
        ),
        (
            "alert-triage",
            "When an alert fires, open the Grafana dashboard linked in the alert and check the error rate panels before paging anyone.",
            5,
        ),
        (
            "code-style",
            "Rust code is formatted with rustfmt and linted with clippy.",
            3,
        ),
    ])
}

fn dispatch(
    plugin: &Plugin,
    hook: HookPoint,
    call: &Call<'_>,
    host: &TestHost,
    message: &str,
) -> Result<Outcome, DispatchError> {
    plugin.dispatch(hook, call, host, message)
}

fn tool_names(outcome: Outcome) -> Vec<String> {
    let Outcome::Modified(json) = outcome else {
        panic!("tools/list is rewritten by the gate: {outcome:?}");
    };
    let list: Value = serde_json::from_str(&json).expect("JSON");
    list["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

/// onToolCallBefore of a `tools/call` of `name` with `arguments`.
fn call_tool(
    plugin: &Plugin,
    call: &Call<'_>,
    host: &TestHost,
    name: &str,
    arguments: Value,
) -> Result<Outcome, DispatchError> {
    let request = json!({"name": name, "arguments": arguments}).to_string();
    plugin.dispatch(HookPoint::ToolCallBefore, call, host, &request)
}

fn result_text(outcome: Outcome) -> String {
    let Outcome::Respond(json) = outcome else {
        panic!("the gate answers its own tools: {outcome:?}");
    };
    let result: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(result["isError"], false);
    result["content"][0]["text"]
        .as_str()
        .expect("text")
        .to_owned()
}

#[test]
fn a_gated_session_end_to_end_through_the_default_plugin() {
    let (plugins, refused) = load(&["gate", "content-pipeline", "default"]);
    assert!(refused.is_empty(), "{refused:?}");
    let plugin = plugins.get("default").expect("default");
    let host = prompts_host();
    let session = session_id();
    let call = Call {
        project: "monitoring",
        session_id: session,
        server: None,
    };

    assert_eq!(
        dispatch(plugin, HookPoint::SessionCreate, &call, &host, "{}"),
        Ok(Outcome::PassThrough)
    );
    let init = dispatch(
        plugin,
        HookPoint::Initialize,
        &call,
        &host,
        r#"{"request":{},"result":{"protocolVersion":"2025-06-18","instructions":"Project monitoring."}}"#,
    );
    let Ok(Outcome::Modified(init)) = init else {
        panic!("initialize gets the gate's instructions: {init:?}");
    };
    let init: Value = serde_json::from_str(&init).expect("JSON");
    let instructions = init["instructions"].as_str().expect("instructions");
    assert!(
        instructions.starts_with("This project is gated: call begin_session"),
        "{instructions}"
    );
    assert!(
        instructions.ends_with("Project monitoring."),
        "{instructions}"
    );

    // Gated: only begin_session, and other tools are refused with what to do.
    let listed =
        dispatch(plugin, HookPoint::ToolsList, &call, &host, PROJECT_TOOLS).expect("tools/list");
    assert_eq!(tool_names(listed), ["begin_session"]);
    let refused = call_tool(
        plugin,
        &Call {
            server: Some("grafana"),
            ..call
        },
        &host,
        "grafana_get_alerts",
        json!({}),
    );
    assert_eq!(
        refused,
        Err(DispatchError::Plugin {
            plugin: "gate".into(),
            hook: HookPoint::ToolCallBefore,
            error: PluginError::Refused(
                "tool `grafana_get_alerts` is not available yet: call begin_session with a description of your task first, then the project's tools appear".into()
            ),
        })
    );
    let early_proposal = call_tool(
        plugin,
        &call,
        &host,
        "propose_prompt",
        json!({"name": "x", "content": "y"}),
    );
    assert!(matches!(
        early_proposal,
        Err(DispatchError::Plugin {
            error: PluginError::Refused(_),
            ..
        })
    ));
    assert!(host.list_changed.lock().expect("lock").is_empty());

    // begin_session without a description is an invalid-params error, and stays gated.
    let missing = call_tool(plugin, &call, &host, "begin_session", json!({}));
    assert!(
        matches!(
            missing,
            Err(DispatchError::Plugin {
                error: PluginError::InvalidParams(_),
                ..
            })
        ),
        "{missing:?}"
    );
    let too_long = "x".repeat(4_001);
    let too_long = call_tool(
        plugin,
        &call,
        &host,
        "begin_session",
        json!({"description": too_long}),
    );
    assert!(matches!(
        too_long,
        Err(DispatchError::Plugin {
            error: PluginError::InvalidParams(_),
            ..
        })
    ));

    // begin_session: the deployment guide ranks first for a deployment task.
    let begun = call_tool(plugin, &call, &host, "begin_session", json!({"description": "Deploy the new release of the checkout service with helm and watch the rollout"}))
    .expect("begin_session");
    let text = result_text(begun);
    let guide = text
        .find("## deployment-guide (priority 7)")
        .unwrap_or_else(|| panic!("guide delivered: {text}"));
    assert!(text.contains("roll back with helm rollback"), "{text}");
    assert!(
        !text.contains("## code-style"),
        "unrelated prompt not quoted: {text}"
    );
    assert!(
        text.contains("Other project prompts (read one with prompts/get): "),
        "{text}"
    );
    assert!(text[guide..].contains("code-style"), "{text}");
    assert_eq!(*host.list_changed.lock().expect("lock"), [session]);

    // Ungated: every tool plus propose_prompt; calls pass through to their server.
    let listed =
        dispatch(plugin, HookPoint::ToolsList, &call, &host, PROJECT_TOOLS).expect("tools/list");
    assert_eq!(
        tool_names(listed),
        [
            "grafana_search_dashboards",
            "grafana_get_alerts",
            "propose_prompt"
        ]
    );
    assert_eq!(
        call_tool(
            plugin,
            &Call {
                server: Some("grafana"),
                ..call
            },
            &host,
            "grafana_get_alerts",
            json!({})
        ),
        Ok(Outcome::PassThrough)
    );

    // A second begin_session delivers again without another list_changed.
    let again = call_tool(
        plugin,
        &call,
        &host,
        "begin_session",
        json!({"description": "Triage the alert that fired on the Grafana dashboard"}),
    )
    .expect("begin_session again");
    assert!(result_text(again).contains("## alert-triage (priority 5)"));
    assert_eq!(host.list_changed.lock().expect("lock").len(), 1);

    // propose_prompt becomes a prompt request through the host.
    let proposed = call_tool(
        plugin,
        &call,
        &host,
        "propose_prompt",
        json!({"name": "canary-first", "content": "Deploy to the canary before the fleet."}),
    )
    .expect("propose_prompt");
    assert!(
        result_text(proposed)
            .contains("mcpctl approve promptrequest canary-first --project monitoring")
    );
    assert_eq!(
        *host.prompt_requests.lock().expect("lock"),
        [(
            "monitoring".to_owned(),
            "canary-first".to_owned(),
            "Deploy to the canary before the fleet.".to_owned()
        )]
    );
    // The host's refusal reaches the model as the tool's error.
    let bad = call_tool(
        plugin,
        &call,
        &host,
        "propose_prompt",
        json!({"name": "Bad Name", "content": "text"}),
    );
    assert_eq!(
        bad,
        Err(DispatchError::Plugin {
            plugin: "gate".into(),
            hook: HookPoint::ToolCallBefore,
            error: PluginError::Host("prompt request name `Bad Name` is not a DNS label".into()),
        })
    );

    // The session ends: its id is gated again (state is per session).
    assert_eq!(
        dispatch(plugin, HookPoint::SessionDestroy, &call, &host, "{}"),
        Ok(Outcome::PassThrough)
    );
    let listed =
        dispatch(plugin, HookPoint::ToolsList, &call, &host, PROJECT_TOOLS).expect("tools/list");
    assert_eq!(tool_names(listed), ["begin_session"]);
}

#[test]
fn sessions_are_gated_independently() {
    let (plugins, _) = load(&["gate"]);
    let plugin = plugins.get("gate").expect("gate");
    let host = prompts_host();
    let (one, two) = (session_id(), session_id());
    let call = |session_id| Call {
        project: "monitoring",
        session_id,
        server: None,
    };
    call_tool(
        plugin,
        &call(one),
        &host,
        "begin_session",
        json!({"description": "deploy with helm"}),
    )
    .expect("begin_session");
    let listed = |s| {
        tool_names(
            dispatch(plugin, HookPoint::ToolsList, &call(s), &host, PROJECT_TOOLS).expect("list"),
        )
    };
    assert_eq!(listed(one).len(), 3);
    assert_eq!(listed(two), ["begin_session"]);
}

#[test]
fn with_no_matching_prompt_the_session_still_begins() {
    let (plugins, _) = load(&["gate"]);
    let plugin = plugins.get("gate").expect("gate");
    let host = prompts_host();
    let call = Call {
        project: "monitoring",
        session_id: session_id(),
        server: None,
    };
    let text = result_text(
        call_tool(
            plugin,
            &call,
            &host,
            "begin_session",
            json!({"description": "zzz qqq"}),
        )
        .expect("begin_session"),
    );
    assert!(
        text.contains("No project prompt matches this task."),
        "{text}"
    );
    assert!(
        text.contains("deployment-guide, alert-triage, code-style"),
        "{text}"
    );
}

#[test]
fn a_plugin_extending_the_gate_keeps_its_refusals_but_lists_every_tool() {
    let (plugins, refused) = load(&["gate", "test-plugin-extends-gate"]);
    assert!(refused.is_empty(), "{refused:?}");
    let plugin = plugins.get("test-extends-gate").expect("test-extends-gate");
    let host = prompts_host();
    let call = Call {
        project: "monitoring",
        session_id: session_id(),
        server: Some("grafana"),
    };
    assert_eq!(
        dispatch(plugin, HookPoint::ToolsList, &call, &host, PROJECT_TOOLS),
        Ok(Outcome::PassThrough),
        "its own onToolsList runs"
    );
    let refused = call_tool(plugin, &call, &host, "grafana_get_alerts", json!({}));
    assert!(
        matches!(refused, Err(DispatchError::Plugin { ref plugin, error: PluginError::Refused(_), .. }) if plugin == "gate"),
        "the inherited onToolCallBefore runs: {refused:?}"
    );
}
