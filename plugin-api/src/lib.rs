//! The stable ABI between mcplocal and its plugins.
//!
//! A plugin is a `cdylib` that exports one [`PluginModule`] (with [`export_plugin!`]): its
//! name, version, the plugins it extends, the host features it needs, and a function pointer
//! for each of the ten hooks it implements. Everything that crosses the boundary is an
//! abi_stable type whose layout the host checks when it loads the library; MCP messages cross
//! as JSON text, so the ABI does not depend on an MCP library.
//!
//! - [`hook`]: the ten hook points and what JSON each one receives and may return.
//! - [`context`]: what a hook is called with, including the [`HostHandle`] back into mcplocal.
//! - [`outcome`]: what a hook returns, and the errors that cross the boundary.
//! - [`module`]: the root module and its version (the ABI version is this crate's semver).
//! - [`features`]: host features a plugin declares it needs.
//! - [`glue`]: the wrapper every hook runs in (panics are caught inside the plugin).
//! - [`schema`]: the JSON shapes of host-handle data.
//! - [`stage`]: native content-pipeline stages a library exports.
//!
//! This crate depends on no async runtime, database or HTTP crate.

pub mod context;
pub mod features;
pub mod glue;
pub mod hook;
pub mod module;
pub mod outcome;
pub mod schema;
pub mod stage;

pub use abi_stable;
pub use context::{ContentKind, HookContext, HostHandle, HostVTable, HostVTableRef, LogLevel};
pub use hook::{HookFn, HookPoint, HookSet};
pub use module::{PluginModule, PluginModuleRef};
pub use outcome::{HookOutcome, HookResult, PluginError};

/// The ABI version a plugin is built against and the host checks: this crate's semver.
/// Plugins built against another major version (or, while the major is 0, another minor
/// version) are refused.
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
