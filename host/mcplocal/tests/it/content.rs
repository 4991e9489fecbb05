//! Content pipelines through mcplocal's whole app, as a client sees them: a project whose
//! `proxyModel` names a pipeline (`subindex`: section-split → summarize-tree) gets a table of
//! contents and drills into a section with `_resultId` + `_section`; a local ProxyModel with
//! a JS stage from `$MCPCTL_HOME/stages/` redacts `*_KEY=` values, and an edit of the stage
//! takes effect in the open session without a restart.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::{Backend, Mcpd};

use crate::support::{Api, call, connect, serve_mcplocal, text, within};

/// A JSON array of `n` devices, each a few hundred bytes.
fn devices(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "name": format!("device-{i}"),
                "state": if i % 3 == 0 { "on" } else { "off" },
                "attributes": {"room": format!("room {}", i % 7), "notes": "x".repeat(300)},
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pipeline_project_gets_a_table_of_contents_and_drills_down() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let home = tempfile::tempdir().unwrap();
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.echo_project("house", "subindex").await;
        let base = serve_mcplocal(&mcpd.url, Some(home.path())).await;
        let client = connect(&format!("{base}/projects/house/mcp")).await;

        let document = devices(120);
        let result = client
            .call_tool(call("echo", json!({"text": document})))
            .await
            .unwrap();
        let toc = text(&result);
        assert!(
            toc.len() < document.len(),
            "not condensed: {} of {} chars:\n{}",
            toc.len(),
            document.len(),
            &toc[..toc.len().min(2500)]
        );
        assert!(toc.contains("sections (json)"), "{toc}");
        let result_id = toc
            .split_whitespace()
            .find(|word| word.starts_with("pm-"))
            .map(|id| id.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
            .unwrap_or_else(|| panic!("no _resultId in {toc}"))
            .to_owned();
        // The first section's id, from its `[id]` line.
        let section = toc
            .lines()
            .find_map(|line| {
                let line = line.trim_start();
                line.strip_prefix('[')
                    .and_then(|rest| rest.split_once(']'))
                    .map(|(id, _)| id.to_owned())
            })
            .unwrap_or_else(|| panic!("no section line in {toc}"));

        let drilled = client
            .call_tool(call(
                "echo",
                json!({"_resultId": result_id, "_section": section}),
            ))
            .await
            .unwrap();
        let content = text(&drilled);
        assert_ne!(drilled.is_error, Some(true), "{content}");
        assert!(content.contains("device-0"), "{content}");
        assert!(
            content.len() < document.len(),
            "the section is the whole document"
        );

        let unknown = client
            .call_tool(call(
                "echo",
                json!({"_resultId": "pm-nope", "_section": "x"}),
            ))
            .await
            .unwrap();
        assert_eq!(unknown.is_error, Some(true));
        assert!(text(&unknown).contains("pm-nope"), "{}", text(&unknown));

        // Small results pass as they are.
        let small = client
            .call_tool(call("echo", json!({"text": "short"})))
            .await
            .unwrap();
        assert_eq!(text(&small), "short");

        let listed: Value = reqwest::get(format!("{base}/proxymodels"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kinds: Vec<(String, String)> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["name"].as_str().unwrap_or("").to_owned(),
                    i["kind"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        assert!(
            kinds.contains(&("subindex".into(), "pipeline".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("gate".into(), "plugin".into())),
            "{kinds:?}"
        );
        client.cancel().await.unwrap();
    })
    .await;
}

const REDACT_V1: &str = "export default async function (content, ctx) {
  const redacted = content.replace(/([A-Z_]+_KEY)=\\S+/g, '$1=***');
  ctx.log.info(`redacted ${content.length - redacted.length} chars`);
  return { content: redacted };
}
";

const REDACT_V2: &str = "export default async function (content, ctx) {
  return { content: content.replace(/([A-Z_]+_KEY)=\\S+/g, '$1=[removed]') };
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_js_stage_redacts_keys_and_reloads_while_the_session_stays_open() {
    let mcpd = Mcpd::start(Backend::Sqlite);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("stages")).unwrap();
    std::fs::create_dir_all(home.path().join("proxymodels")).unwrap();
    std::fs::write(home.path().join("stages/redact-keys.js"), REDACT_V1).unwrap();
    std::fs::write(
        home.path().join("proxymodels/secure.yaml"),
        "kind: ProxyModel\nmetadata:\n  name: secure\nspec:\n  stages:\n    - type: redact-keys\n",
    )
    .unwrap();
    within(120, async {
        let api = Api::new(&mcpd.url);
        api.echo_project("vault", "secure").await;
        let base = serve_mcplocal(&mcpd.url, Some(home.path())).await;
        let stages: Value = reqwest::get(format!("{base}/proxymodels/stages"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            stages
                .as_array()
                .unwrap()
                .contains(&json!({"name": "redact-keys", "source": "local"})),
            "{stages}"
        );
        let client = connect(&format!("{base}/projects/vault/mcp")).await;
        let leaked = "config: API_KEY=sk-123 DB_HOST=db OTHER_KEY=abc";
        let result = client
            .call_tool(call("echo", json!({"text": leaked})))
            .await
            .unwrap();
        assert_eq!(
            text(&result),
            "config: API_KEY=*** DB_HOST=db OTHER_KEY=***"
        );

        // A new version of the stage, picked up by the watcher: the same session sees it.
        std::fs::write(home.path().join("stages/redact-keys.js"), REDACT_V2).unwrap();
        let written = Instant::now();
        loop {
            let result = client
                .call_tool(call("echo", json!({"text": leaked})))
                .await
                .unwrap();
            if text(&result) == "config: API_KEY=[removed] DB_HOST=db OTHER_KEY=[removed]" {
                break;
            }
            assert!(
                written.elapsed() < Duration::from_secs(10),
                "the edited stage never took effect: {}",
                text(&result)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let reloaded: Value = reqwest::Client::new()
            .post(format!("{base}/proxymodels/reload"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(reloaded["loaded"].as_u64().unwrap() >= 1, "{reloaded}");
        client.cancel().await.unwrap();
    })
    .await;
}
