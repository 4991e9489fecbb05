//! The plugin host: finds plugin libraries ([`search_path`]), loads them through the stable
//! ABI and refuses incompatible ones ([`loader`]), resolves inheritance once ([`resolve`]),
//! and dispatches hooks with JSON in and an outcome out ([`host`]), giving plugins a handle
//! back into the host ([`services`]).
//!
//! `unsafe` code lives in this crate only, in [`services`] (the host handle's type-erased
//! data), each block with its `// SAFETY:` argument.

pub mod host;
pub mod loader;
pub mod resolve;
pub mod search_path;
pub mod services;

pub use host::{Call, DispatchError, HookOrigin, Outcome, Plugin, PluginHost, PluginInfo};
pub use loader::{FileStamp, LoadError};
pub use plugin_api::stage::{StageContext, StageDecl, StageResult, call as call_stage, call_json};
pub use plugin_api::{ContentKind, HookPoint, LogLevel, PluginError, schema::PromptEntry};
pub use resolve::ResolveError;
pub use search_path::{SearchDir, SearchPath, Source};
pub use services::HostServices;
