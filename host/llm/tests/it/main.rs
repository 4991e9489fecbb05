//! llm's integration tests: every provider call goes over real HTTP to loopback servers (axum,
//! in `support`) that speak the chat-completions or messages wire format, with failures
//! injected: refused connections, hanging servers, 5xx, 429, malformed bodies; and https
//! servers with certificates of a test CA (`tls`).

mod breaker;
mod config;
mod failover;
mod keys;
mod routing;
mod summarize;
mod support;
mod tls;
mod wire;
