//! mcpctl's integration tests: the real `mcpctl` binary against a real mcpd, on SQLite and
//! PostgreSQL (`test_support::for_each_backend!`). Build the binaries first
//! (`cargo build --workspace --bins`; `cargo xtask test` does).

mod apply;
mod cache;
mod edit;
mod gated;
mod mcplocal;
mod plugins;
mod resources;
mod runtime;
mod session;
mod support;
