//! mcpd's runtime: it runs each server's instances and keeps them healthy.
//!
//! - `launch`: a server's effective definition, secrets resolved, as a [`LaunchSpec`].
//! - `process` and `docker`: the two backends (local processes for STDIO servers; Docker or
//!   Podman containers through bollard).
//! - `runtime`: the reconciler, health probes, events and logs.
//!
//! The MCP session with an instance is abstracted as [`Link`]; mcpd supplies it from its MCP
//! proxy, so this crate knows nothing of the protocol beyond "connect, probe, closed".

mod docker;
mod endpoint;
mod error;
mod launch;
mod logs;
mod process;
mod runtime;

pub use docker::DockerBackend;
pub use endpoint::{Endpoint, StdioPipes};
pub use error::RuntimeError;
pub use launch::{BackendKind, LaunchSpec};
pub use runtime::{Event, Link, Phase, Runtime, RuntimeConfig, backoff};
