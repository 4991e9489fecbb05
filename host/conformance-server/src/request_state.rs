//! `requestState` for multi-round input (SEP-2322), kept on the server.
//!
//! The client echoes `requestState` back verbatim and may change it, so the value it carries
//! is only an unguessable handle (128 random bits, hex) into this store. A handle that is not
//! in the store — tampered with, or evicted — is refused. The store holds at most
//! [`CAPACITY`] states and drops the oldest first, so no client can grow it without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

/// Most states kept at once.
pub const CAPACITY: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum RequestStateError {
    #[error("the system random source failed: {0}")]
    Random(getrandom::Error),
}

#[derive(Default)]
pub struct RequestStates {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    states: HashMap<String, Value>,
    /// Handles, oldest first.
    order: VecDeque<String>,
}

impl RequestStates {
    /// Stores `state` and returns the handle to send as `requestState`.
    pub fn put(&self, state: Value) -> Result<String, RequestStateError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(RequestStateError::Random)?;
        let handle: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while inner.order.len() >= CAPACITY {
            if let Some(oldest) = inner.order.pop_front() {
                inner.states.remove(&oldest);
            }
        }
        inner.order.push_back(handle.clone());
        inner.states.insert(handle.clone(), state);
        Ok(handle)
    }

    /// The state behind `handle`, if this server issued it and still has it.
    pub fn get(&self, handle: &str) -> Option<Value> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.states.get(handle).cloned()
    }
}
