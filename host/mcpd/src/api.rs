//! The REST API (`host/mcpd/README.md`): resources under `/api/v1`, JSON out, JSON or YAML in.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use resource_model::document::{parse_resources, parse_values, resources_from_values, to_grouped};
use resource_model::{Key, Kind, ModelError, Resource};
use runtime::Runtime;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{PutMode, Store, WriteOp};

use crate::link::ProxyLink;

use crate::error::ApiError;

/// The most resources one apply may carry.
pub const MAX_APPLY_DOCUMENTS: usize = 10_000;

pub struct AppState {
    pub store: Arc<Store>,
    pub runtime: Arc<Runtime<ProxyLink>>,
    /// Settings of the MCP endpoints; its cancellation token ends every MCP session.
    pub mcp: mcp_proxy::ProxyConfig,
}

pub(crate) type Shared = State<Arc<AppState>>;
pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    let links = Arc::new(crate::link::RuntimeLinks(Arc::clone(&state.runtime)));
    let mcp = mcp_proxy::mcp_service(Arc::clone(&links), &state.mcp);
    let mcp_stream = mcp_proxy::mcp_stream_service(links, &state.mcp);
    Router::new()
        .route_service(mcp_proxy::MCP_ROUTE, mcp)
        .route_service(mcp_proxy::MCP_STREAM_ROUTE, mcp_stream)
        .route("/healthz", get(health))
        .route("/api/v1/status", get(status))
        .route("/api/v1/apply", post(apply))
        .route("/api/v1/export", get(export))
        .route("/api/v1/promptrequests/{name}/approve", post(approve))
        .route("/api/v1/servers/{name}/events", get(crate::observe::events))
        .route("/api/v1/servers/{name}/logs", get(crate::observe::logs))
        .route("/api/v1/{kind}", get(list).post(create))
        .route(
            "/api/v1/{kind}/{name}",
            get(get_one).put(replace).patch(patch).delete(delete),
        )
        .fallback(|| async {
            ApiError::not_found("no such endpoint; the endpoints are under /api/v1")
        })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Params {
    pub project: Option<String>,
    #[serde(default)]
    pub reveal: bool,
    #[serde(default)]
    pub dry_run: bool,
    /// Narrows instances to one server.
    pub server: Option<String>,
    /// Log lines to show.
    pub tail: Option<usize>,
    /// Keep streaming logs.
    #[serde(default)]
    pub follow: bool,
    /// One instance's logs.
    pub instance: Option<String>,
}

pub(crate) fn params(query: Result<Query<Params>, QueryRejection>) -> ApiResult<Params> {
    query
        .map(|Query(p)| p)
        .map_err(|e| ApiError::bad_request(format!("query string: {}", e.body_text())))
}

fn body(bytes: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    bytes.map_err(|e| ApiError::new(e.status(), e.body_text()))
}

fn kind(segment: &str) -> ApiResult<Kind> {
    Kind::parse(segment).ok_or_else(|| {
        ApiError::not_found(format!(
            "unknown resource kind {segment:?}; one of: {}",
            Kind::known_names()
        ))
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

fn text(bytes: &Bytes) -> ApiResult<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not UTF-8 text (byte {})",
            e.valid_up_to()
        ))
    })
}

/// Reads a body that holds exactly one document.
fn one_document(headers: &HeaderMap, bytes: &Bytes) -> ApiResult<Value> {
    if is_json(headers) {
        return serde_json::from_slice(bytes).map_err(|e| {
            ApiError::from(ModelError::Syntax {
                line: Some(e.line()),
                column: Some(e.column()),
                message: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
        });
    }
    let mut values = parse_values(text(bytes)?)?;
    match values.len() {
        1 => Ok(values.remove(0)),
        0 => Err(ApiError::bad_request("the body holds no document")),
        n => Err(ApiError::bad_request(format!(
            "the body holds {n} documents; send one, or use /api/v1/apply"
        ))),
    }
}

fn render(resource: Resource, reveal: bool) -> Value {
    let resource = if reveal { resource } else { resource.masked() };
    resource.to_value(true)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn status(State(state): Shared) -> ApiResult<Json<Value>> {
    let counts = state.store.counts().await?;
    let mut resources: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(kind, n)| (kind.plural().to_owned(), Value::from(n)))
        .collect();
    // Instances are the runtime's observed state, not rows of the store.
    resources.insert(
        Kind::Instance.plural().to_owned(),
        Value::from(state.runtime.instances(None).len()),
    );
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "database": state.store.backend().as_str(),
        "resources": resources,
    })))
}

async fn list(
    State(state): Shared,
    Path(segment): Path<String>,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    let resources = if kind == Kind::Instance {
        state.runtime.instances(p.server.as_deref())
    } else {
        state.store.list(kind, p.project.as_deref()).await?
    };
    let items: Vec<Value> = resources.into_iter().map(|r| render(r, p.reveal)).collect();
    Ok(Json(json!({ "items": items })))
}

async fn get_one(
    State(state): Shared,
    Path((segment, name)): Path<(String, String)>,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    let resource = if kind == Kind::Instance {
        state
            .runtime
            .instances(None)
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| ApiError::not_found(format!("instance {name} not found")))?
    } else {
        state.store.get(kind, p.project.as_deref(), &name).await?
    };
    Ok(Json(render(resource, p.reveal)))
}

/// Runs a write and, when it changed anything, wakes the reconciler.
async fn write(
    state: &AppState,
    ops: Vec<WriteOp>,
    dry_run: bool,
) -> Result<Vec<store::Outcome>, store::StoreError> {
    let outcomes = state.store.write(ops, dry_run).await?;
    if !dry_run
        && outcomes
            .iter()
            .any(|o| o.action != store::Action::Unchanged)
    {
        state.runtime.wake();
    }
    Ok(outcomes)
}

