//! Integration tests of the plugin host: inheritance tables, real cdylib loading of the
//! built-in and test plugins, panics at the boundary, and the gate's behaviour through the
//! loaded library.
//!
//! The plugin cdylibs are built by the tests themselves (`support::plugin_dir`): a nested
//! `cargo build -p gate -p content-pipeline -p default -p test-plugin-...` into the same
//! target folder and profile as this test binary, once per test process.
#![allow(clippy::unwrap_used)]

mod content;
mod gate;
mod loading;
mod panics;
mod resolve;
mod support;
