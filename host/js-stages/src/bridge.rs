//! The host side of `ctx.log`, `ctx.llm` and `ctx.cache` for one runtime.
//!
//! The native functions given to `bootstrap.js` start host work on the caller's tokio runtime
//! and return an operation id; the host's answers come back to the runtime's thread as
//! [`HostEvent`]s, which the call loop (`engine`) turns into settled promises.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;

use pipeline::{CacheHandle, LlmHandle, StageLog};
use rquickjs::{Ctx, Exception, Function, Object};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::limits::JsLimits;

/// The JS half (returns `{ log, llm, cache, settle, compute, reset }`).
pub(crate) const BOOTSTRAP: &str = include_str!("bootstrap.js");

/// A host answer for the call `call`.
pub(crate) enum HostEvent {
    /// `ctx.llm.complete` or `ctx.cache.getOrCompute` finished.
    Settled {
        call: u64,
        op: u32,
        result: Result<String, String>,
    },
    /// The cache needs the value: run the JS `fn` of operation `op` and answer on `reply`.
    ComputeRequested {
        call: u64,
        op: u32,
        reply: oneshot::Sender<Result<String, String>>,
    },
}

/// What the native functions use during one call.
pub(crate) struct ActiveCall {
    pub id: u64,
    pub log: Arc<dyn StageLog>,
    pub llm: Option<Arc<dyn LlmHandle>>,
    pub cache: Option<Arc<dyn CacheHandle>>,
    pub tokio: Option<Handle>,
    /// Host operations started and not yet settled.
    pub outstanding: usize,
    /// Host operations started in this call.
    pub started: usize,
    pub log_lines: usize,
    pub compute_replies: HashMap<u32, oneshot::Sender<Result<String, String>>>,
}

/// One runtime's bridge; the native functions share it.
pub(crate) struct HostBridge {
    stage: String,
    max_log_lines: usize,
    max_log_bytes: usize,
    max_host_calls: usize,
    pub call: RefCell<Option<ActiveCall>>,
    next_op: Cell<u32>,
    events: mpsc::Sender<HostEvent>,
}

impl HostBridge {
    pub fn new(stage: &str, limits: &JsLimits, events: mpsc::Sender<HostEvent>) -> Rc<Self> {
        Rc::new(Self {
            stage: stage.to_owned(),
            max_log_lines: limits.max_log_lines,
            max_log_bytes: limits.max_log_bytes,
            max_host_calls: limits.max_host_calls,
            call: RefCell::new(None),
            next_op: Cell::new(0),
            events,
        })
    }

    fn next_op(&self) -> u32 {
        let op = self.next_op.get().wrapping_add(1);
        self.next_op.set(op);
        op
    }

    /// Evaluates `bootstrap.js` and returns its object.
    pub fn install<'js>(self: &Rc<Self>, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let make: Function = ctx.eval(BOOTSTRAP)?;
        let bridge = self.clone();
        let log = Function::new(ctx.clone(), move |level: String, message: String| {
            bridge.log(&level, &message);
        })?;
        let bridge = self.clone();
        let llm = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, prompt: String, tier: String| bridge.start_llm(&ctx, prompt, tier),
        )?;
        let bridge = self.clone();
        let cache = Function::new(ctx.clone(), move |ctx: Ctx<'js>, key: String| {
            bridge.start_cache(&ctx, key)
        })?;
        let bridge = self.clone();
        let computed = Function::new(ctx.clone(), move |op: u32, ok: bool, value: String| {
            bridge.computed(op, ok, value);
        })?;
        make.call((log, llm, cache, computed))
    }

    fn log(&self, level: &str, message: &str) {
        let mut call = self.call.borrow_mut();
        let Some(call) = call.as_mut() else {
            // Top-level code of the module, while it loads.
            tracing::info!(stage = %self.stage, level, "{}", cut(message, self.max_log_bytes));
            return;
        };
        call.log_lines += 1;
        if call.log_lines > self.max_log_lines {
            if call.log_lines == self.max_log_lines + 1 {
                call.log.log(
                    "warn",
                    &format!(
                        "more than {} ctx.log lines in one call; the rest are dropped",
                        self.max_log_lines
                    ),
                );
            }
            return;
        }
        let level = match level {
            "debug" | "info" | "warn" | "error" => level,
            _ => "info",
        };
        call.log.log(level, cut(message, self.max_log_bytes));
    }

    /// Checks that a call is running and has the handle `pick` takes from it, then counts one
    /// more host operation; returns the handle, where to run it, the call and the operation.
    fn begin<'js, H: ?Sized>(
        &self,
        ctx: &Ctx<'js>,
        what: &str,
        pick: impl FnOnce(&ActiveCall) -> Option<Arc<H>>,
        missing: &str,
    ) -> rquickjs::Result<(Arc<H>, Handle, u64, u32)> {
        let mut call = self.call.borrow_mut();
        let Some(call) = call.as_mut() else {
            return Err(Exception::throw_message(
                ctx,
                &format!("{what} can only be used while the stage runs"),
            ));
        };
        let Some(handle) = pick(call) else {
            return Err(Exception::throw_message(ctx, &format!("{what}: {missing}")));
        };
        let Some(tokio) = call.tokio.clone() else {
            return Err(Exception::throw_message(
                ctx,
                &format!("{what}: the stage was not called from an async runtime"),
            ));
        };
        if call.started >= self.max_host_calls {
            return Err(Exception::throw_message(
                ctx,
                &format!(
                    "{what}: more than {} host calls in one stage call",
                    self.max_host_calls
                ),
            ));
        }
        call.started += 1;
        call.outstanding += 1;
        Ok((handle, tokio, call.id, self.next_op()))
    }

    fn start_llm<'js>(
        &self,
        ctx: &Ctx<'js>,
        prompt: String,
        tier: String,
    ) -> rquickjs::Result<u32> {
        let (llm, tokio, call_id, op) = self.begin(
            ctx,
            "ctx.llm.complete",
            |call| call.llm.clone(),
            "no LLM provider is configured (add one under `llm:` in config.yaml)",
        )?;
        let events = self.events.clone();
        tokio.spawn(async move {
            let result = llm.complete(prompt, &tier).await;
            let _ = events.send(HostEvent::Settled {
                call: call_id,
                op,
                result,
            });
        });
        Ok(op)
    }

    fn start_cache<'js>(&self, ctx: &Ctx<'js>, key: String) -> rquickjs::Result<u32> {
        let (cache, tokio, call_id, op) = self.begin(
            ctx,
            "ctx.cache.getOrCompute",
            |call| call.cache.clone(),
            "no pipeline cache is available for this call",
        )?;
        let events = self.events.clone();
        tokio.spawn(async move {
            let requests = events.clone();
            let compute = Box::pin(async move {
                let (reply, answer) = oneshot::channel();
                if requests
                    .send(HostEvent::ComputeRequested {
                        call: call_id,
                        op,
                        reply,
                    })
                    .is_err()
                {
                    return Err("the stage's runtime has stopped".to_owned());
                }
                answer
                    .await
                    .unwrap_or_else(|_| Err("the stage call ended before fn returned".to_owned()))
            });
            let result = cache.get_or_compute(key, compute).await;
            let _ = events.send(HostEvent::Settled {
                call: call_id,
                op,
                result,
            });
        });
        Ok(op)
    }

    fn computed(&self, op: u32, ok: bool, value: String) {
        let mut call = self.call.borrow_mut();
        if let Some(reply) = call
            .as_mut()
            .and_then(|call| call.compute_replies.remove(&op))
        {
            let _ = reply.send(if ok { Ok(value) } else { Err(value) });
        }
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
