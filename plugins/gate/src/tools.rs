//! The gate's own tools and the limits on their arguments.

use serde_json::{Value, json};

pub const BEGIN_SESSION: &str = "begin_session";
pub const PROPOSE_PROMPT: &str = "propose_prompt";

/// Longest task description `begin_session` accepts, in characters.
pub const MAX_TASK_CHARS: usize = 4_000;
/// Longest prompt name `propose_prompt` accepts (a DNS label, as mcpd requires).
pub const MAX_PROMPT_NAME_CHARS: usize = 63;
/// Longest prompt text `propose_prompt` accepts, in characters.
pub const MAX_PROMPT_CONTENT_CHARS: usize = 64 * 1024;
/// Most prompts delivered by `begin_session`.
pub const MAX_DELIVERED: usize = 5;
/// Most characters of prompt text delivered by `begin_session`; a prompt that does not fit is
/// named instead of quoted.
pub const MAX_DELIVERED_CHARS: usize = 32 * 1024;

pub fn begin_session() -> Value {
    json!({
        "name": BEGIN_SESSION,
        "description": "Start here. Describe the task you are about to work on; you receive the project's guidance relevant to it, and the project's tools become available.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "description": {
                    "type": "string",
                    "description": "What you are going to do, in a sentence or a paragraph."
                }
            },
            "required": ["description"]
        }
    })
}

pub fn propose_prompt() -> Value {
    json!({
        "name": PROPOSE_PROMPT,
        "description": "Propose guidance worth keeping for this project (a convention, a procedure, a pitfall). It becomes a prompt request that a user reviews; approved, it is delivered to future sessions.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "description": "A short name: lowercase letters, digits and '-', at most 63 characters."
                },
                "content": {
                    "type": "string",
                    "description": "The guidance itself, as it should be shown to a model."
                }
            },
            "required": ["name", "content"]
        }
    })
}

/// A successful `CallToolResult` with one text block.
pub fn text_result(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": false})
}
