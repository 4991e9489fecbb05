//! The engine of the `summarize-tree` stage: a summary of every section, then summaries of
//! groups of those summaries, up to `max_depth` levels. Sections go to the LLM side by side,
//! as many at once as the answering provider takes. Without a provider, or when a call fails,
//! the node gets a deterministic extractive summary instead (never an error), and the result's
//! metadata says which path was taken and why.

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::config::Tier;
use crate::provider::CompletionRequest;
use crate::router::LlmRouter;

/// Characters of a section sent to the model (the rest is cut).
pub const MAX_SECTION_CHARS: usize = 24_000;
/// Rough characters per token, for the extractive budget and cuts.
const CHARS_PER_TOKEN: usize = 4;

const SYSTEM: &str = "You write short, factual summaries of document sections for a table of contents that an AI assistant reads to decide which section to open. Answer with the summary only, no preamble.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SummarizeOptions {
    /// Budget of each summary (default 200).
    pub max_tokens: u32,
    /// Levels: 1 = section summaries only; 2 = plus summaries of groups (default 2).
    pub max_depth: u32,
    /// Summaries per group on the levels above the sections (default 8).
    pub group_size: usize,
    pub tier: Tier,
}

impl Default for SummarizeOptions {
    fn default() -> Self {
        SummarizeOptions {
            max_tokens: 200,
            max_depth: 2,
            group_size: 8,
            tier: Tier::Fast,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Llm,
    Extractive,
    /// Some nodes by the LLM, some extractive (calls failed).
    Mixed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryNode {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Ids of the nodes one level down (empty for sections).
    pub children: Vec<String>,
    pub method: Method,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryMetadata {
    pub method: Method,
    /// Why extractive summaries were used, when they were.
    pub reason: Option<String>,
    /// Providers that answered.
    pub providers: Vec<String>,
    pub llm_calls: u32,
    pub extractive_nodes: u32,
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryTree {
    /// `levels[0]` has one node per section; each further level summarizes groups of the one
    /// below.
    pub levels: Vec<Vec<SummaryNode>>,
    /// The top: the single top node's summary, or one line per top-level node.
    pub summary: String,
    pub metadata: SummaryMetadata,
}

/// What summarize-tree asks: the [`LlmRouter`], or any other way to reach a model (the
/// pipeline's `summarize-tree` stage adapts a stage's `ctx.llm` to it).
pub trait Completer: Send + Sync {
    /// How many requests of `tier` to send at once.
    fn concurrency(&self, tier: Tier) -> usize;

    /// One completion; the error is one line.
    fn complete<'a>(
        &'a self,
        tier: Tier,
        request: &'a CompletionRequest,
    ) -> BoxFuture<'a, Result<ModelAnswer, String>>;
}

/// A model's text and the provider that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelAnswer {
    pub text: String,
    pub provider: String,
}

impl Completer for LlmRouter {
    fn concurrency(&self, tier: Tier) -> usize {
        LlmRouter::concurrency(self, tier)
    }

    fn complete<'a>(
        &'a self,
        tier: Tier,
        request: &'a CompletionRequest,
    ) -> BoxFuture<'a, Result<ModelAnswer, String>> {
        Box::pin(async move {
            LlmRouter::complete(self, tier, request)
                .await
                .map(|done| ModelAnswer {
                    text: done.text,
                    provider: done.provider,
                })
                .map_err(|e| e.to_string())
        })
    }
}

struct Job {
    id: String,
    title: String,
    prompt: String,
    /// The extractive summary, used when the model is not.
    fallback: String,
    children: Vec<String>,
}

struct Outcome {
    node: SummaryNode,
    provider: Option<String>,
    error: Option<String>,
}

/// Summarizes `sections` into a tree. `router` None (or without providers) means extractive
/// summaries throughout.
pub async fn summarize_tree(
    router: Option<&LlmRouter>,
    sections: &[Section],
    options: &SummarizeOptions,
) -> SummaryTree {
    let router = router.filter(|r| !r.is_empty());
    summarize_tree_with(router.map(|r| r as &dyn Completer), sections, options).await
}

/// [`summarize_tree`] over any [`Completer`]; `None` means extractive summaries throughout.
pub async fn summarize_tree_with(
    router: Option<&dyn Completer>,
    sections: &[Section],
    options: &SummarizeOptions,
) -> SummaryTree {
    let budget = options.max_tokens.max(1) as usize;
    let words = (budget * 3 / 4).max(10);
    let mut metadata = SummaryMetadata {
        method: Method::Llm,
        reason: router
            .is_none()
            .then(|| "no LLM provider is configured".to_owned()),
        providers: Vec::new(),
        llm_calls: 0,
        extractive_nodes: 0,
        depth: 0,
    };
    let jobs: Vec<Job> = sections
        .iter()
        .map(|s| Job {
            id: s.id.clone(),
            title: s.title.clone(),
            prompt: format!(
                "Summarize the section titled {:?} in at most {words} words.\n\n{}",
                s.title,
                cut(&s.text, MAX_SECTION_CHARS)
            ),
            fallback: extractive(&s.title, &s.text, budget),
            children: Vec::new(),
        })
        .collect();
    let mut levels = vec![run_level(router, jobs, options, &mut metadata).await];
    while levels.len() < options.max_depth.max(1) as usize
        && levels.last().is_some_and(|level| level.len() > 1)
    {
        let below = levels.last().map(Vec::as_slice).unwrap_or_default();
        let depth = levels.len() + 1;
        let jobs: Vec<Job> = below
            .chunks(options.group_size.max(2))
            .enumerate()
            .map(|(i, group)| group_job(depth, i, group, words, budget))
            .collect();
        levels.push(run_level(router, jobs, options, &mut metadata).await);
    }
    let total: usize = levels.iter().map(Vec::len).sum();
    metadata.depth = levels.len() as u32;
    metadata.method = match metadata.extractive_nodes as usize {
        0 if total > 0 => Method::Llm,
        0 => {
            if router.is_some() {
                Method::Llm
            } else {
                Method::Extractive
            }
        }
        n if n == total => Method::Extractive,
        _ => Method::Mixed,
    };
    let top = levels.last().map(Vec::as_slice).unwrap_or_default();
    let summary = match top {
        [one] => one.summary.clone(),
        many => many
            .iter()
            .map(|n| format!("- {}: {}", n.title, n.summary))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    SummaryTree {
        levels,
        summary,
        metadata,
    }
}

fn group_job(
    depth: usize,
    index: usize,
    group: &[SummaryNode],
    words: usize,
    budget: usize,
) -> Job {
    let listing: String = group
        .iter()
        .map(|n| format!("- {}: {}\n", n.title, n.summary))
        .collect();
    let title = match (group.first(), group.last()) {
        (Some(first), Some(last)) if group.len() > 1 => format!("{} … {}", first.title, last.title),
        (Some(first), _) => first.title.clone(),
        _ => String::new(),
    };
    let fallback_text: String = group
        .iter()
        .map(|n| format!("{}: {}\n\n", n.title, first_sentence(&n.summary)))
        .collect();
    Job {
        id: format!("L{depth}-{index}"),
        title: title.clone(),
        prompt: format!(
            "These are summaries of consecutive sections of one document. Write one overview of them in at most {words} words.\n\n{}",
            cut(&listing, MAX_SECTION_CHARS)
        ),
        fallback: extractive(&title, &fallback_text, budget),
        children: group.iter().map(|n| n.id.clone()).collect(),
    }
}

async fn run_level(
    router: Option<&dyn Completer>,
    jobs: Vec<Job>,
    options: &SummarizeOptions,
    metadata: &mut SummaryMetadata,
) -> Vec<SummaryNode> {
    let outcomes: Vec<Outcome> = match router {
        None => jobs.into_iter().map(|job| fallback(job, None)).collect(),
        Some(router) => {
            let limit = router.concurrency(options.tier);
            futures_util::stream::iter(jobs)
                .map(|job| async move {
                    let request = CompletionRequest {
                        system: Some(SYSTEM.to_owned()),
                        prompt: job.prompt.clone(),
                        max_tokens: options.max_tokens.max(1),
                        temperature: None,
                    };
                    match router.complete(options.tier, &request).await {
                        Ok(done) if !done.text.trim().is_empty() => Outcome {
                            node: SummaryNode {
                                id: job.id,
                                title: job.title,
                                summary: done.text.trim().to_owned(),
                                children: job.children,
                                method: Method::Llm,
                            },
                            provider: Some(done.provider),
                            error: None,
                        },
                        Ok(done) => fallback(
                            job,
                            Some(format!("{} answered with an empty summary", done.provider)),
                        ),
                        Err(e) => fallback(job, Some(e)),
                    }
                })
                .buffered(limit)
                .collect()
                .await
        }
    };
    let mut nodes = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        if let Some(provider) = outcome.provider {
            metadata.llm_calls += 1;
            if !metadata.providers.contains(&provider) {
                metadata.providers.push(provider);
            }
        } else {
            if router.is_some() {
                metadata.llm_calls += 1;
            }
            metadata.extractive_nodes += 1;
        }
        if let Some(error) = outcome.error
            && metadata.reason.is_none()
        {
            metadata.reason = Some(format!("LLM call failed: {error}"));
        }
        nodes.push(outcome.node);
    }
    nodes
}

fn fallback(job: Job, error: Option<String>) -> Outcome {
    Outcome {
        node: SummaryNode {
            id: job.id,
            title: job.title,
            summary: job.fallback,
            children: job.children,
            method: Method::Extractive,
        },
        provider: None,
        error,
    }
}

/// `text` cut to `max` characters at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn first_sentence(text: &str) -> &str {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let end = line
        .match_indices(['.', '!', '?'])
        .map(|(i, _)| i + 1)
        .find(|&i| line[i..].is_empty() || line[i..].starts_with(char::is_whitespace))
        .unwrap_or(line.len());
    &line[..end]
}

