//! Tools that answer from their arguments or the process: `echo`, `add`, `whoami`, `env`,
//! `big`.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::schemars::{self, JsonSchema};
use rmcp::{ErrorData, tool, tool_router};
use serde::Deserialize;

use crate::server::TestServer;

/// Environment variable naming the instance in `whoami`'s answer.
pub const INSTANCE_VAR: &str = "MCP_TEST_INSTANCE";
/// Largest text `big` returns.
pub const BIG_MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoArgs {
    /// The text to return.
    pub text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddArgs {
    pub a: f64,
    pub b: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EnvArgs {
    /// Name of the environment variable.
    pub name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BigArgs {
    /// Length of the returned text in bytes, at most 16 MiB.
    pub bytes: usize,
}

#[tool_router(router = basic_tools, vis = "pub(super)")]
impl TestServer {
    #[tool(description = "Returns the text it is given.")]
    fn echo(&self, Parameters(args): Parameters<EchoArgs>) -> String {
        args.text
    }

    #[tool(description = "Returns the sum of a and b.")]
    fn add(&self, Parameters(args): Parameters<AddArgs>) -> String {
        (args.a + args.b).to_string()
    }

    #[tool(
        description = "Returns `instance=NAME pid=PID`: NAME is $MCP_TEST_INSTANCE or the hostname."
    )]
    fn whoami(&self) -> String {
        let instance = std::env::var(INSTANCE_VAR).unwrap_or_else(|_| hostname());
        format!("instance={instance} pid={}", std::process::id())
    }

    #[tool(description = "Returns the value of an environment variable, or `<unset>`.")]
    fn env(&self, Parameters(args): Parameters<EnvArgs>) -> String {
        std::env::var(&args.name).unwrap_or_else(|_| "<unset>".to_owned())
    }

    #[tool(description = "Returns a text of `bytes` bytes (at most 16 MiB).")]
    fn big(&self, Parameters(args): Parameters<BigArgs>) -> Result<String, ErrorData> {
        if args.bytes > BIG_MAX_BYTES {
            return Err(ErrorData::invalid_params(
                format!("bytes must be at most {BIG_MAX_BYTES}"),
                None,
            ));
        }
        Ok("x".repeat(args.bytes))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}
