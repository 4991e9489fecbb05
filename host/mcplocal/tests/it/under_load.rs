//! Correctness under load: many client sessions of one project through mcplocal's HTTP app,
//! multiplexed over one shared upstream, each get exactly their own answers.

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::{Value, json};
use test_support::{Backend, Mcpd};
use tokio::sync::Barrier;

use crate::support::{Api, call, connect, echo_server, serve_mcplocal, text, within};

/// Client sessions calling at once.
const SESSIONS: usize = 32;
/// Calls per session, sent `IN_FLIGHT` at a time.
const CALLS: usize = 50;
const IN_FLIGHT: usize = 5;

/// What one session saw: the upstream's `whoami` and every echo answer that was not its own.
struct SessionReport {
    whoami: String,
    wrong: Vec<(String, String)>,
}

async fn one_session(endpoint: String, session: usize, start: Arc<Barrier>) -> SessionReport {
    let client = connect(&endpoint).await;
    let whoami = text(&client.call_tool(call("whoami", json!({}))).await.unwrap());
    // Every session is connected and warm before any sends its payloads.
    start.wait().await;
    let mut wrong = Vec::new();
    for wave in 0..CALLS / IN_FLIGHT {
        let calls = (0..IN_FLIGHT).map(|k| {
            let expected = format!("session-{session}-call-{}", wave * IN_FLIGHT + k);
            let client = &client;
            async move {
                let result = client
                    .call_tool(call("echo", json!({ "text": expected.clone() })))
                    .await
                    .unwrap_or_else(|e| panic!("session {session}: {expected} failed: {e}"));
                assert_ne!(
                    result.is_error,
                    Some(true),
                    "session {session}: {expected}: {result:?}"
                );
                (expected, text(&result))
            }
        });
        for (expected, answer) in join_all(calls).await {
            if answer != expected {
                wrong.push((expected, answer));
            }
        }
    }
    client.cancel().await.unwrap();
    SessionReport { whoami, wrong }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_reply_reaches_the_session_that_asked() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    within(180, async {
        let api = Api::new(&mcpd.url);
        // One STDIO process, shared by every session (sessionMode shared, the default).
        api.create("servers", echo_server()).await;
        api.create(
            "projects",
            json!({
                "name": "busy",
                "servers": ["echo"],
                "proxyModel": "content-pipeline",
                "prefixMode": "never",
            }),
        )
        .await;
        api.wait_running("echo").await;
        let base = serve_mcplocal(&mcpd.url, None).await;
        let endpoint = format!("{base}/projects/busy/mcp");

        let start = Arc::new(Barrier::new(SESSIONS));
        let sessions = (0..SESSIONS)
            .map(|i| tokio::spawn(one_session(endpoint.clone(), i, start.clone())))
            .collect::<Vec<_>>();
        let mut reports = Vec::new();
        for session in join_all(sessions).await {
            reports.push(session.unwrap());
        }

        let misrouted: Vec<&(String, String)> = reports.iter().flat_map(|r| &r.wrong).collect();
        assert!(
            misrouted.is_empty(),
            "{} of {} replies reached the wrong session (expected, got): {:?}",
            misrouted.len(),
            SESSIONS * CALLS,
            &misrouted[..misrouted.len().min(10)]
        );
        // They all went through the one upstream process mcpd runs.
        let instances: Value = reqwest::get(format!("{}/api/v1/instances?server=echo", mcpd.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = instances["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{instances}");
        let pid = items[0]["containerId"].as_str().unwrap();
        for report in &reports {
            assert!(
                report.whoami.ends_with(&format!("pid={pid}")),
                "a session was served by {}, not the one instance (pid {pid})",
                report.whoami
            );
        }
    })
    .await;
}