/// Whether a line says anything (not only brackets, fences or punctuation).
fn has_words(line: &str) -> bool {
    line.chars().any(char::is_alphanumeric)
}

/// A deterministic summary of at most `max_tokens` (× 4 characters): headings and the first
/// sentence of each paragraph, in order, then further sentences while there is room.
pub fn extractive(title: &str, text: &str, max_tokens: usize) -> String {
    let budget = max_tokens.max(1) * CHARS_PER_TOKEN;
    let mut firsts: Vec<String> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut lines = paragraph
            .lines()
            .map(str::trim)
            .filter(|l| has_words(l))
            .peekable();
        let Some(mut first) = lines.next() else {
            continue;
        };
        if let Some(heading) = first.strip_prefix('#') {
            firsts.push(heading.trim_start_matches('#').trim().to_owned());
            match lines.next() {
                Some(next) => first = next,
                None => continue,
            }
        }
        let sentence = first_sentence(first);
        firsts.push(sentence.to_owned());
        let remainder = first[sentence.len()..].trim();
        if has_words(remainder) {
            rest.push(remainder.to_owned());
        }
        rest.extend(lines.map(str::to_owned));
    }
    let mut out = String::new();
    for piece in firsts.into_iter().chain(rest) {
        let piece = piece.trim();
        if piece.is_empty() || out.contains(piece) {
            continue;
        }
        let needed = piece.chars().count() + usize::from(!out.is_empty());
        if out.chars().count() + needed > budget {
            if out.is_empty() {
                out = cut_words(piece, budget);
            }
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
    }
    if out.is_empty() {
        out = if title.trim().is_empty() {
            "(empty)".to_owned()
        } else {
            cut_words(title.trim(), budget)
        };
    }
    out
}

/// At most `max` characters, cut after a whole word, ending in `…` when cut.
fn cut_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head = cut(text, max.saturating_sub(1));
    let head = match head.rfind(char::is_whitespace) {
        Some(at) if at > 0 => &head[..at],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractive_takes_headings_and_first_sentences_within_budget() {
        let text =
            "## Install\nRun the installer. Then reboot.\n\nIt needs 2 GB. Really.\n\n}\n\n```\n";
        assert_eq!(
            extractive("t", text, 100),
            "Install Run the installer. It needs 2 GB. Then reboot. Really."
        );
        let short = extractive("t", text, 4);
        assert!(short.chars().count() <= 16, "{short}");
        assert_eq!(extractive("Title", "{}\n[]", 50), "Title");
        assert_eq!(extractive("", "", 50), "(empty)");
    }

    #[test]
    fn extractive_is_deterministic() {
        let text = "Alpha beta. Gamma.\n\nDelta epsilon zeta eta theta iota kappa.";
        assert_eq!(extractive("x", text, 5), extractive("x", text, 5));
        assert_eq!(extractive("x", text, 5), "Alpha beta.");
    }
}
