//! Running the server (or `docker run` of it) as a child process with its stderr recorded.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a test waits for a line, an exit or an answer before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn server_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mcp-test-server"))
}

/// A child with piped stdio; killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub stderr: StderrLog,
}

impl ServerProcess {
    pub fn spawn(mut command: Command) -> ServerProcess {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stderr = StderrLog::record(child.stderr.take().unwrap());
        ServerProcess { child, stderr }
    }

    /// The MCP channel of a STDIO server: (its stdout, its stdin).
    pub fn stdio(&mut self) -> (ChildStdout, ChildStdin) {
        (
            self.child.stdout.take().unwrap(),
            self.child.stdin.take().unwrap(),
        )
    }

    /// Waits for the process to exit and returns its exit code.
    pub async fn exit_code(&mut self) -> i32 {
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit; stderr:\n{}", self.stderr))
            .unwrap();
        status.code().unwrap()
    }
}

/// Every line the child wrote to stderr so far.
#[derive(Clone, Default)]
pub struct StderrLog(Arc<Mutex<Vec<String>>>);

impl StderrLog {
    fn record(stderr: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> StderrLog {
        let log = StderrLog::default();
        let lines = log.0.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                lines.lock().unwrap().push(line);
            }
        });
        log
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The first line that `wanted` accepts, waiting for it to be written.
    pub async fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.lines().into_iter().find(|line| wanted(line)) {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the awaited line never came; stderr:\n{self}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The port of the `listening on http://ADDR:PORT/mcp` line.
    pub async fn listening_port(&self) -> u16 {
        let line = self
            .wait_for(|line| line.starts_with("listening on http://"))
            .await;
        let address = line
            .trim_start_matches("listening on http://")
            .trim_end_matches("/mcp");
        address.rsplit_once(':').unwrap().1.parse().unwrap()
    }
}

impl std::fmt::Display for StderrLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}
