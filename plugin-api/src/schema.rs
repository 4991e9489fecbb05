//! The JSON shapes of data that the host handle exchanges as text.

use serde::{Deserialize, Serialize};

/// One of the project's prompts, as [`crate::HostVTable::prompts`] lists them (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptEntry {
    pub name: String,
    /// The prompt's text (for a linked prompt, the content the host fetched).
    pub content: String,
    /// 1 to 10; higher is more important.
    pub priority: u8,
}
