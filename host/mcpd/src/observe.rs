//! What the runtime observed: a server's events and its instances' logs.

use std::convert::Infallible;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use resource_model::Kind;
use serde_json::{Value, json};

use crate::api::{ApiResult, Params, Shared, params};
use crate::error::ApiError;

/// The most log lines one request may ask for.
pub const MAX_TAIL: usize = 10_000;
const DEFAULT_TAIL: usize = 100;

pub async fn events(State(state): Shared, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    state.store.get(Kind::Server, None, &name).await?;
    let items: Vec<Value> = state
        .runtime
        .events(&name)
        .into_iter()
        .map(|e| {
            json!({
                "time": resource_model::resource::rfc3339(e.at_ms),
                "type": if e.warning { "Warning" } else { "Normal" },
                "reason": e.reason,
                "instance": e.instance,
                "message": e.message,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub async fn logs(
    State(state): Shared,
    Path(name): Path<String>,
    query: Result<Query<Params>, QueryRejection>,
) -> ApiResult<Response> {
    let p = params(query)?;
    state.store.get(Kind::Server, None, &name).await?;
    let tail = p.tail.unwrap_or(DEFAULT_TAIL);
    if tail > MAX_TAIL {
        return Err(ApiError::bad_request(format!(
            "tail is at most {MAX_TAIL} lines"
        )));
    }
    let (lines, receivers) = state
        .runtime
        .logs(&name, p.instance.as_deref(), tail)
        .map_err(|e| ApiError::not_found(e.to_string()))?;
    let mut head = lines.join("\n");
    if !head.is_empty() {
        head.push('\n');
    }
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    if !p.follow {
        return Ok((text, head).into_response());
    }
    // Following: merge every chosen instance's live lines into one stream.
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(256);
    for mut receiver in receivers {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                match receiver.recv().await {
                    Ok(line) => {
                        if tx.send(line).await.is_err() {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        if tx
                            .send(format!("... {n} lines skipped (reader too slow)"))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }
    drop(tx);
    let live = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, Infallible>(format!("{line}\n")), rx))
    });
    let first = futures_util::stream::once(async move { Ok::<_, Infallible>(head) });
    use futures_util::StreamExt as _;
    Ok((text, Body::from_stream(first.chain(live))).into_response())
}
