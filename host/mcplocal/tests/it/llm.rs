//! `GET /llm/providers` and `PUT /llm/preferred`: the providers of `config.yaml`, their
//! status without keys, and switching the preferred provider at run time.

use serde_json::{Value, json};

use crate::support::serve_mcplocal;

const CONFIG: &str = "
llm:
  - name: local-fast
    type: openai-compatible
    baseUrl: http://127.0.0.1:9/v1
    model: small-model
    tier: fast
  - name: backup
    type: openai-compatible
    baseUrl: http://127.0.0.1:9/v1
    model: other-model
    tier: fast
    apiKeyEnv: MCPLOCAL_TEST_NO_SUCH_KEY
";

async fn serve(home: &std::path::Path) -> String {
    serve_mcplocal("http://127.0.0.1:9", Some(home)).await
}

async fn put(url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .put(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_are_listed_and_the_preferred_one_switches_at_run_time() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.yaml"), CONFIG).unwrap();
    let base = serve(home.path()).await;
    let status: Value = reqwest::get(format!("{base}/llm/providers"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = status["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["local-fast", "backup"], "{status:#}");
    assert_eq!(status["providers"][0]["model"], "small-model");
    assert!(status.get("configError").is_none(), "{status:#}");

    let (code, answer) = put(
        &format!("{base}/llm/preferred"),
        json!({"tier": "fast", "provider": "backup"}),
    )
    .await;
    assert_eq!(code, 200, "{answer:#}");
    assert_eq!(answer["preferred"]["fast"], "backup", "{answer:#}");

    let (code, answer) = put(
        &format!("{base}/llm/preferred"),
        json!({"tier": "fast", "provider": "nobody"}),
    )
    .await;
    assert_eq!(code, 422, "{answer:#}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("nobody") && message.contains("backup"),
        "{message}"
    );

    let (code, answer) = put(&format!("{base}/llm/preferred"), json!({"tier": "slow"})).await;
    assert_eq!(code, 400, "{answer:#}");

    let (code, answer) = put(
        &format!("{base}/llm/preferred"),
        json!({"tier": "fast", "provider": null}),
    )
    .await;
    assert_eq!(code, 200, "{answer:#}");
    assert!(answer["preferred"].get("fast").is_none(), "{answer:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_llm_section_is_reported_not_fatal() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.yaml"),
        "llm:\n  - name: x\n    type: openai-compatible\n    model: m\n    apiKey: sk-secret\n",
    )
    .unwrap();
    let base = serve(home.path()).await;
    let status: Value = reqwest::get(format!("{base}/llm/providers"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["providers"], json!([]), "{status:#}");
    let error = status["configError"].as_str().unwrap();
    assert!(error.contains("apiKey"), "{error}");
    assert!(!error.contains("sk-secret"), "the key leaked: {error}");
    let health: Value = reqwest::get(format!("{base}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}
