//! mcpd's integration tests: the real binary over HTTP on both databases (`http_api`), and
//! the router in-process with `tower::ServiceExt::oneshot` for limits (`router`).
#![allow(clippy::unwrap_used)]

mod client;
mod containers;
mod http_api;
mod router;
mod routing;
mod runtime;
