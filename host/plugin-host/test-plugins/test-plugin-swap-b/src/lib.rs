//! Test plugin `test-swap`, mark `v2`: test-plugin-swap-a's code with another mark.

const MARK: &str = "v2";

include!("../../test-plugin-swap-a/src/plugin.rs");
