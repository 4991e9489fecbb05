//! The endpoints of mcpd's REST API (host/mcpd/README.md), one method each.

use reqwest::Method;
use resource_model::Kind;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::{Body, Client, ClientError};

/// Options that narrow or widen what a request sees.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// `?project=P`
    pub project: Option<&'a str>,
    /// `?reveal=true`: secret values in clear.
    pub reveal: bool,
}

impl<'a> Scope<'a> {
    pub fn project(project: Option<&'a str>) -> Scope<'a> {
        Scope {
            project,
            reveal: false,
        }
    }

    pub fn revealing(self, reveal: bool) -> Scope<'a> {
        Scope { reveal, ..self }
    }

    /// The query of a request about `kind` (or a list or export when `kind` is `None`).
    /// One resource of a global kind is addressed by its name alone, so the project is only
    /// sent for lists, exports and project-scoped kinds.
    fn query(&self, one_of: Option<Kind>) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        let scoped = one_of.is_none_or(|k| k.is_project_scoped() || k.is_virtual());
        if let Some(project) = self.project.filter(|_| scoped) {
            query.push(("project", project.to_owned()));
        }
        if self.reveal {
            query.push(("reveal", "true".to_owned()));
        }
        query
    }
}

/// One line of an apply's answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApplyResult {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub server: Option<String>,
    pub action: String,
}

#[derive(Deserialize)]
struct ApplyAnswer {
    results: Vec<ApplyResult>,
}

#[derive(Deserialize)]
struct ListAnswer {
    items: Vec<Value>,
}

/// One of a server's events, as `GET /api/v1/servers/{name}/events` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Event {
    /// RFC 3339.
    pub time: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub instance: Option<String>,
    pub message: String,
}

#[derive(Deserialize)]
struct EventsAnswer {
    items: Vec<Event>,
}

/// What `logs` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRequest<'a> {
    /// How many of the last lines to send first.
    pub tail: u32,
    /// Keep the answer open and stream new lines.
    pub follow: bool,
    /// One instance only.
    pub instance: Option<&'a str>,
}

impl LogRequest<'_> {
    /// `tail=N[&follow=true][&instance=ID]`
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("tail", self.tail.to_string())];
        if self.follow {
            query.push(("follow", "true".to_owned()));
        }
        if let Some(instance) = self.instance {
            query.push(("instance", instance.to_owned()));
        }
        query
    }
}

/// mcpd's REST API.
#[derive(Debug)]
pub struct Api {
    client: Client,
}

impl Api {
    pub fn new(client: Client) -> Api {
        Api { client }
    }

    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    pub fn health(&self) -> Result<Value, ClientError> {
        self.client
            .send(Method::GET, &["healthz"], &[], Body::Empty)
    }

    pub fn status(&self) -> Result<Value, ClientError> {
        self.v1(Method::GET, &["status"], &[], Body::Empty)
    }

    pub fn list(&self, kind: Kind, scope: Scope) -> Result<Vec<Value>, ClientError> {
        let answer = self.v1(
            Method::GET,
            &[kind.plural()],
            &scope.query(None),
            Body::Empty,
        )?;
        serde_json::from_value::<ListAnswer>(answer)
            .map(|a| a.items)
            .map_err(|e| self.unexpected("list", &e))
    }

    /// The instances the runtime runs, of every server or of one.
    pub fn instances(&self, server: Option<&str>) -> Result<Vec<Value>, ClientError> {
        let query: Vec<(&str, String)> = server
            .map(|s| ("server", s.to_owned()))
            .into_iter()
            .collect();
        let answer = self.v1(Method::GET, &[Kind::Instance.plural()], &query, Body::Empty)?;
        serde_json::from_value::<ListAnswer>(answer)
            .map(|a| a.items)
            .map_err(|e| self.unexpected("instance list", &e))
    }

    /// A server's recent events, oldest first.
    pub fn events(&self, server: &str) -> Result<Vec<Event>, ClientError> {
        let answer = self.v1(
            Method::GET,
            &[Kind::Server.plural(), server, "events"],
            &[],
            Body::Empty,
        )?;
        serde_json::from_value::<EventsAnswer>(answer)
            .map(|a| a.items)
            .map_err(|e| self.unexpected("events", &e))
    }

    /// The output of a server's instances, handed to `sink` piece by piece as it arrives.
    /// A followed stream has no time limit; it ends when mcpd closes it.
    pub fn logs<E: From<ClientError>>(
        &self,
        server: &str,
        request: LogRequest,
        sink: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let timeout = (!request.follow).then_some(crate::client::TIMEOUT);
        self.client.stream(
            &["api", "v1", Kind::Server.plural(), server, "logs"],
            &request.query(),
            timeout,
            sink,
        )
    }

    pub fn get(&self, kind: Kind, name: &str, scope: Scope) -> Result<Value, ClientError> {
        self.one(Method::GET, kind, name, scope, Body::Empty)
    }

