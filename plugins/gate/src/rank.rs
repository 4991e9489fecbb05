//! Ranking the project's prompts against a task: BM25 (the `bm25` crate) over each prompt's
//! name and text, without English stop words and with English stemming, weighted by the
//! prompt's priority.

use std::collections::HashSet;
use std::sync::LazyLock;

use bm25::{Document, SearchEngineBuilder, Tokenizer};
use plugin_api::schema::PromptEntry;
use rust_stemmers::{Algorithm, Stemmer};

static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    stop_words::get(stop_words::LANGUAGE::English)
        .iter()
        .copied()
        .collect()
});

/// Lower-cased words of two or more letters or digits that are not stop words ("the",
/// "with"), stemmed (so "deploying" finds "deployment").
struct StemmingTokenizer(Stemmer);

impl Tokenizer for StemmingTokenizer {
    fn tokenize(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .filter(|w| !STOP_WORDS.contains(w.as_str()))
            .map(|w| self.0.stem(&w).into_owned())
            .collect()
    }
}

/// The multiplier of a prompt's BM25 score for its priority (1 to 10): 0.6 at 1, 1.0 at 5,
/// 1.5 at 10, so priority reorders close matches but cannot make an unrelated prompt relevant.
pub fn priority_weight(priority: u8) -> f32 {
    0.5 + f32::from(priority.clamp(1, 10)) / 10.0
}

/// A prompt that matched, by index into the list, with its weighted score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub index: usize,
    pub score: f32,
}

/// The prompts relevant to `task` (a BM25 score above zero), best first, at most `limit`.
pub fn rank(prompts: &[PromptEntry], task: &str, limit: usize) -> Vec<Ranked> {
    if prompts.is_empty() {
        return Vec::new();
    }
    let documents = prompts.iter().enumerate().map(|(index, p)| {
        Document::new(index, format!("{} {}", p.name.replace('-', " "), p.content))
    });
    let engine =
        SearchEngineBuilder::<usize, u32, StemmingTokenizer>::with_tokenizer_and_documents(
            StemmingTokenizer(Stemmer::create(Algorithm::English)),
            documents,
        )
        .build();
    let mut ranked: Vec<Ranked> = engine
        .search(task, None)
        .into_iter()
        .filter(|r| r.score > 0.0)
        .map(|r| Ranked {
            index: r.document.id,
            score: r.score * priority_weight(prompts[r.document.id].priority),
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(name: &str, content: &str, priority: u8) -> PromptEntry {
        PromptEntry {
            name: name.into(),
            content: content.into(),
            priority,
        }
    }

    #[test]
    fn the_prompt_about_the_task_ranks_first_and_unrelated_ones_not_at_all() {
        let prompts = [
            prompt(
                "deployment-guide",
                "Deploy with helm upgrade; roll back with helm rollback.",
                5,
            ),
            prompt("coding-style", "Use rustfmt. Name things plainly.", 5),
            prompt("alerting", "Grafana alerts page the on-call engineer.", 5),
        ];
        let ranked = rank(&prompts, "I am deploying the new release with helm", 5);
        assert_eq!(ranked.first().map(|r| r.index), Some(0));
        assert!(ranked.iter().all(|r| r.index != 1), "{ranked:?}");
    }

    #[test]
    fn priority_reorders_equally_relevant_prompts() {
        let prompts = [
            prompt("low", "database migrations checklist", 1),
            prompt("high", "database migrations checklist", 10),
        ];
        let ranked = rank(&prompts, "run database migrations", 5);
        assert_eq!(ranked.iter().map(|r| r.index).collect::<Vec<_>>(), [1, 0]);
        assert!(ranked[0].score > ranked[1].score);
    }
}
