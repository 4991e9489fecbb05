//! `crash`: the instance dies in the middle of a call.

use rmcp::{tool, tool_router};

use crate::server::TestServer;

/// Exit code of the `crash` tool.
pub const CRASH_EXIT_CODE: i32 = 3;

#[tool_router(router = crash_tools, vis = "pub(super)")]
impl TestServer {
    #[tool(description = "Exits the server process with code 3 at once, without answering.")]
    fn crash(&self) -> String {
        eprintln!("crashing with exit code {CRASH_EXIT_CODE} (crash tool)");
        std::process::exit(CRASH_EXIT_CODE)
    }
}
