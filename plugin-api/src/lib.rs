//! The plugin ABI shared by mcplocal and its plugins.
//!
//! Empty until the plugin-host issue: this crate exists so that the workspace layout is final
//! and the invariant "plugin-api depends on no tokio/diesel/HTTP crate" holds from the start.

/// The ABI version a plugin must be built against: the crate's semver.
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
