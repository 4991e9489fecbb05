//! Test plugin `test-swap`, mark `v1`. The code is `plugin.rs`, shared with
//! test-plugin-swap-b (mark `v2`): two libraries of one plugin for hot-reload tests.

const MARK: &str = "v1";

include!("plugin.rs");
