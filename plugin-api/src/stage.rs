//! Native stages: content-pipeline stages a plugin library provides, named in ProxyModels like
//! the built-in and JS stages.
//!
//! A stage is a synchronous function over the content (text) and its context (JSON of
//! [`StageContext`]) returning JSON of [`StageResult`]: the JS stage contract
//! (`{content, sections?, metadata?}`) in Rust. A library exports its stages through
//! [`export_plugin!`](crate::export_plugin)'s `stages` block and declares the
//! [`STAGES`](crate::features::STAGES) feature, so that a host without native stages refuses it
//! by name. The function runs inside a panic guard, like the hooks.

use abi_stable::StableAbi;
use abi_stable::std_types::{RResult, RStr, RString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::outcome::PluginError;

/// The signature of a stage across the boundary: content, context JSON → result JSON.
pub type StageFn = extern "C" fn(RStr<'_>, RStr<'_>) -> RResult<RString, PluginError>;

/// One stage a library exports.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct StageDecl {
    /// The name ProxyModels use (`type: NAME`).
    pub name: RStr<'static>,
    /// A [`StageFn`] (spelled out: the layout derive reads the type itself).
    pub run: extern "C" fn(RStr<'_>, RStr<'_>) -> RResult<RString, PluginError>,
}

impl std::fmt::Debug for StageDecl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageDecl")
            .field("name", &self.name.as_str())
            .finish_non_exhaustive()
    }
}

/// What a stage is run for (JSON, camelCase).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageContext {
    /// `toolResult`, `prompt` or `resource`.
    pub content_type: String,
    /// The tool or prompt name, or the resource URI.
    pub source_name: String,
    pub project_name: String,
    pub session_id: String,
    /// The content the pipeline started with (before earlier stages).
    #[serde(default)]
    pub original_content: String,
    /// The stage's `config` from the ProxyModel.
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// A piece a stage split off, reachable with `_resultId` + `_section`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSection {
    pub id: String,
    pub title: String,
    pub content: String,
}

/// What a stage returns (JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<StageSection>>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

impl StageResult {
    /// Content only.
    pub fn content(content: impl Into<String>) -> StageResult {
        StageResult {
            content: content.into(),
            ..StageResult::default()
        }
    }
}

/// Runs a typed stage for [`export_plugin!`](crate::export_plugin): parses the context, runs
/// `stage` inside a panic guard, writes its result as JSON.
pub fn run_typed(
    stage: &str,
    content: &str,
    context: &str,
    run: impl FnOnce(&str, &StageContext) -> Result<StageResult, PluginError>,
) -> RResult<RString, PluginError> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let context: StageContext = serde_json::from_str(context).map_err(|e| {
            PluginError::BadMessage(format!("stage {stage}: the context is not valid: {e}").into())
        })?;
        let result = run(content, &context)?;
        serde_json::to_string(&result)
            .map(RString::from)
            .map_err(|e| PluginError::Failed(format!("stage {stage}: {e}").into()))
    }));
    match outcome {
        Ok(result) => result.into(),
        Err(payload) => Err(PluginError::Panicked(
            format!(
                "stage {stage} panicked: {}",
                crate::glue::panic_message(payload.as_ref())
            )
            .into(),
        ))
        .into(),
    }
}

/// Calls a stage function as the host does: content and context in, the parsed result out.
pub fn call(
    run: StageFn,
    content: &str,
    context: &StageContext,
) -> Result<StageResult, PluginError> {
    parse_result(&call_json(run, content, context)?)
}

/// Calls a stage function: content and context in, its result JSON out (for a host that
/// reads the JSON into a type of its own).
pub fn call_json(
    run: StageFn,
    content: &str,
    context: &StageContext,
) -> Result<String, PluginError> {
    let context = serde_json::to_string(context).map_err(PluginError::bad_message)?;
    let json = run(RStr::from_str(content), RStr::from_str(&context)).into_result()?;
    Ok(json.into_string())
}

/// A stage's result JSON, as the host reads it.
pub fn parse_result(json: &str) -> Result<StageResult, PluginError> {
    serde_json::from_str(json).map_err(|e| {
        PluginError::BadMessage(format!("the stage returned invalid JSON: {e}").into())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    extern "C" fn upper(content: RStr<'_>, context: RStr<'_>) -> RResult<RString, PluginError> {
        run_typed(
            "upper",
            content.as_str(),
            context.as_str(),
            |content, ctx| {
                if content == "boom" {
                    panic!("asked to");
                }
                Ok(StageResult::content(format!(
                    "{}:{}",
                    ctx.source_name,
                    content.to_uppercase()
                )))
            },
        )
    }

    #[test]
    fn a_typed_stage_round_trips_and_its_panic_is_an_error() {
        let ctx = StageContext {
            source_name: "git/log".into(),
            ..StageContext::default()
        };
        assert_eq!(call(upper, "abc", &ctx).unwrap().content, "git/log:ABC");
        let error = call(upper, "boom", &ctx).unwrap_err();
        assert_eq!(
            error,
            PluginError::Panicked("stage upper panicked: asked to".into())
        );
        let bad = upper(RStr::from_str("x"), RStr::from_str("not json")).into_result();
        assert!(matches!(bad, Err(PluginError::BadMessage(_))), "{bad:?}");
    }
}
