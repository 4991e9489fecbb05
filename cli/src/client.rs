//! Talking HTTP to mcpd: one blocking call per request, errors turned into one readable line.

use std::error::Error as _;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url, header};
use serde::Deserialize;
use serde_json::Value;

/// How long one request may take, connection included. A followed log stream has no total
/// limit: only its connection must be made within this time.
pub const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid mcpd URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error(
        "cannot reach mcpd at {url} ({reason}); start it with 'mcpd' or point mcpctl at it with 'mcpctl login --mcpd-url URL'"
    )]
    Unreachable { url: String, reason: String },
    #[error("mcpd at {url} did not answer within {} s", TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("{}", .0.message)]
    Api(ApiError),
    #[error("unexpected answer from {url} (HTTP {status}): {detail}")]
    BadResponse {
        url: String,
        status: u16,
        detail: String,
    },
    /// A streamed answer (logs) that stopped half-way: mcpd went away or the network broke.
    #[error("the answer from mcpd at {url} broke off ({reason})")]
    BrokenStream { url: String, reason: String },
    #[error("cannot start the HTTP client: {0}")]
    Setup(String),
}

impl ClientError {
    /// The error mcpd answered with, if it answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(api) => Some(api),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(|a| a.status == 404)
    }
}

/// The `{"error": {...}}` body mcpd sends with every failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    pub status: u16,
    #[serde(default)]
    pub reason: String,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ApiError,
}

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    /// Resource documents as the user wrote them (YAML or JSON text).
    Yaml(String),
}

/// A blocking HTTP client for one mcpd.
#[derive(Debug)]
pub struct Client {
    base: Url,
    base_text: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client for the mcpd at `base_url` (already checked by the config).
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let base = Url::parse(base_url).map_err(|e| ClientError::InvalidUrl {
            url: base_url.to_owned(),
            reason: e.to_string(),
        })?;
        if base.cannot_be_a_base() {
            return Err(ClientError::InvalidUrl {
                url: base_url.to_owned(),
                reason: "not an http:// address".to_owned(),
            });
        }
        // No total timeout on the client: `send` sets one per request, `stream` only when
        // asked to (a followed log stream stays open as long as the user wants).
        let http = reqwest::Client::builder()
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("mcpctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Client {
            base,
            base_text: base_url.trim_end_matches('/').to_owned(),
            http,
            runtime,
        })
    }

    /// The mcpd address, as given.
    pub fn base_url(&self) -> &str {
        &self.base_text
    }

    /// The URL of `segments` under the base, with `query` pairs; segments are escaped.
    pub fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends one request and returns the JSON body of a success (`Null` when empty).
    pub fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Value, ClientError> {
        let url = self.url(segments, query);
        let mut request = self
            .http
            .request(method, url)
            .timeout(TIMEOUT)
            .header(header::ACCEPT, "application/json");
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(&value),
            Body::Yaml(text) => request
                .header(header::CONTENT_TYPE, "application/yaml")
                .body(text),
        };
        let (status, text) = self
            .runtime
            .block_on(async {
                let response = request.send().await?;
                let status = response.status();
                let text = response.text().await?;
                Ok((status, text))
            })
            .map_err(|e| self.transport_error(&e))?;
        self.read_answer(status, &text)
    }

    /// GETs a text answer and hands each piece of its body to `sink` as it arrives. With a
    /// `timeout` the whole exchange must finish within it; without one the answer may stream
    /// for as long as mcpd keeps it open (only the connection must be made within
    /// [`TIMEOUT`]). A failure status is read as mcpd's error, like [`Client::send`] does.
    pub fn stream<E>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        timeout: Option<Duration>,
        mut sink: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<ClientError>,
    {
        let url = self.url(segments, query);
        let mut request = self
            .http
            .get(url)
            .header(header::ACCEPT, "text/plain, application/json");
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        self.runtime.block_on(async {
            let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
            let status = response.status();
            if !status.is_success() {
                let text = response
                    .text()
                    .await
                    .map_err(|e| self.transport_error(&e))?;
                return Err(self.error_answer(status, &text).into());
            }
            while let Some(chunk) = response.chunk().await.map_err(|e| self.broken_stream(&e))? {
                sink(&chunk)?;
            }
            Ok(())
        })
    }

    fn read_answer(&self, status: StatusCode, text: &str) -> Result<Value, ClientError> {
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(text).map_err(|e| self.bad_response(status, &e));
        }
        Err(self.error_answer(status, text))
    }

    /// The error a failure status stands for: mcpd's own, or what else came back.
    fn error_answer(&self, status: StatusCode, text: &str) -> ClientError {
        match serde_json::from_str::<ErrorBody>(text) {
            Ok(body) => ClientError::Api(body.error),
            Err(_) => self.bad_response(status, &first_line(text)),
        }
    }

    /// A body that failed after its head arrived.
    fn broken_stream(&self, error: &reqwest::Error) -> ClientError {
        if error.is_timeout() {
            return ClientError::Timeout {
                url: self.base_text.clone(),
            };
        }
        ClientError::BrokenStream {
            url: self.base_text.clone(),
            reason: root_cause(error),
        }
    }

    fn bad_response(&self, status: StatusCode, detail: &dyn std::fmt::Display) -> ClientError {
        ClientError::BadResponse {
            url: self.base_text.clone(),
            status: status.as_u16(),
            detail: detail.to_string(),
        }
    }

    fn transport_error(&self, error: &reqwest::Error) -> ClientError {
        let url = self.base_text.clone();
        if error.is_timeout() {
            return ClientError::Timeout { url };
        }
        ClientError::Unreachable {
            url,
            reason: root_cause(error),
        }
    }
}

