//! Reading the string arguments of tools and prompts, with a length limit.

use rmcp::ErrorData;
use rmcp::model::JsonObject;
use serde_json::Value;

/// Longest string argument a fixture accepts.
pub const MAX_CHARS: usize = 16 * 1024;

/// The string argument `name`, or `-32602` when it is missing, not a string or too long.
pub fn string<'a>(arguments: Option<&'a JsonObject>, name: &str) -> Result<&'a str, ErrorData> {
    let value = arguments
        .and_then(|arguments| arguments.get(name))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ErrorData::invalid_params(format!("missing string argument `{name}`"), None)
        })?;
    if value.chars().count() > MAX_CHARS {
        return Err(ErrorData::invalid_params(
            format!("argument `{name}` is longer than {MAX_CHARS} characters"),
            None,
        ));
    }
    Ok(value)
}
