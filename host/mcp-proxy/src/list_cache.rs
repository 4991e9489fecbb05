//! [`ListCache`]: an instance's lists (tools, prompts, resources, resource templates), kept
//! for every client session of a link until the instance says one changed, or [`LIST_TTL`]
//! passes.
//!
//! A link's lists are the same for all its client sessions (one upstream session serves
//! them all), so a project of fifty servers need not ask fifty servers again for every
//! `tools/list` of every session. The instance's `notifications/*/list_changed` drops the
//! kind the moment the link reads it, before any answer that follows it is handed on; the TTL
//! bounds staleness where no notification comes (an instance replaced behind mcpd whose lists
//! differ, a server that does not send list_changed). A fetch that overlapped an invalidation
//! is returned to its caller but not kept.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rmcp::model::{Prompt, Resource, ResourceTemplate, ServerNotification, Tool};

/// How long a kept list is used without asking the instance again.
pub const LIST_TTL: Duration = Duration::from_secs(5);

/// One kind's kept list, and the invalidations seen so far.
#[doc(hidden)]
pub struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    epoch: u64,
    kept: Option<(Instant, Arc<Vec<T>>)>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(SlotState {
                epoch: 0,
                kept: None,
            }),
        }
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn invalidate(&self) {
        let mut state = self.lock();
        state.epoch += 1;
        state.kept = None;
    }

    async fn get_or_fetch<E, Fut>(
        &self,
        ttl: Duration,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Arc<Vec<T>>, E>
    where
        Fut: Future<Output = Result<Vec<T>, E>>,
    {
        let epoch = {
            let state = self.lock();
            if let Some((at, list)) = &state.kept
                && at.elapsed() < ttl
            {
                return Ok(list.clone());
            }
            state.epoch
        };
        let list = Arc::new(fetch().await?);
        let mut state = self.lock();
        if state.epoch == epoch {
            state.kept = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }
}

/// The four lists of one link.
pub struct ListCache {
    tools: Slot<Tool>,
    prompts: Slot<Prompt>,
    resources: Slot<Resource>,
    templates: Slot<ResourceTemplate>,
    ttl: Duration,
}

impl Default for ListCache {
    fn default() -> Self {
        ListCache::with_ttl(LIST_TTL)
    }
}

impl std::fmt::Debug for ListCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListCache").finish_non_exhaustive()
    }
}

/// An item type of one of the four lists: which slot of a [`ListCache`] keeps it.
pub trait Listed: Sized {
    #[doc(hidden)]
    fn slot(cache: &ListCache) -> &Slot<Self>;
}

macro_rules! listed {
    ($($item:ty => $field:ident),* $(,)?) => {
        $(impl Listed for $item {
            fn slot(cache: &ListCache) -> &Slot<Self> {
                &cache.$field
            }
        })*
    };
}

listed!(Tool => tools, Prompt => prompts, Resource => resources, ResourceTemplate => templates);

impl ListCache {
    /// A cache whose lists live `ttl` (a zero TTL keeps nothing).
    pub fn with_ttl(ttl: Duration) -> ListCache {
        ListCache {
            tools: Slot::default(),
            prompts: Slot::default(),
            resources: Slot::default(),
            templates: Slot::default(),
            ttl,
        }
    }

    /// The instance's list of `T` (tools, prompts, resources or resource templates): kept,
    /// or from `fetch`.
    pub async fn get<T: Listed, E, Fut>(
        &self,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Arc<Vec<T>>, E>
    where
        Fut: Future<Output = Result<Vec<T>, E>>,
    {
        T::slot(self).get_or_fetch(self.ttl, fetch).await
    }

    /// Drops what `notification` says changed (resources/list_changed covers the templates).
    pub fn observe(&self, notification: &ServerNotification) {
        match notification {
            ServerNotification::ToolListChangedNotification(_) => self.tools.invalidate(),
            ServerNotification::PromptListChangedNotification(_) => self.prompts.invalidate(),
            ServerNotification::ResourceListChangedNotification(_) => {
                self.resources.invalidate();
                self.templates.invalidate();
            }
            _ => {}
        }
    }

    /// Drops every list (the link was re-established, say).
    pub fn clear(&self) {
        self.tools.invalidate();
        self.prompts.invalidate();
        self.resources.invalidate();
        self.templates.invalidate();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rmcp::model::NotificationNoParam;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn tool(name: &str) -> Tool {
        Tool::new(name.to_owned(), "t", Arc::new(serde_json::Map::new()))
    }

    #[tokio::test]
    async fn lists_are_kept_until_list_changed_or_the_ttl() {
        let cache = ListCache::with_ttl(Duration::from_millis(200));
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(vec![tool("a")])
        };
        for _ in 0..3 {
            assert_eq!(cache.get(fetch).await.unwrap()[0].name, "a");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        cache.observe(&ServerNotification::PromptListChangedNotification(
            NotificationNoParam::default(),
        ));
        cache.get(fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "another kind changed");

        cache.observe(&ServerNotification::ToolListChangedNotification(
            NotificationNoParam::default(),
        ));
        cache.get(fetch).await.unwrap();
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "list_changed drops the tools"
        );

        tokio::time::sleep(Duration::from_millis(250)).await;
        cache.get(fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 3, "the TTL passed");
    }

    #[tokio::test]
    async fn a_fetch_that_overlaps_list_changed_is_not_kept() {
        let cache = ListCache::default();
        let stale = cache
            .get(|| async {
                cache.observe(&ServerNotification::ToolListChangedNotification(
                    NotificationNoParam::default(),
                ));
                Ok::<_, ()>(vec![tool("old")])
            })
            .await
            .unwrap();
        assert_eq!(stale[0].name, "old");
        let fresh = cache
            .get(|| async { Ok::<_, ()>(vec![tool("new")]) })
            .await
            .unwrap();
        assert_eq!(fresh[0].name, "new");
        let failed = cache.get(|| async { Err::<Vec<Tool>, _>("down") }).await;
        assert_eq!(failed.unwrap()[0].name, "new", "kept, so not fetched");
        cache.clear();
        let failed = cache.get(|| async { Err::<Vec<Tool>, _>("down") }).await;
        assert_eq!(failed.unwrap_err(), "down");
    }
}