    pub fn create(&self, kind: Kind, document: Value, scope: Scope) -> Result<Value, ClientError> {
        self.v1(
            Method::POST,
            &[kind.plural()],
            &scope.query(Some(kind)),
            Body::Json(document),
        )
    }

    pub fn replace(
        &self,
        kind: Kind,
        name: &str,
        document: Value,
        scope: Scope,
    ) -> Result<Value, ClientError> {
        self.one(Method::PUT, kind, name, scope, Body::Json(document))
    }

    pub fn patch(
        &self,
        kind: Kind,
        name: &str,
        patch: Value,
        scope: Scope,
    ) -> Result<Value, ClientError> {
        self.one(Method::PATCH, kind, name, scope, Body::Json(patch))
    }

    pub fn delete(&self, kind: Kind, name: &str, scope: Scope) -> Result<Value, ClientError> {
        self.one(Method::DELETE, kind, name, scope, Body::Empty)
    }

    /// Applies the text of one file, all or nothing.
    pub fn apply(
        &self,
        text: String,
        scope: Scope,
        dry_run: bool,
    ) -> Result<Vec<ApplyResult>, ClientError> {
        let mut query = scope.query(None);
        if dry_run {
            query.push(("dryRun", "true".to_owned()));
        }
        let answer = self.v1(Method::POST, &["apply"], &query, Body::Yaml(text))?;
        serde_json::from_value::<ApplyAnswer>(answer)
            .map(|a| a.results)
            .map_err(|e| self.unexpected("apply", &e))
    }

    /// Everything (or one project and what it uses) in the grouped form.
    pub fn export(&self, scope: Scope) -> Result<Map<String, Value>, ClientError> {
        let answer = self.v1(Method::GET, &["export"], &scope.query(None), Body::Empty)?;
        match answer {
            Value::Object(groups) => Ok(groups),
            _ => Err(self.unexpected("export", &"not an object")),
        }
    }

    pub fn approve_prompt_request(&self, name: &str, scope: Scope) -> Result<Value, ClientError> {
        self.v1(
            Method::POST,
            &[Kind::PromptRequest.plural(), name, "approve"],
            &scope.query(Some(Kind::PromptRequest)),
            Body::Empty,
        )
    }

    fn one(
        &self,
        method: Method,
        kind: Kind,
        name: &str,
        scope: Scope,
        body: Body,
    ) -> Result<Value, ClientError> {
        self.v1(
            method,
            &[kind.plural(), name],
            &scope.query(Some(kind)),
            body,
        )
    }

    /// A request to `/api/v1/{segments}`.
    fn v1(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Value, ClientError> {
        let path: Vec<&str> = ["api", "v1"].iter().chain(segments).copied().collect();
        self.client.send(method, &path, query, body)
    }

    fn unexpected(&self, what: &str, detail: &dyn std::fmt::Display) -> ClientError {
        ClientError::BadResponse {
            url: self.base_url().to_owned(),
            status: 200,
            detail: format!("the {what} answer is not what mcpctl expects: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_requests_always_say_how_many_lines() {
        let plain = LogRequest {
            tail: 100,
            follow: false,
            instance: None,
        };
        assert_eq!(plain.query(), [("tail", "100".to_owned())]);
        let all = LogRequest {
            tail: 5,
            follow: true,
            instance: Some("clock-x1"),
        };
        assert_eq!(
            all.query(),
            [
                ("tail", "5".to_owned()),
                ("follow", "true".to_owned()),
                ("instance", "clock-x1".to_owned())
            ]
        );
    }

    #[test]
    fn events_read_the_api_shape() {
        let answer: EventsAnswer = serde_json::from_value(serde_json::json!({"items": [
            {"time": "2026-11-25T15:00:00Z", "type": "Warning", "reason": "Unhealthy",
             "instance": "clock-x1", "message": "no answer"},
            {"time": "2026-11-25T15:00:01Z", "type": "Normal", "reason": "Scaled", "message": "1 -> 2"}
        ]}))
        .expect("events");
        assert_eq!(answer.items[0].kind, "Warning");
        assert_eq!(answer.items[0].instance.as_deref(), Some("clock-x1"));
        assert_eq!(answer.items[1].instance, None);
    }

    #[test]
    fn the_project_goes_to_lists_and_scoped_kinds_only() {
        let scope = Scope::project(Some("mon")).revealing(true);
        assert_eq!(
            scope.query(None),
            [("project", "mon".to_owned()), ("reveal", "true".to_owned())]
        );
        assert_eq!(
            scope.query(Some(Kind::Prompt)),
            [("project", "mon".to_owned()), ("reveal", "true".to_owned())]
        );
        assert_eq!(
            scope.query(Some(Kind::Secret)),
            [("reveal", "true".to_owned())]
        );
    }
}
