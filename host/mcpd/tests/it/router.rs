//! The router in-process: limits and error shapes, without a network.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn app(max_body: usize) -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = mcpd::config::Config {
        listen: "127.0.0.1:0".into(),
        ..mcpd::config::Config::defaults(dir.path())
    };
    let (_listener, state) = mcpd::prepare(&config).await.unwrap();
    (mcpd::api::router(Arc::clone(&state), max_body), dir)
}

async fn call(app: axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_get_413_as_json() {
    let (app, _dir) = app(1024).await;
    let body = format!(
        "secrets:\n  - name: big\n    data:\n      K: \"{}\"\n",
        "x".repeat(4096)
    );
    let request = Request::post("/api/v1/apply")
        .body(Body::from(body))
        .unwrap();
    let (status, body) = call(app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["reason"], "PayloadTooLarge");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_endpoints_answer_in_json() {
    let (app, _dir) = app(1024).await;
    let (status, body) = call(app, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["status"], 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_inside_documents_are_enforced() {
    let (app, _dir) = app(8 * 1024 * 1024).await;
    let long = "x".repeat(2 * 1024 * 1024);
    let body = format!(
        "kind: project\nname: p\n---\nkind: prompt\nproject: p\nname: big\ncontent: \"{long}\"\n"
    );
    let request = Request::post("/api/v1/apply")
        .body(Body::from(body))
        .unwrap();
    let (status, body) = call(app, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "document 2.content");
}
