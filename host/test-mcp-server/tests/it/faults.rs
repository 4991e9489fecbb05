//! The fault switches and the `crash` tool.

use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use serde_json::json;

use crate::client::{RecordingClient, call_text, connect, try_call};
use crate::process::{ServerProcess, server_command};

#[tokio::test]
async fn crash_tool_kills_the_process_with_code_3() {
    let mut server = ServerProcess::spawn(server_command());
    let client = connect(server.stdio()).await;
    let answer = try_call(&client, "crash", json!({})).await;
    assert!(answer.is_err(), "crash answered: {answer:?}");
    assert_eq!(server.exit_code().await, 3);
}

#[tokio::test]
async fn hang_initialize_never_answers_but_keeps_the_connection() {
    let mut command = server_command();
    command.arg("--hang-initialize");
    let mut server = ServerProcess::spawn(command);
    let initialize = RecordingClient::default().serve(server.stdio());
    let outcome = tokio::time::timeout(Duration::from_secs(2), initialize).await;
    assert!(outcome.is_err(), "initialize was answered");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
    // The abandoned initialize dropped the client's end of the pipes: the server sees its
    // stdin close and ends.
    assert_eq!(server.exit_code().await, 0);
}

#[tokio::test]
async fn exit_after_ms_serves_then_exits_with_code_1() {
    let started = Instant::now();
    let mut command = server_command();
    command.args(["--exit-after-ms", "1500"]);
    let mut server = ServerProcess::spawn(command);
    let client = connect(server.stdio()).await;
    assert_eq!(
        call_text(&client, "echo", json!({"text": "up"})).await,
        "up"
    );
    assert_eq!(server.exit_code().await, 1);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    server
        .stderr
        .wait_for(|line| line.contains("--exit-after-ms"))
        .await;
}

#[tokio::test]
async fn exit_immediately_exits_with_code_1_after_the_stderr_lines() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-test-server"))
        .args(["--exit-immediately", "--stderr-lines", "2"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("stderr line 1 of 2\nstderr line 2 of 2\n"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn sse_transport_is_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-test-server"))
        .args(["--transport", "sse", "--port", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
