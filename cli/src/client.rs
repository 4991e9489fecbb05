//! Talking HTTP to mcpd: one blocking call per request, errors turned into one readable line.

use std::error::Error as _;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url, header};
use serde::Deserialize;
use serde_json::Value;

/// How long one request may take, connection included.
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
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
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

    fn read_answer(&self, status: StatusCode, text: &str) -> Result<Value, ClientError> {
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(text).map_err(|e| self.bad_response(status, &e));
        }
        match serde_json::from_str::<ErrorBody>(text) {
            Ok(body) => Err(ClientError::Api(body.error)),
            Err(_) => Err(self.bad_response(status, &first_line(text))),
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