/// The most telling part of a transport error: the I/O error kind (`connection refused`) when
/// there is one, else the innermost message.
fn root_cause(error: &reqwest::Error) -> String {
    let mut innermost = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::Other => io.to_string(),
                kind => kind.to_string(),
            };
        }
        innermost = cause.to_string();
        source = cause.source();
    }
    innermost
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line: String = line.chars().take(200).collect();
    if line.is_empty() {
        line = "empty body".to_owned();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_segments_and_keep_a_base_path() {
        let client = Client::new("http://127.0.0.1:3000/mcpd/").expect("client");
        let url = client.url(
            &["api", "v1", "servers", "a b/c"],
            &[("project", "p".into())],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:3000/mcpd/api/v1/servers/a%20b%2Fc?project=p"
        );
        assert_eq!(client.base_url(), "http://127.0.0.1:3000/mcpd");
    }

    #[test]
    fn error_bodies_become_api_errors() {
        let client = Client::new("http://127.0.0.1:3000").expect("client");
        let body = r#"{"error": {"status": 422, "reason": "Invalid", "message": "servers[1].replicas: too many", "field": "servers[1].replicas"}}"#;
        let err = client
            .read_answer(StatusCode::UNPROCESSABLE_ENTITY, body)
            .expect_err("error");
        assert_eq!(err.to_string(), "servers[1].replicas: too many");
        assert_eq!(err.api().map(|a| a.status), Some(422));
        let err = client
            .read_answer(StatusCode::BAD_GATEWAY, "<html>\nbad gateway</html>")
            .expect_err("error");
        assert_eq!(
            err.to_string(),
            "unexpected answer from http://127.0.0.1:3000 (HTTP 502): <html>"
        );
    }

    /// Serves one HTTP request on a local port: `head` (status line and headers), then each
    /// of `pieces` as a chunk, `pause` apart. Returns the base URL.
    fn serve_once(head: &'static str, pieces: &'static [&'static str], pause: Duration) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            let (socket, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(socket.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut socket = socket;
            let _ = socket.write_all(head.as_bytes());
            for piece in pieces {
                std::thread::sleep(pause);
                let _ = write!(socket, "{:x}\r\n{piece}\r\n", piece.len());
                let _ = socket.flush();
            }
            let _ = socket.write_all(b"0\r\n\r\n");
        });
        format!("http://127.0.0.1:{port}")
    }

    const CHUNKED: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";

    fn collect(client: &Client, timeout: Option<Duration>) -> Result<Vec<String>, ClientError> {
        let mut pieces = Vec::new();
        client.stream(&["logs"], &[], timeout, |chunk| {
            pieces.push(String::from_utf8_lossy(chunk).into_owned());
            Ok::<(), ClientError>(())
        })?;
        Ok(pieces)
    }

    #[test]
    fn streams_arrive_piece_by_piece_and_have_no_total_limit_unless_asked() {
        let pause = Duration::from_millis(300);
        let url = serve_once(CHUNKED, &["one\n", "two\n", "three\n"], pause);
        let client = Client::new(&url).expect("client");
        let pieces = collect(&client, None).expect("streamed");
        assert_eq!(pieces.concat(), "one\ntwo\nthree\n");
        assert!(pieces.len() >= 2, "not streamed: {pieces:?}");

        let url = serve_once(CHUNKED, &["one\n", "two\n", "three\n"], pause);
        let client = Client::new(&url).expect("client");
        let err = collect(&client, Some(Duration::from_millis(500))).expect_err("limited");
        assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    }

    #[test]
    fn streamed_requests_report_mcpd_errors() {
        let url = serve_once(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            &[
                r#"{"error": {"status": 404, "reason": "NotFound", "message": "server ghost not found"}}"#,
            ],
            Duration::ZERO,
        );
        let client = Client::new(&url).expect("client");
        let err = collect(&client, None).expect_err("404");
        assert_eq!(err.to_string(), "server ghost not found");
        assert!(err.is_not_found());
    }

    #[test]
    fn a_closed_port_is_one_readable_line() {
        // Bind then drop a listener so that the port is very likely closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let client = Client::new(&format!("http://127.0.0.1:{port}")).expect("client");
        let err = client
            .send(Method::GET, &["healthz"], &[], Body::Empty)
            .expect_err("closed");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot reach mcpd at http://127.0.0.1:{port} (connection refused)"
            )),
            "{text}"
        );
    }
}
