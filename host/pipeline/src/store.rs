//! Sections kept for drill-down: in memory, each result for a time to live (5 minutes by
//! default, counted from when it was stored) and all of them within a memory bound (64 MiB by
//! default; the oldest results go first). Ids are `pm-` and 16 random hex digits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use llm::{Clock, SystemClock};

use crate::stage::Section;

/// How long and how much the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub ttl: Duration,
    pub max_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            ttl: Duration::from_secs(300),
            max_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "_resultId {id} is unknown (it was never issued, or was dropped to stay within the section store's memory bound); call again without _resultId and _section for a fresh table of contents"
    )]
    UnknownResult { id: String },
    #[error(
        "_resultId {id} has expired (sections are kept {ttl_secs} s); call again without _resultId and _section for a fresh table of contents"
    )]
    Expired { id: String, ttl_secs: u64 },
    #[error("_section {section:?} is not in {id}; its sections are: {available}")]
    UnknownSection {
        id: String,
        section: String,
        available: String,
    },
    #[error(
        "the sections need {bytes} bytes, more than the section store's bound of {limit} bytes"
    )]
    TooLarge { bytes: usize, limit: usize },
    #[error("cannot make a result id: {0}")]
    Random(String),
}

struct Stored {
    sections: Vec<Section>,
    stored_at: Instant,
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    results: HashMap<String, Stored>,
    /// Ids in the order they were stored (oldest first).
    order: VecDeque<String>,
    bytes: usize,
}

/// Figures for status output and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    pub results: usize,
    pub bytes: usize,
}

pub struct SectionStore {
    options: StoreOptions,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl Default for SectionStore {
    fn default() -> Self {
        SectionStore::new(StoreOptions::default())
    }
}

/// Bytes a section is counted for (its strings and some bookkeeping).
fn size_of(section: &Section) -> usize {
    section.id.len() + section.title.len() + section.content.len() + 64
}

/// At most this many section ids are listed in an error.
const LISTED_IDS: usize = 50;

impl SectionStore {
    pub fn new(options: StoreOptions) -> Self {
        SectionStore::with_clock(options, Arc::new(SystemClock))
    }

    pub fn with_clock(options: StoreOptions, clock: Arc<dyn Clock>) -> Self {
        SectionStore {
            options,
            clock,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn options(&self) -> StoreOptions {
        self.options
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `sections` and returns their new result id.
    pub fn put(&self, sections: Vec<Section>) -> Result<String, StoreError> {
        self.put_with(sections, |_, _| ()).map(|(id, ())| id)
    }

    /// Keeps `sections`, and returns their new result id with what `render` made of the id
    /// and the sections (the table of contents, without copying the sections).
    pub fn put_with<T>(
        &self,
        sections: Vec<Section>,
        render: impl FnOnce(&str, &[Section]) -> T,
    ) -> Result<(String, T), StoreError> {
        let bytes: usize = sections.iter().map(size_of).sum();
        if bytes > self.options.max_bytes {
            return Err(StoreError::TooLarge {
                bytes,
                limit: self.options.max_bytes,
            });
        }
        let now = self.clock.now();
        let mut inner = self.lock();
        self.purge(&mut inner, now, bytes);
        let id = loop {
            let candidate = new_id()?;
            if !inner.results.contains_key(&candidate) {
                break candidate;
            }
        };
        let rendered = render(&id, &sections);
        inner.bytes += bytes;
        inner.order.push_back(id.clone());
        inner.results.insert(
            id.clone(),
            Stored {
                sections,
                stored_at: now,
                bytes,
            },
        );
        Ok((id, rendered))
    }

    /// The section `section` of result `result_id` (`[id]` as the table shows it works too).
    pub fn get(&self, result_id: &str, section: &str) -> Result<Section, StoreError> {
        let now = self.clock.now();
        let result_id = result_id.trim();
        let wanted = section.trim().trim_start_matches('[').trim_end_matches(']');
        let mut inner = self.lock();
        let outcome = match inner.results.get(result_id) {
            None => Err(StoreError::UnknownResult {
                id: result_id.to_owned(),
            }),
            Some(stored) if now.saturating_duration_since(stored.stored_at) >= self.options.ttl => {
                Err(StoreError::Expired {
                    id: result_id.to_owned(),
                    ttl_secs: self.options.ttl.as_secs(),
                })
            }
            Some(stored) => stored
                .sections
                .iter()
                .find(|s| s.id == wanted)
                .cloned()
                .ok_or_else(|| StoreError::UnknownSection {
                    id: result_id.to_owned(),
                    section: wanted.to_owned(),
                    available: list_ids(&stored.sections),
                }),
        };
        self.purge(&mut inner, now, 0);
        outcome
    }

    /// The ids of a stored result's sections, in order.
    pub fn section_ids(&self, result_id: &str) -> Option<Vec<String>> {
        let inner = self.lock();
        let stored = inner.results.get(result_id.trim())?;
        Some(stored.sections.iter().map(|s| s.id.clone()).collect())
    }

    pub fn stats(&self) -> StoreStats {
        let inner = self.lock();
        StoreStats {
            results: inner.results.len(),
            bytes: inner.bytes,
        }
    }

    /// Drops expired results, then the oldest until `incoming` more bytes fit.
    fn purge(&self, inner: &mut Inner, now: Instant, incoming: usize) {
        while let Some(oldest) = inner.order.front() {
            let expired = inner
                .results
                .get(oldest)
                .is_none_or(|s| now.saturating_duration_since(s.stored_at) >= self.options.ttl);
            if !expired && inner.bytes + incoming <= self.options.max_bytes {
                break;
            }
            if let Some(id) = inner.order.pop_front()
                && let Some(stored) = inner.results.remove(&id)
            {
                inner.bytes -= stored.bytes;
            }
        }
    }
}

fn new_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    let mut id = String::from("pm-");
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}

fn list_ids(sections: &[Section]) -> String {
    let listed: Vec<&str> = sections
        .iter()
        .take(LISTED_IDS)
        .map(|s| s.id.as_str())
        .collect();
    let more = sections.len().saturating_sub(LISTED_IDS);
    let mut text = listed.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}