/// One written resource, as the response to a single-resource write.
fn written(outcomes: Vec<store::Outcome>, key: &Key) -> ApiResult<Value> {
    outcomes
        .into_iter()
        .find(|o| o.resource.kind() == key.kind && o.resource.name == key.name)
        .map(|o| render(o.resource, false))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the write returned nothing",
            )
        })
}

async fn create(
    State(state): Shared,
    Path(segment): Path<String>,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    let bytes = body(bytes)?;
    let value = one_document(&headers, &bytes)?;
    let resource = Resource::from_value(value, Some(kind), p.project.as_deref())?;
    let key = resource.key();
    let op = WriteOp::Put {
        resource: Box::new(resource),
        mode: PutMode::Create,
    };
    let outcomes = write(&state, vec![op], false).await?;
    Ok((StatusCode::CREATED, Json(written(outcomes, &key)?)))
}

async fn replace(
    State(state): Shared,
    Path((segment, name)): Path<(String, String)>,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    let bytes = body(bytes)?;
    let mut value = one_document(&headers, &bytes)?;
    let key = state
        .store
        .resolve(kind, p.project.as_deref(), &name)
        .await?;
    if let Some(doc) = value.as_object_mut() {
        let field = if kind.is_virtual() { "server" } else { "name" };
        let named = doc
            .entry(field)
            .or_insert_with(|| Value::String(name.clone()));
        if named.as_str() != Some(name.as_str()) {
            return Err(ApiError::from(ModelError::invalid(
                field,
                format!("is {named} but the path names {name:?}; a resource cannot be renamed"),
            )));
        }
    }
    let project = (!key.project.is_empty()).then_some(key.project.as_str());
    let resource = Resource::from_value(value, Some(kind), project)?;
    if resource.key() != key {
        return Err(ApiError::from(ModelError::invalid(
            "project",
            "a resource cannot be moved to another project",
        )));
    }
    let op = WriteOp::Put {
        resource: Box::new(resource),
        mode: PutMode::Replace,
    };
    let outcomes = write(&state, vec![op], false).await?;
    Ok(Json(written(outcomes, &key)?))
}

async fn patch(
    State(state): Shared,
    Path((segment, name)): Path<(String, String)>,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    let bytes = body(bytes)?;
    let patch = one_document(&headers, &bytes)?;
    if !patch.is_object() {
        return Err(ApiError::bad_request("a merge patch must be a JSON object"));
    }
    let key = state
        .store
        .resolve(kind, p.project.as_deref(), &name)
        .await?;
    let outcomes = write(
        &state,
        vec![WriteOp::Patch {
            key: key.clone(),
            patch,
        }],
        false,
    )
    .await?;
    Ok(Json(written(outcomes, &key)?))
}

async fn delete(
    State(state): Shared,
    Path((segment, name)): Path<(String, String)>,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let kind = kind(&segment)?;
    if kind.is_virtual() && p.project.is_none() {
        return Err(ApiError::bad_request(
            "detaching a server needs ?project=NAME",
        ));
    }
    let key = state
        .store
        .resolve(kind, p.project.as_deref(), &name)
        .await?;
    write(&state, vec![WriteOp::Delete { key: key.clone() }], false).await?;
    let mut deleted = json!({"kind": kind.as_str(), "name": key.name});
    if let (false, Some(obj)) = (key.project.is_empty(), deleted.as_object_mut()) {
        obj.insert("project".into(), Value::String(key.project.clone()));
    }
    Ok(Json(json!({ "deleted": deleted })))
}

async fn apply(
    State(state): Shared,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let bytes = body(bytes)?;
    let resources = if is_json(&headers) {
        resources_from_values(vec![one_document(&headers, &bytes)?], p.project.as_deref())?
    } else {
        parse_resources(text(&bytes)?, p.project.as_deref())?
    };
    if resources.len() > MAX_APPLY_DOCUMENTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file declares {} resources; one apply takes at most {MAX_APPLY_DOCUMENTS}",
                resources.len()
            ),
        ));
    }
    let mut ordered = resources;
    // Write referenced kinds first, so a file may list a server before its secret.
    ordered.sort_by_key(|r| r.kind());
    let ops = ordered
        .into_iter()
        .map(|resource| WriteOp::Put {
            resource: Box::new(resource),
            mode: PutMode::Apply,
        })
        .collect();
    let outcomes = write(&state, ops, p.dry_run).await?;
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|o| {
            let mut line = json!({
                "kind": o.resource.kind().as_str(),
                "name": o.resource.name,
                "action": o.action.as_str(),
            });
            if let (Some(project), Some(obj)) = (&o.resource.project, line.as_object_mut()) {
                obj.insert("project".into(), Value::String(project.clone()));
            }
            line
        })
        .collect();
    Ok(Json(json!({ "results": results, "dryRun": p.dry_run })))
}

async fn export(
    State(state): Shared,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let resources: Vec<Resource> = state
        .store
        .export(p.project.as_deref())
        .await?
        .into_iter()
        .map(|r| if p.reveal { r } else { r.masked() })
        .collect();
    Ok(Json(to_grouped(&resources)))
}

async fn approve(
    State(state): Shared,
    Path(name): Path<String>,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Json<Value>> {
    let p = params(query)?;
    let key = state
        .store
        .resolve(Kind::PromptRequest, p.project.as_deref(), &name)
        .await?;
    let outcomes = write(&state, vec![WriteOp::Approve { key: key.clone() }], false).await?;
    let prompt = Key {
        kind: Kind::Prompt,
        ..key
    };
    Ok(Json(written(outcomes, &prompt)?))
}
