//! The `gate` plugin: gated sessions.
//!
//! A new session's client sees one tool, `begin_session` (argument: a description of the
//! task). Calling it ranks the project's prompts against the task ([`rank`]), answers with the
//! relevant ones, ungates the session and tells the client its tool list changed. From then on
//! the client sees the project's tools plus `propose_prompt`, which turns a prompt the model
//! suggests into a prompt request for a user to approve. Calls to other tools before
//! `begin_session` are refused with an error that says to call it first.

mod hooks;
mod rank;
mod sessions;
mod tools;

plugin_api::export_plugin! {
    name: "gate",
    extends: [],
    features: [
        plugin_api::features::PROMPTS,
        plugin_api::features::PROMPT_REQUESTS,
        plugin_api::features::TOOLS_LIST_CHANGED,
        plugin_api::features::LOG,
    ],
    hooks: {
        on_session_create: hooks::session_create,
        on_session_destroy: hooks::session_destroy,
        on_initialize: hooks::initialize,
        on_tools_list: hooks::tools_list,
        on_tool_call_before: hooks::tool_call_before,
    },
}
