//! The tools, one router per group, merged into one.
//!
//! | tool | arguments | result text |
//! |---|---|---|
//! | `echo` | `text` | the text |
//! | `add` | `a`, `b` | the sum |
//! | `whoami` | — | `instance=NAME pid=PID` (`MCP_TEST_INSTANCE` or the hostname) |
//! | `env` | `name` | the variable's value or `<unset>` |
//! | `big` | `bytes` | that many `x` (at most 16 MiB) |
//! | `sleep` | `ms` | `slept MS ms` |
//! | `progress` | `steps`, `delay_ms` | `done`, after one `notifications/progress` per step |
//! | `log` | `level`, `message` | `logged`, after a `notifications/message` |
//! | `sample` | `prompt`, `delay_ms` (wait first) | the client's answer to a `sampling/createMessage` request |
//! | `crash` | — | none: the process exits with code 3 |
//! | `extra_1` … `extra_N` | `text` | the text (only with `--extra-tools N`) |

mod basic;
mod crash;
pub mod extra;
mod relay;
mod timing;

use rmcp::handler::server::router::tool::ToolRouter;

use crate::server::TestServer;

pub fn router(extra_tools: u32) -> ToolRouter<TestServer> {
    TestServer::basic_tools()
        + TestServer::timing_tools()
        + TestServer::relay_tools()
        + TestServer::crash_tools()
        + extra::router(extra_tools)
}
