//! The server over streamable HTTP.

use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;

use crate::checks;
use crate::client::{RecordingClient, connect};
use crate::process::{ServerProcess, server_command};

/// Starts the server on a free port and returns it with its endpoint URL.
async fn start(extra_args: &[&str]) -> (ServerProcess, String) {
    let mut command = server_command();
    command
        .args(["--transport", "streamable-http", "--port", "0"])
        .args(extra_args);
    let server = ServerProcess::spawn(command);
    let port = server.stderr.listening_port().await;
    (server, format!("http://127.0.0.1:{port}/mcp"))
}

#[tokio::test]
async fn tools_resource_and_prompt_over_http() {
    let (_server, url) = start(&[]).await;
    let client = connect(StreamableHttpClientTransport::from_uri(url)).await;
    checks::tool_list(&client).await;
    checks::echo_and_add(&client).await;
    checks::sleep_and_big(&client).await;
    checks::resource_and_prompt(&client).await;
}

#[tokio::test]
async fn progress_logging_and_sampling_over_http() {
    let (_server, url) = start(&[]).await;
    let client = connect(StreamableHttpClientTransport::from_uri(url)).await;
    checks::progress_notifications(&client).await;
    checks::logging_notification(&client).await;
    checks::sampling_relay(&client).await;
}

#[tokio::test]
async fn hang_initialize_over_http_times_out() {
    let (server, url) = start(&["--hang-initialize"]).await;
    let initialize = RecordingClient::default().serve(StreamableHttpClientTransport::from_uri(url));
    let outcome = tokio::time::timeout(Duration::from_secs(2), initialize).await;
    assert!(outcome.is_err(), "initialize was answered");
    server
        .stderr
        .wait_for(|line| line.contains("never answering"))
        .await;
}
