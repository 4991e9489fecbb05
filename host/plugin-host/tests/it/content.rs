//! The content-pipeline plugin hands tool results, prompts and resources to the host's
//! pipeline, and reports what it made of them.

use plugin_host::{Call, ContentKind, HookPoint, Outcome};

use crate::support::{TestHost, load, session_id};

#[test]
fn tool_results_prompts_and_resources_go_through_the_hosts_pipeline() {
    let (plugins, refused) = load(&["gate", "content-pipeline", "default"]);
    assert!(refused.is_empty(), "{refused:?}");
    let plugin = plugins.get("default").expect("default");
    let call = Call {
        project: "docs",
        session_id: session_id(),
        server: Some("wiki"),
    };

    // The pass-through pipeline of today's host leaves everything as it is.
    let passing = TestHost::default();
    let message = r#"{"request":{"name":"wiki_search"},"result":{"content":[{"type":"text","text":"hello"}]}}"#;
    assert_eq!(
        plugin.dispatch(HookPoint::ToolCallAfter, &call, &passing, message),
        Ok(Outcome::PassThrough)
    );
    assert_eq!(
        *passing.pipeline_calls.lock().expect("lock"),
        [(ContentKind::ToolResult, "wiki_search".to_owned())]
    );

    // A pipeline that changes content: the plugin returns what it made.
    let changing = TestHost {
        pipeline_suffix: Some(" ".into()),
        ..TestHost::default()
    };
    let out = plugin.dispatch(HookPoint::ToolCallAfter, &call, &changing, message);
    assert_eq!(
        out,
        Ok(Outcome::Modified(
            r#"{"content":[{"type":"text","text":"hello"}]} "#.into()
        ))
    );
    plugin
        .dispatch(
            HookPoint::PromptGet,
            &call,
            &changing,
            r#"{"request":{"name":"guide"},"result":{"messages":[]}}"#,
        )
        .expect("prompt get");
    plugin
        .dispatch(
            HookPoint::ResourceRead,
            &call,
            &changing,
            r#"{"request":{"uri":"wiki://page/1"},"result":{"contents":[]}}"#,
        )
        .expect("resource read");
    assert_eq!(
        changing.pipeline_calls.lock().expect("lock")[1..],
        [
            (ContentKind::Prompt, "guide".to_owned()),
            (ContentKind::Resource, "wiki://page/1".to_owned())
        ]
    );

    // A message that is not JSON is the plugin's error, not a crash.
    let bad = plugin.dispatch(HookPoint::ToolCallAfter, &call, &passing, "not json");
    assert!(bad.is_err(), "{bad:?}");
}
