//! Running `mcp-conformance-server` as a child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the server may take to print its `listening on` line.
const START_PATIENCE: Duration = Duration::from_secs(20);

pub fn server_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mcp-conformance-server"))
}

/// The server on a free loopback port; killed when dropped.
pub struct HttpFixture {
    child: Child,
    pub url: String,
}

impl HttpFixture {
    pub fn start() -> HttpFixture {
        let mut child = server_command()
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(START_PATIENCE)
            .expect("the server printed no `listening on` line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
            "{url}"
        );
        HttpFixture { child, url }
    }
}

impl Drop for HttpFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
