//! Which sessions are ungated, by session id. A session the plugin has not seen is gated.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

static UNGATED: LazyLock<Mutex<HashSet<u64>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn ungated() -> std::sync::MutexGuard<'static, HashSet<u64>> {
    // A panic while holding the lock leaves the set itself consistent.
    UNGATED.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn is_gated(session: u64) -> bool {
    !ungated().contains(&session)
}

/// Marks the session ungated; returns whether it was gated until now.
pub fn ungate(session: u64) -> bool {
    ungated().insert(session)
}

/// Forgets the session (it is gated again if the id ever comes back).
pub fn forget(session: u64) {
    ungated().remove(&session);
}
