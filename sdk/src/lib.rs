//! The SDK for third-party plugins and stages. It re-exports [`plugin_api`]; helpers and the
//! in-process test harness arrive with the content-pipeline issue.

pub use plugin_api;
