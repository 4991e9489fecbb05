//! The server over STDIO, as mcpd runs it (`mcp-conformance-server --stdio`), driven with
//! raw JSON-RPC lines: requests to the client, progress and logs travel in the one session.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fixture::server_command;

const PATIENCE: Duration = Duration::from_secs(20);

struct StdioClient {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl StdioClient {
    /// Starts the server and completes `initialize` at `2025-11-25`, declaring sampling,
    /// elicitation and roots.
    fn initialized() -> StdioClient {
        let mut client = StdioClient::start();
        let capabilities = json!({"sampling": {}, "elicitation": {}, "roots": {}});
        client.send(&json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": capabilities,
                "clientInfo": {"name": "stdio-test", "version": "1.0.0"},
            },
        }));
        let reply = client.next();
        assert_eq!(reply["id"], 0, "{reply}");
        assert_eq!(reply["result"]["protocolVersion"], "2025-11-25", "{reply}");
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        client
    }

    /// Starts the server without any handshake.
    fn start() -> StdioClient {
        let mut child = server_command()
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let message: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|error| panic!("not JSON on stdout ({error}): {line}"));
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        StdioClient {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(PATIENCE)
            .expect("the server sent nothing")
    }

    /// Calls `tool` and returns what arrived before its result, and the result. A request
    /// from the server is answered with `answer(request)`.
    fn call(
        &mut self,
        id: u64,
        tool: &str,
        params: Value,
        answer: impl Fn(&Value) -> Value,
    ) -> (Vec<Value>, Value) {
        let mut params = params;
        params["name"] = json!(tool);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}));
        let mut before = Vec::new();
        loop {
            let message = self.next();
            if message["id"] == id && message.get("method").is_none() {
                return (before, message);
            }
            if message.get("method").is_some() && message.get("id").is_some() {
                let result = answer(&message);
                self.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": result}));
            }
            before.push(message);
        }
    }
}

impl Drop for StdioClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn result_text(reply: &Value) -> String {
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text result: {reply}"))
        .to_owned()
}

fn no_requests(request: &Value) -> Value {
    panic!("unexpected request from the server: {request}")
}

#[test]
fn sampling_is_a_request_to_the_client_on_the_session() {
    let mut client = StdioClient::initialized();
    let (before, reply) = client.call(
        1,
        "test_sampling",
        json!({"arguments": {"prompt": "What is 2+2?"}}),
        |request| {
            assert_eq!(request["method"], "sampling/createMessage", "{request}");
            let asked = &request["params"]["messages"][0]["content"]["text"];
            assert_eq!(asked, "What is 2+2?", "{request}");
            json!({
                "role": "assistant",
                "content": {"type": "text", "text": "four"},
                "model": "test-model",
                "stopReason": "endTurn",
            })
        },
    );
    assert_eq!(before.len(), 1, "exactly the sampling request: {before:?}");
    assert_eq!(result_text(&reply), "LLM response: four");
}

#[test]
fn a_multi_round_fixture_asks_each_round_on_the_session() {
    let mut client = StdioClient::initialized();
    let (before, reply) = client.call(
        1,
        "test_input_required_result_multi_round",
        json!({"arguments": {}}),
        |request| {
            assert_eq!(request["method"], "elicitation/create", "{request}");
            let message = request["params"]["message"].as_str().unwrap();
            let content = if message.starts_with("Step 1") {
                json!({"name": "Ada"})
            } else {
                json!({"color": "green"})
            };
            json!({"action": "accept", "content": content})
        },
    );
    let asked: Vec<&str> = before
        .iter()
        .map(|request| request["params"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        asked,
        [
            "Step 1: What is your name?",
            "Step 2: What is your favorite color?"
        ]
    );
    assert_eq!(result_text(&reply), "Ada's favorite color is green");
}

#[test]
fn progress_and_logs_arrive_during_the_call() {
    let mut client = StdioClient::initialized();
    let (before, reply) = client.call(
        1,
        "test_tool_with_progress",
        json!({"arguments": {}, "_meta": {"progressToken": "tok-7"}}),
        no_requests,
    );
    let progress: Vec<(f64, &Value)> = before
        .iter()
        .filter(|message| message["method"] == "notifications/progress")
        .map(|message| {
            let params = &message["params"];
            (
                params["progress"].as_f64().unwrap(),
                &params["progressToken"],
            )
        })
        .collect();
    assert_eq!(
        progress,
        [
            (0.0, &json!("tok-7")),
            (50.0, &json!("tok-7")),
            (100.0, &json!("tok-7"))
        ]
    );
    assert!(result_text(&reply).contains("progress"), "{reply}");

    client.send(&json!({
        "jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "warning"},
    }));
    assert_eq!(client.next()["id"], 2);
    let (before, _) = client.call(3, "test_tool_with_logging", json!({}), no_requests);
    assert!(
        before.is_empty(),
        "info logs below `warning` were sent: {before:?}"
    );
    client.send(&json!({
        "jsonrpc": "2.0", "id": 4, "method": "logging/setLevel", "params": {"level": "info"},
    }));
    assert_eq!(client.next()["id"], 4);
    let (before, _) = client.call(5, "test_tool_with_logging", json!({}), no_requests);
    let logged: Vec<&str> = before
        .iter()
        .filter(|message| message["method"] == "notifications/message")
        .map(|message| message["params"]["data"].as_str().unwrap())
        .collect();
    assert_eq!(
        logged,
        [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );
}

#[test]
fn on_2026_07_28_the_questions_come_back_in_the_result() {
    let mut client = StdioClient::start();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "stdio-test", "version": "1.0.0"},
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
    });
    let (before, first) = client.call(
        1,
        "test_input_required_result_request_state",
        json!({"arguments": {}, "_meta": meta}),
        no_requests,
    );
    assert!(before.is_empty(), "{before:?}");
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    assert_eq!(
        result["inputRequests"]["confirm"]["method"],
        "elicitation/create"
    );
    let state = result["requestState"].as_str().unwrap().to_owned();

    let answer = json!({"confirm": {"action": "accept", "content": {"ok": true}}});
    let (_, tampered) = client.call(
        2,
        "test_input_required_result_request_state",
        json!({"arguments": {}, "_meta": meta, "inputResponses": answer,
               "requestState": format!("{state}x")}),
        no_requests,
    );
    assert_eq!(tampered["error"]["code"], -32602, "{tampered}");
    let (_, done) = client.call(
        3,
        "test_input_required_result_request_state",
        json!({"arguments": {}, "_meta": meta, "inputResponses": answer, "requestState": state}),
        no_requests,
    );
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    assert!(result_text(&done).starts_with("state-ok"), "{done}");
}
