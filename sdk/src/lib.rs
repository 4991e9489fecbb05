//! The SDK for third-party mcplocal plugins and native stages.
//!
//! - Everything of [`plugin_api`] is re-exported: [`export_plugin!`], [`HookContext`],
//!   [`HookOutcome`], [`PluginError`], [`features`], [`stage`] ([`StageContext`],
//!   [`StageResult`]). A plugin depends on this crate only.
//! - [`message`]: parse a hook's JSON message into your own serde types and answer with them.
//! - [`testing`]: run your hooks and stages in-process with a recording host
//!   ([`testing::TestHost`]), or load your built library through mcplocal's own loader
//!   ([`testing::load_library`]) to check that mcplocal would accept it.
//!
//! The SDK's version is the plugin-api version it re-exports ([`ABI_VERSION`]): a plugin built
//! against SDK 0.1.x loads into an mcplocal whose plugin-api is 0.1.x.
//!
//! The templates `mcpctl plugin new` writes (a Rust plugin, a Rust stage, a JS stage) are in
//! this crate's `templates/` folder ([`templates`]).

pub use plugin_api::stage::{StageContext, StageResult, StageSection};
pub use plugin_api::*;

pub mod message;
pub mod templates;
pub mod testing;

#[cfg(test)]
mod tests {
    #[test]
    fn the_sdk_version_is_the_plugin_api_version() {
        assert_eq!(env!("CARGO_PKG_VERSION"), super::ABI_VERSION);
    }
}
