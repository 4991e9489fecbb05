//! `summarize-tree`: a summary of every section (and of groups of them, up to `maxDepth`
//! levels) through `ctx.llm`, with llm's summarize-tree engine. Without a provider, or where a
//! call fails, the summary is the engine's deterministic extractive one: never an error; the
//! metadata's `method` says `llm`, `extractive` or `mixed`, and `reason` why.
//!
//! It works on the sections an earlier stage produced (`ctx.sections`); without them it splits
//! the content itself with section-split's defaults (and returns those sections). Its content
//! is the overview; the summaries go into the `sectionSummaries` metadata, so that the table
//! of contents shows them under each entry.

use llm::{Completer, CompletionRequest, ModelAnswer, SummarizeOptions, Tier, summarize_tree_with};
use serde_json::{Map, Value};

use crate::config::StageConfig;
use crate::stage::{BoxFuture, LlmHandle, Section, Stage, StageContext, StageError, StageOutput};
use crate::stages::section_split::{SplitSettings, split_sections};
use crate::toc::{META_OVERVIEW, META_SECTION_SUMMARIES};

pub const NAME: &str = "summarize-tree";

pub struct SummarizeTree;

fn options(config: &Map<String, Value>) -> Result<SummarizeOptions, StageError> {
    let config = StageConfig::new(NAME, config, &["maxTokens", "maxDepth", "tier"])?;
    let defaults = SummarizeOptions::default();
    let max_tokens = config.integer("maxTokens", u64::from(defaults.max_tokens), 10, 4000)?;
    let max_depth = config.integer("maxDepth", u64::from(defaults.max_depth), 1, 5)?;
    let tier = match config.choice("tier", "fast", &["fast", "heavy"])? {
        "heavy" => Tier::Heavy,
        _ => Tier::Fast,
    };
    Ok(SummarizeOptions {
        max_tokens: u32::try_from(max_tokens).unwrap_or(defaults.max_tokens),
        max_depth: u32::try_from(max_depth).unwrap_or(defaults.max_depth),
        tier,
        ..defaults
    })
}

pub fn validate(config: &Map<String, Value>) -> Result<(), StageError> {
    options(config).map(|_| ())
}

/// A stage's `ctx.llm` as the engine's [`Completer`] (the system prompt goes first in the
/// prompt: the handle takes one text).
struct HandleCompleter<'a>(&'a dyn LlmHandle);

impl Completer for HandleCompleter<'_> {
    fn concurrency(&self, tier: Tier) -> usize {
        self.0.concurrency(tier.as_str()).max(1)
    }

    fn complete<'a>(
        &'a self,
        tier: Tier,
        request: &'a CompletionRequest,
    ) -> BoxFuture<'a, Result<ModelAnswer, String>> {
        let prompt = match &request.system {
            Some(system) => format!("{system}\n\n{}", request.prompt),
            None => request.prompt.clone(),
        };
        Box::pin(async move {
            let text = self.0.complete(prompt, tier.as_str()).await?;
            Ok(ModelAnswer {
                text,
                provider: "ctx.llm".to_owned(),
            })
        })
    }
}

impl Stage for SummarizeTree {
    fn name(&self) -> &str {
        NAME
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let options = options(&ctx.config)?;
            let given = ctx.sections.as_ref().filter(|s| !s.is_empty());
            // Content that already fits the summary budget is left as it is: a summary and a
            // table of contents of it would only be longer.
            let budget = (options.max_tokens.max(1) as usize).saturating_mul(4);
            if given.is_none() && content.chars().count() <= budget {
                let mut metadata = Map::new();
                metadata.insert("method".into(), "unchanged".into());
                metadata.insert(
                    "reason".into(),
                    "the content fits the summary budget".into(),
                );
                return Ok(StageOutput {
                    content,
                    sections: None,
                    metadata,
                });
            }
            // Sections of an earlier stage stay where they are (the runner keeps them); only
            // sections it made itself are returned.
            let sections: Vec<Section> = match given {
                Some(sections) => sections.to_vec(),
                None => {
                    let split = split_sections(&content, &SplitSettings::default());
                    if split.sections.is_empty() {
                        vec![Section {
                            id: "all".to_owned(),
                            title: String::new(),
                            content: content.clone(),
                        }]
                    } else {
                        split.sections
                    }
                }
            };
            let inputs: Vec<llm::Section> = sections
                .iter()
                .map(|s| llm::Section {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    text: s.content.clone(),
                })
                .collect();
            let completer = ctx.llm.as_deref().map(HandleCompleter);
            let tree = summarize_tree_with(
                completer.as_ref().map(|c| c as &dyn Completer),
                &inputs,
                &options,
            )
            .await;
            let mut metadata = match serde_json::to_value(&tree.metadata) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            let summaries: Map<String, Value> = tree
                .levels
                .first()
                .map(|level| {
                    level
                        .iter()
                        .map(|node| (node.id.clone(), Value::from(node.summary.clone())))
                        .collect()
                })
                .unwrap_or_default();
            metadata.insert(META_SECTION_SUMMARIES.into(), Value::Object(summaries));
            metadata.insert(META_OVERVIEW.into(), tree.summary.clone().into());
            Ok(StageOutput {
                content: tree.summary,
                sections: given.is_none().then_some(sections),
                metadata,
            })
        })
    }
}
