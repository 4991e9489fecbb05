//! Test plugin `test-extends-gate`: extends `gate` and overrides onToolsList (every tool is
//! listed, gated or not); everything else is inherited from the gate. Also the trivial hook
//! the dispatch benchmark times (onPromptsList).

use plugin_api::{HookContext, HookOutcome, PluginError};

plugin_api::export_plugin! {
    name: "test-extends-gate",
    extends: ["gate"],
    features: [],
    hooks: {
        on_tools_list: tools_list,
        on_prompts_list: prompts_list,
    },
}

fn tools_list(_context: &HookContext<'_>, _message: &str) -> Result<HookOutcome, PluginError> {
    Ok(HookOutcome::PassThrough)
}

/// As small as a hook gets: looks at its input and passes through.
pub fn prompts_list(context: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
    if message.is_empty() || context.project().is_empty() {
        return Err(PluginError::BadMessage("empty".into()));
    }
    Ok(HookOutcome::PassThrough)
}
