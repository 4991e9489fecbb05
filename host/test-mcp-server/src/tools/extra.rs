//! `--extra-tools N`: N more tools named `extra_1` … `extra_N`, each returning its `text`
//! argument like `echo`. They make wide tool lists (a merged list over many servers) for
//! benchmarks without another server.

use std::sync::Arc;

use rmcp::handler::server::router::tool::{ToolRoute, ToolRouter};
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::{Value, json};

use crate::server::TestServer;

/// Most extra tools one process offers.
pub const MAX_EXTRA_TOOLS: u32 = 5_000;

/// A router with the `count` extra tools.
pub fn router(count: u32) -> ToolRouter<TestServer> {
    let schema = match json!({
        "type": "object",
        "properties": { "text": { "type": "string", "description": "The text to return." } },
        "required": ["text"],
    }) {
        Value::Object(schema) => Arc::new(schema),
        _ => Arc::default(),
    };
    let mut router = ToolRouter::new();
    for n in 1..=count.min(MAX_EXTRA_TOOLS) {
        let tool = Tool::new(
            format!("extra_{n}"),
            format!("Extra tool {n} (--extra-tools): returns the text it is given."),
            schema.clone(),
        );
        router.add_route(ToolRoute::new_dyn(tool, |context| {
            let text = context
                .arguments
                .as_ref()
                .and_then(|arguments| arguments.get("text"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Box::pin(
                async move { Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into()) },
            )
        }));
    }
    router
}
