//! The server over STDIO.

use serde_json::json;

use crate::checks;
use crate::client::{call_text, connect};
use crate::process::{ServerProcess, server_command};

#[tokio::test]
async fn every_tool_resource_and_prompt_answers() {
    let mut server = ServerProcess::spawn(server_command());
    let client = connect(server.stdio()).await;
    checks::tool_list(&client).await;
    checks::echo_and_add(&client).await;
    checks::sleep_and_big(&client).await;
    checks::resource_and_prompt(&client).await;
}

#[tokio::test]
async fn progress_logging_and_sampling_reach_the_client() {
    let mut server = ServerProcess::spawn(server_command());
    let client = connect(server.stdio()).await;
    checks::progress_notifications(&client).await;
    checks::logging_notification(&client).await;
    checks::sampling_relay(&client).await;
}

#[tokio::test]
async fn whoami_and_env_show_the_process_environment() {
    let mut command = server_command();
    command
        .env("MCP_TEST_INSTANCE", "replica-7")
        .env("TEST_SECRET", "s3cr3t")
        .env_remove("TEST_UNSET_VARIABLE");
    let mut server = ServerProcess::spawn(command);
    let pid = server.child.id().unwrap();
    let client = connect(server.stdio()).await;
    assert_eq!(
        call_text(&client, "whoami", json!({})).await,
        format!("instance=replica-7 pid={pid}")
    );
    assert_eq!(
        call_text(&client, "env", json!({"name": "TEST_SECRET"})).await,
        "s3cr3t"
    );
    assert_eq!(
        call_text(&client, "env", json!({"name": "TEST_UNSET_VARIABLE"})).await,
        "<unset>"
    );
}

#[tokio::test]
async fn whoami_falls_back_to_the_hostname() {
    let mut command = server_command();
    command.env_remove("MCP_TEST_INSTANCE");
    let mut server = ServerProcess::spawn(command);
    let client = connect(server.stdio()).await;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(
        call_text(&client, "whoami", json!({})).await,
        format!(
            "instance={} pid={}",
            hostname.trim(),
            server.child.id().unwrap()
        )
    );
}

#[tokio::test]
async fn stderr_has_the_numbered_lines_and_one_line_per_tool_call() {
    let mut command = server_command();
    command.args(["--stderr-lines", "3"]);
    let mut server = ServerProcess::spawn(command);
    let client = connect(server.stdio()).await;
    call_text(&client, "echo", json!({"text": "logged call"})).await;
    server
        .stderr
        .wait_for(|line| line == r#"tool call: echo {"text":"logged call"}"#)
        .await;
    let lines = server.stderr.lines();
    assert_eq!(
        lines[..3],
        [
            "stderr line 1 of 3",
            "stderr line 2 of 3",
            "stderr line 3 of 3"
        ]
    );
}

#[tokio::test]
async fn the_server_exits_when_the_client_closes_stdin() {
    let mut server = ServerProcess::spawn(server_command());
    let client = connect(server.stdio()).await;
    client.cancel().await.unwrap();
    assert_eq!(server.exit_code().await, 0);
}

#[tokio::test]
async fn extra_tools_are_listed_and_echo_their_text() {
    let mut command = server_command();
    command.args(["--extra-tools", "30"]);
    let mut server = ServerProcess::spawn(command);
    let client = connect(server.stdio()).await;
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect();
    assert_eq!(names.len(), 40, "{names:?}");
    for n in 1..=30 {
        assert!(
            names.contains(&format!("extra_{n}")),
            "extra_{n} in {names:?}"
        );
    }
    assert!(names.contains(&"echo".to_owned()));
    assert_eq!(
        call_text(&client, "extra_17", json!({"text": "wide list"})).await,
        "wide list"
    );
}

#[tokio::test]
async fn too_many_extra_tools_are_refused() {
    let mut command = server_command();
    command.args(["--extra-tools", "5001"]);
    let mut server = ServerProcess::spawn(command);
    assert_eq!(server.exit_code().await, 2);
}
