//! `passthrough`: the content unchanged.

use crate::config::StageConfig;
use crate::stage::{BoxFuture, Stage, StageContext, StageError, StageOutput};

pub const NAME: &str = "passthrough";

pub struct Passthrough;

pub fn validate(config: &serde_json::Map<String, serde_json::Value>) -> Result<(), StageError> {
    StageConfig::new(NAME, config, &[]).map(|_| ())
}

impl Stage for Passthrough {
    fn name(&self) -> &str {
        NAME
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            validate(&ctx.config)?;
            Ok(StageOutput::content(content))
        })
    }

    fn unchanged_below(&self, _config: &serde_json::Map<String, serde_json::Value>) -> usize {
        usize::MAX
    }
}
