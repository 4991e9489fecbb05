//! A small blocking JSON client over reqwest, for tests.

use reqwest::Method;
use serde_json::Value;

pub struct Api {
    base: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The error message of an error reply.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_owned(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::new(),
        }
    }

    pub fn send(&self, method: Method, path: &str, body: Option<(&str, String)>) -> Reply {
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, url);
            if let Some((content_type, text)) = body {
                request = request.header("content-type", content_type).body(text);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Reply { status, body }
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None)
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn put_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PUT,
            path,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn patch_json(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PATCH,
            path,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn apply(&self, yaml: &str) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/apply",
            Some(("application/yaml", yaml.to_owned())),
        )
    }

    /// `(kind/name, action)` of each result of an apply reply.
    pub fn actions(reply: &Reply) -> Vec<(String, String)> {
        reply.body["results"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|r| {
                (
                    format!(
                        "{}/{}",
                        r["kind"].as_str().unwrap(),
                        r["name"].as_str().unwrap()
                    ),
                    r["action"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    pub fn names(&self, path: &str) -> Vec<String> {
        let reply = self.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    }
}
