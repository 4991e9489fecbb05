//! Test plugin `test-panicking`: onToolsList panics; onPromptsList works, to show the plugin
//! stays usable after a panic.

use plugin_api::{HookContext, HookOutcome, PluginError};

plugin_api::export_plugin! {
    name: "test-panicking",
    extends: [],
    features: [],
    hooks: {
        on_tools_list: tools_list,
        on_prompts_list: prompts_list,
    },
}

fn tools_list(context: &HookContext<'_>, _message: &str) -> Result<HookOutcome, PluginError> {
    panic!(
        "test plugin panics on purpose (session {})",
        context.session_id
    );
}

fn prompts_list(_context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    Ok(HookOutcome::Modified(message.into()))
}
