//! What a hook returns, and the errors that cross the boundary: stable enums, never panics.

use abi_stable::StableAbi;
use abi_stable::std_types::{RResult, RString};

/// What a hook decided, when it did not fail.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// Leave the message as it is.
    PassThrough,
    /// Replace the message with this JSON (see [`crate::hook`] for its shape per hook).
    Modified(RString),
    /// Answer the request with this JSON instead of forwarding it (onToolCallBefore).
    Respond(RString),
}

/// Why a hook failed. The request it was called for fails with this error; the host shows the
/// text to the client as the request's error.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// The plugin refuses the request on purpose (the client has to do something else first).
    Refused(RString),
    /// The request's arguments are not acceptable (missing, too long, malformed).
    InvalidParams(RString),
    /// The message the hook received is not the JSON it expects.
    BadMessage(RString),
    /// A call back into the host failed.
    Host(RString),
    /// The plugin failed for a reason of its own.
    Failed(RString),
    /// The hook panicked; caught inside the plugin by [`crate::glue::guard`].
    Panicked(RString),
}

impl PluginError {
    /// The error's text, without its kind.
    pub fn message(&self) -> &str {
        match self {
            PluginError::Refused(m)
            | PluginError::InvalidParams(m)
            | PluginError::BadMessage(m)
            | PluginError::Host(m)
            | PluginError::Failed(m)
            | PluginError::Panicked(m) => m.as_str(),
        }
    }

    /// A short name of the error's kind (`refused`, `panicked`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::Refused(_) => "refused",
            PluginError::InvalidParams(_) => "invalid params",
            PluginError::BadMessage(_) => "bad message",
            PluginError::Host(_) => "host error",
            PluginError::Failed(_) => "failed",
            PluginError::Panicked(_) => "panicked",
        }
    }

    /// Shorthand for [`PluginError::BadMessage`] from anything printable (a serde error).
    pub fn bad_message(error: impl std::fmt::Display) -> PluginError {
        PluginError::BadMessage(error.to_string().into())
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PluginError {}

/// What a hook returns across the boundary.
pub type HookResult = RResult<HookOutcome, PluginError>;
