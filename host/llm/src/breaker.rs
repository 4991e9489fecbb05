//! A circuit breaker per provider: after `threshold` failures in a row it opens and turns
//! requests away for `cooldown`; then one probe request is let through (half-open). The probe's
//! success closes it; its failure opens it for another cool-down.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::Clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerState {
    /// Requests flow.
    Closed,
    /// Requests are turned away until the cool-down ends.
    Open,
    /// One probe request is (or may be) in flight.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    probe_in_flight: bool,
}

#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

/// Leave to send one request. Dropped without an outcome (the caller gave up), it frees the
/// probe slot so the breaker is not stuck half-open.
#[derive(Debug)]
pub struct Ticket<'a> {
    breaker: &'a Breaker,
    probe: bool,
    settled: bool,
}

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub failures: u32,
    /// Until the next probe; zero while a probe is in flight.
    pub retry_in: Duration,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration, clock: Arc<dyn Clock>) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            clock,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                opened_at: None,
                probe_in_flight: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state as of now (an open breaker past its cool-down reads as half-open).
    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match (inner.state, inner.opened_at) {
            (BreakerState::Open, Some(at)) if self.clock.now() >= at + self.cooldown => {
                BreakerState::HalfOpen
            }
            (state, _) => state,
        }
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.lock().consecutive_failures
    }

    pub fn try_acquire(&self) -> Result<Ticket<'_>, Refusal> {
        let mut inner = self.lock();
        let now = self.clock.now();
        let refusal = |inner: &Inner, retry_in| Refusal {
            failures: inner.consecutive_failures,
            retry_in,
        };
        match inner.state {
            BreakerState::Closed => Ok(Ticket {
                breaker: self,
                probe: false,
                settled: false,
            }),
            BreakerState::Open => {
                let until = inner.opened_at.unwrap_or(now) + self.cooldown;
                if now < until {
                    return Err(refusal(&inner, until - now));
                }
                inner.state = BreakerState::HalfOpen;
                inner.probe_in_flight = true;
                Ok(Ticket {
                    breaker: self,
                    probe: true,
                    settled: false,
                })
            }
            BreakerState::HalfOpen => {
                if inner.probe_in_flight {
                    return Err(refusal(&inner, Duration::ZERO));
                }
                inner.probe_in_flight = true;
                Ok(Ticket {
                    breaker: self,
                    probe: true,
                    settled: false,
                })
            }
        }
    }

    fn success(&self) {
        let mut inner = self.lock();
        inner.state = BreakerState::Closed;
        inner.consecutive_failures = 0;
        inner.opened_at = None;
        inner.probe_in_flight = false;
    }

    fn failure(&self, probe: bool) {
        let mut inner = self.lock();
        inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
        if probe {
            inner.probe_in_flight = false;
        }
        if probe
            || inner.state == BreakerState::HalfOpen
            || inner.consecutive_failures >= self.threshold
        {
            inner.state = BreakerState::Open;
            inner.opened_at = Some(self.clock.now());
        }
    }
}

impl Ticket<'_> {
    /// The provider answered properly (or rejected the request itself: it is alive).
    pub fn succeeded(mut self) {
        self.settled = true;
        self.breaker.success();
    }

    /// The provider failed (connection, timeout, 5xx, 429, garbage).
    pub fn failed(mut self) {
        self.settled = true;
        self.breaker.failure(self.probe);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.settled && self.probe {
            self.breaker.lock().probe_in_flight = false;
        }
    }
}
