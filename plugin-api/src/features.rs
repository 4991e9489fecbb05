//! Host features: what a plugin declares it needs from the host handle, so that a plugin
//! built against a newer plugin-api (whose host handle has more methods) is refused by an
//! older host by name, instead of failing when it first calls a method the host lacks.
//!
//! Adding a host method is an additive change: it gets a feature name here, appended to
//! [`HOST_FEATURES`], in a new minor (or, from 1.0, patch-compatible minor) version.

/// [`crate::HostVTable::prompts`].
pub const PROMPTS: &str = "prompts";
/// [`crate::HostVTable::create_prompt_request`].
pub const PROMPT_REQUESTS: &str = "prompt-requests";
/// [`crate::HostVTable::notify_tools_list_changed`].
pub const TOOLS_LIST_CHANGED: &str = "tools-list-changed";
/// [`crate::HostVTable::log`].
pub const LOG: &str = "log";
/// [`crate::HostVTable::run_pipeline`].
pub const CONTENT_PIPELINE: &str = "content-pipeline";

/// Native stages ([`crate::stage`]): the host reads a library's `stages`.
pub const STAGES: &str = "stages";

/// Every feature a host built with this plugin-api provides.
pub const HOST_FEATURES: &[&str] = &[
    PROMPTS,
    PROMPT_REQUESTS,
    TOOLS_LIST_CHANGED,
    LOG,
    CONTENT_PIPELINE,
    STAGES,
];
