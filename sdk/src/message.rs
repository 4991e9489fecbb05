//! A hook's message in and its outcome out, as your own serde types.
//!
//! ```ignore
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct ToolsList { tools: Vec<serde_json::Value> }
//!
//! fn tools_list(_: &HookContext<'_>, message: &str) -> Result<HookOutcome, PluginError> {
//!     let mut list: ToolsList = sdk::message::parse(message)?;
//!     list.tools.retain(|t| t["name"] != "git/push");
//!     sdk::message::modified(&list)
//! }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{HookOutcome, PluginError};

/// The message as `T`; a message that does not fit is a [`PluginError::BadMessage`] naming
/// the field.
pub fn parse<T: DeserializeOwned>(message: &str) -> Result<T, PluginError> {
    serde_json::from_str(message).map_err(PluginError::bad_message)
}

/// `value` as the hook's replacement message ([`HookOutcome::Modified`]).
pub fn modified<T: Serialize>(value: &T) -> Result<HookOutcome, PluginError> {
    to_json(value).map(HookOutcome::Modified)
}

/// `value` as the answer instead of forwarding ([`HookOutcome::Respond`]; onToolCallBefore).
pub fn respond<T: Serialize>(value: &T) -> Result<HookOutcome, PluginError> {
    to_json(value).map(HookOutcome::Respond)
}

fn to_json<T: Serialize>(value: &T) -> Result<crate::abi_stable::std_types::RString, PluginError> {
    serde_json::to_string(value)
        .map(Into::into)
        .map_err(|e| PluginError::Failed(format!("cannot write the outcome as JSON: {e}").into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    struct Tools {
        tools: Vec<String>,
    }

    #[test]
    fn messages_round_trip_and_misfits_name_the_field() {
        let tools: Tools = parse(r#"{"tools": ["a"]}"#).unwrap();
        assert_eq!(
            modified(&tools).unwrap(),
            HookOutcome::Modified(r#"{"tools":["a"]}"#.into())
        );
        let error = parse::<Tools>(r#"{"tools": 3}"#).unwrap_err();
        assert_eq!(error.kind(), "bad message");
        assert!(error.message().contains("expected a sequence"), "{error}");
    }
}
