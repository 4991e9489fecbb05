//! The Docker image from `test_support::test_server_image`, run locked down.

use serde_json::json;
use tokio::process::Command;

use crate::checks;
use crate::client::{call_text, connect};
use crate::process::ServerProcess;

/// The port the server listens on inside the container.
const CONTAINER_PORT: &str = "8080";

/// Removes the container when the test ends, however it ends.
struct ContainerGuard(String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "--force", &self.0])
            .output();
    }
}

/// `docker run` with the restrictions the runtime will use; `run_args` go before the image,
/// `server_args` after it.
fn docker_run(name: &str, run_args: &[&str], server_args: &[&str]) -> Command {
    let image = test_support::test_server_image();
    let mut command = Command::new("docker");
    command
        .args(["run", "--rm", "--name", name])
        .args(["--cap-drop", "ALL", "--security-opt", "no-new-privileges"])
        .arg("--read-only")
        .args(run_args)
        .arg(image)
        .args(server_args);
    command
}

#[tokio::test]
async fn image_serves_stdio_without_network_or_privileges() {
    let name = format!("mcp-test-server-it-{}", test_support::unique_suffix());
    let _guard = ContainerGuard(name.clone());
    let command = docker_run(
        &name,
        &[
            "-i",
            "--network",
            "none",
            "-e",
            "MCP_TEST_INSTANCE=in-container",
        ],
        &[],
    );
    let mut server = ServerProcess::spawn(command);
    let client = connect(server.stdio()).await;
    assert_eq!(
        call_text(&client, "echo", json!({"text": "from a container"})).await,
        "from a container"
    );
    let whoami = call_text(&client, "whoami", json!({})).await;
    assert!(whoami.starts_with("instance=in-container pid="), "{whoami}");
    assert_eq!(
        call_text(&client, "env", json!({"name": "HOME"})).await,
        "/nonexistent",
        "runs as nobody: docker takes HOME from the image's /etc/passwd"
    );
    client.cancel().await.unwrap();
    assert_eq!(server.exit_code().await, 0);
}

#[tokio::test]
async fn image_serves_streamable_http_on_a_published_port() {
    let name = format!("mcp-test-server-it-{}", test_support::unique_suffix());
    let _guard = ContainerGuard(name.clone());
    let publish = format!("127.0.0.1::{CONTAINER_PORT}");
    let command = docker_run(
        &name,
        &["--publish", &publish],
        &["--transport", "streamable-http", "--port", CONTAINER_PORT],
    );
    let server = ServerProcess::spawn(command);
    server.stderr.listening_port().await;
    let published = std::process::Command::new("docker")
        .args(["port", &name, &format!("{CONTAINER_PORT}/tcp")])
        .output()
        .unwrap();
    let published = String::from_utf8(published.stdout).unwrap();
    let address = published
        .lines()
        .find(|line| line.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no loopback port in `docker port`: {published}"));
    let url = format!("http://{address}/mcp");
    let client = connect(rmcp::transport::StreamableHttpClientTransport::from_uri(
        url,
    ))
    .await;
    checks::echo_and_add(&client).await;
    checks::sampling_relay(&client).await;
}
