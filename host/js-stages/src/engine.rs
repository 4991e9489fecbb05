//! One warm QuickJS runtime with one stage module evaluated, and the call loop that runs the
//! stage's default export to completion within the limits.
//!
//! The sandbox is what is left out: the context has the language's intrinsics only (no
//! `std`/`os` modules, no module loader, so every `import` fails), and the only way out is the
//! three host objects of `ctx`. The memory limit is QuickJS's allocator limit; the time limit an
//! interrupt handler checking a deadline that covers running JS, while waiting for host answers
//! is bounded separately.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pipeline::{Section, StageContext, StageError, StageOutput};
use rquickjs::{
    Coerced, Context, Ctx, Exception, Function, Module, Object, Persistent, Runtime, Value,
    promise::PromiseState,
};
use serde_json::Value as Json;
use tokio::runtime::Handle;

use crate::bridge::{ActiveCall, HostBridge, HostEvent};
use crate::limits::JsLimits;

/// QuickJS's own stack bound for JS recursion (the thread has more).
const JS_STACK_BYTES: usize = 1024 * 1024;

/// A call whose promise is pending with nothing left that could settle it. Also what an
/// uncatchable out-of-memory inside a promise job looks like, so `call` checks the memory.
const NEVER_SETTLES: &str =
    "its promise never settles (it awaits something other than ctx.llm or ctx.cache)";

/// Why a stage file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct LoadError {
    /// The file name (`redact-keys.js`).
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// The deadline the interrupt handler checks (shared with it, so atomics).
struct Deadline {
    origin: Instant,
    /// Nanoseconds after `origin`; 0 means none.
    at: AtomicU64,
    fired: AtomicBool,
}

impl Deadline {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            at: AtomicU64::new(0),
            fired: AtomicBool::new(false),
        }
    }

    fn arm(&self, budget: Duration) {
        let at = self.origin.elapsed() + budget;
        self.fired.store(false, Ordering::Relaxed);
        self.at.store(
            u64::try_from(at.as_nanos()).unwrap_or(u64::MAX).max(1),
            Ordering::Relaxed,
        );
    }

    fn disarm(&self) {
        self.at.store(0, Ordering::Relaxed);
    }

    /// Called by QuickJS every few thousand instructions.
    fn expired(&self) -> bool {
        let at = self.at.load(Ordering::Relaxed);
        if at == 0 {
            return false;
        }
        let now = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if now >= at {
            self.fired.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }
}

/// What a throw turned out to be.
enum Thrown {
    Interrupted,
    OutOfMemory,
    Error { message: String, line: Option<u32> },
}

/// One stage file, evaluated in its own runtime. Not `Send`: it lives on one worker thread.
pub(crate) struct Engine {
    // Field order is drop order: the saved values go before their context and runtime.
    default_fn: Persistent<Function<'static>>,
    host: Persistent<Object<'static>>,
    context: Context,
    _runtime: Runtime,
    bridge: Rc<HostBridge>,
    events: mpsc::Receiver<HostEvent>,
    deadline: Arc<Deadline>,
    stage: String,
    limits: JsLimits,
    next_call: u64,
}

impl Engine {
    /// Creates the runtime and evaluates `source` as the module `file`.
    pub fn load(
        stage: &str,
        file: &str,
        source: &str,
        limits: &JsLimits,
    ) -> Result<Self, LoadError> {
        let load_error = |message: String, line: Option<u32>| LoadError {
            file: file.to_owned(),
            line,
            message,
        };
        let runtime = Runtime::new().map_err(|e| load_error(e.to_string(), None))?;
        runtime.set_memory_limit(limits.memory_bytes);
        runtime.set_max_stack_size(JS_STACK_BYTES);
        let deadline = Arc::new(Deadline::new());
        let handler = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || handler.expired())));
        let context = Context::full(&runtime).map_err(|e| load_error(e.to_string(), None))?;
        let (events_tx, events) = mpsc::channel();
        let bridge = HostBridge::new(stage, limits, events_tx);

        let (default_fn, host) = context.with(|js| {
            let thrown = |js: &Ctx<'_>, error: rquickjs::Error| match classify(js, &deadline, error)
            {
                Thrown::Interrupted => load_error(
                    format!(
                        "its top-level code ran longer than {} ms",
                        limits.time.as_millis()
                    ),
                    None,
                ),
                Thrown::OutOfMemory => load_error(
                    format!(
                        "its top-level code needed more than {} bytes",
                        limits.memory_bytes
                    ),
                    None,
                ),
                Thrown::Error { message, line } => load_error(message, line),
            };
            let host = bridge.install(&js).map_err(|e| thrown(&js, e))?;
            deadline.arm(limits.time);
            let evaluated = Module::declare(js.clone(), file, source).and_then(|m| m.eval());
            let (module, promise) = match evaluated {
                Ok(evaluated) => evaluated,
                Err(e) => {
                    deadline.disarm();
                    return Err(thrown(&js, e));
                }
            };
            // Top-level await: run jobs until the module's promise settles.
            let settled = promise.finish::<Value>();
            deadline.disarm();
            match settled {
                Ok(_) => {}
                Err(rquickjs::Error::WouldBlock) => {
                    return Err(load_error(
                        "its top-level code awaits something that never settles".to_owned(),
                        None,
                    ));
                }
                Err(e) => return Err(thrown(&js, e)),
            }
            let default: Value = module.get("default").map_err(|e| thrown(&js, e))?;
            let Some(default_fn) = default.into_function() else {
                return Err(load_error(
                    "it must `export default async function (content, ctx) { ... }`".to_owned(),
                    None,
                ));
            };
            Ok((
                Persistent::save(&js, default_fn),
                Persistent::save(&js, host),
            ))
        })?;

        Ok(Self {
            default_fn,
            host,
            context,
            _runtime: runtime,
            bridge,
            events,
            deadline,
            stage: stage.to_owned(),
            limits: limits.clone(),
            next_call: 0,
        })
    }

    /// Runs the stage once. After `TimedOut` or `OutOfMemory` the caller replaces the engine.
    pub fn call(
        &mut self,
        content: String,
        ctx: &StageContext,
        tokio: Option<Handle>,
    ) -> Result<StageOutput, StageError> {
        self.next_call += 1;
        let id = self.next_call;
        *self.bridge.call.borrow_mut() = Some(ActiveCall {
            id,
            log: ctx.log.clone(),
            llm: ctx.llm.clone(),
            cache: ctx.cache.clone(),
            tokio,
            outstanding: 0,
            started: 0,
            log_lines: 0,
            compute_replies: Default::default(),
        });
        let outcome = self.context.with(|js| {
            let outcome = self.run(&js, id, content, ctx);
            if let Ok(host) = self.host.clone().restore(&js) {
                let _ = host
                    .get::<_, Function>("reset")
                    .and_then(|f| f.call::<_, ()>(()));
            }
            outcome
        });
        *self.bridge.call.borrow_mut() = None;
        let outcome = match outcome {
            Err(StageError::Failed { message, .. })
                if message == NEVER_SETTLES && self.near_memory_limit() =>
            {
                Err(self.out_of_memory_error())
            }
            other => other,
        };
        if let Err(error) = &outcome {
            ctx.log.log("error", &error.to_string());
        }
        outcome
    }

    fn run<'js>(
        &self,
        js: &Ctx<'js>,
        id: u64,
        content: String,
        ctx: &StageContext,
    ) -> Result<StageOutput, StageError> {
        let failed = |message: String| StageError::Failed {
            stage: self.stage.clone(),
            message,
        };
        let engine_error = |e: rquickjs::Error| failed(format!("engine error: {e}"));
        let default = self.default_fn.clone().restore(js).map_err(engine_error)?;
        let host = self.host.clone().restore(js).map_err(engine_error)?;
        let ctx_object = self
            .ctx_object(js, &host, ctx)
            .map_err(|e| self.error(js, e))?;

        let mut js_left = self.limits.time;
        let mut wait_left = self.limits.host_wait;
        let started = Instant::now();
        self.deadline.arm(js_left);
        let returned = default.call::<_, Value>((content, ctx_object));
        self.deadline.disarm();
        js_left = js_left.saturating_sub(started.elapsed());
        let returned = returned.map_err(|e| self.error(js, e))?;
        let Some(promise) = returned.as_promise().cloned() else {
            return self.output(js, returned);
        };
        let settle: Function = host.get("settle").map_err(engine_error)?;
        let compute: Function = host.get("compute").map_err(engine_error)?;
        loop {
            let started = Instant::now();
            self.deadline.arm(js_left);
            while js.execute_pending_job() {
                if self.deadline.fired() {
                    break;
                }
            }
            self.deadline.disarm();
            js_left = js_left.saturating_sub(started.elapsed());
            if self.deadline.fired() {
                return Err(self.timed_out(self.limits.time));
            }
            match promise.state() {
                PromiseState::Resolved => {
                    return match promise.result::<Value>() {
                        Some(Ok(value)) => self.output(js, value),
                        Some(Err(e)) => Err(self.error(js, e)),
                        None => Err(failed("its promise has no result".to_owned())),
                    };
                }
                PromiseState::Rejected => {
                    let Some(Err(e)) = promise.result::<Value>() else {
                        return Err(failed("its promise was rejected".to_owned()));
                    };
                    return Err(self.error(js, e));
                }
                PromiseState::Pending => {}
            }
            let outstanding = self
                .bridge
                .call
                .borrow()
                .as_ref()
                .map_or(0, |call| call.outstanding);
            if outstanding == 0 {
                return Err(failed(NEVER_SETTLES.to_owned()));
            }
            let waiting = Instant::now();
            let event = match self.events.recv_timeout(wait_left) {
                Ok(event) => event,
                Err(_) => return Err(self.timed_out(self.limits.host_wait)),
            };
            wait_left = wait_left.saturating_sub(waiting.elapsed());
            let started = Instant::now();
            self.deadline.arm(js_left);
            let handled = self.handle(id, event, &settle, &compute);
            self.deadline.disarm();
            js_left = js_left.saturating_sub(started.elapsed());
            handled.map_err(|e| self.error(js, e))?;
        }
    }

    /// Applies one host answer (answers of an earlier, abandoned call are ignored).
    fn handle<'js>(
        &self,
        id: u64,
        event: HostEvent,
        settle: &Function<'js>,
        compute: &Function<'js>,
    ) -> rquickjs::Result<()> {
        match event {
            HostEvent::Settled { call, op, result } if call == id => {
                if let Some(call) = self.bridge.call.borrow_mut().as_mut() {
                    call.outstanding = call.outstanding.saturating_sub(1);
                }
                let (ok, value) = match result {
                    Ok(value) => (true, value),
                    Err(message) => (false, message),
                };
                settle.call::<_, ()>((op, ok, value))
            }
            HostEvent::ComputeRequested { call, op, reply } if call == id => {
                if let Some(call) = self.bridge.call.borrow_mut().as_mut() {
                    call.compute_replies.insert(op, reply);
                }
                compute.call::<_, ()>((op,))
            }
            _ => Ok(()),
        }
    }

    fn ctx_object<'js>(
        &self,
        js: &Ctx<'js>,
        host: &Object<'js>,
        ctx: &StageContext,
    ) -> rquickjs::Result<Object<'js>> {
        let object = Object::new(js.clone())?;
        object.set("contentType", ctx.content_type.as_str())?;
        object.set("sourceName", ctx.source_name.as_str())?;
        object.set("projectName", ctx.project_name.as_str())?;
        object.set("sessionId", ctx.session_id.as_str())?;
        object.set("originalContent", &*ctx.original_content)?;
        let config = serde_json::to_string(&ctx.config).unwrap_or_else(|_| "{}".to_owned());
        object.set("config", js.json_parse(config)?)?;
        if let Some(sections) = &ctx.sections {
            let sections = serde_json::to_string(&**sections).unwrap_or_else(|_| "[]".to_owned());
            object.set("sections", js.json_parse(sections)?)?;
        }
        for handle in ["log", "llm", "cache"] {
            object.set(handle, host.get::<_, Value>(handle)?)?;
        }
        Ok(object)
    }

    /// Turns what the stage returned into a [`StageOutput`].
    fn output<'js>(&self, js: &Ctx<'js>, value: Value<'js>) -> Result<StageOutput, StageError> {
        let failed = |message: String| StageError::Failed {
            stage: self.stage.clone(),
            message,
        };
        if let Some(text) = value.as_string() {
            let content = text.to_string().map_err(|e| self.error(js, e))?;
            return Ok(StageOutput::content(content));
        }
        if !value.is_object() || value.is_function() || value.is_array() {
            return Err(failed(format!(
                "it returned {} instead of {{ content, sections?, metadata? }} or a string",
                js_type(&value)
            )));
        }
        let json = js
            .json_stringify(value)
            .map_err(|e| self.error(js, e))?
            .map(|s| s.to_string())
            .transpose()
            .map_err(|e| self.error(js, e))?
            .unwrap_or_default();
        let json: Json = serde_json::from_str(&json)
            .map_err(|e| failed(format!("its result is not JSON-like: {e}")))?;
        output_from_json(json).map_err(failed)
    }

    fn error(&self, js: &Ctx<'_>, error: rquickjs::Error) -> StageError {
        match classify(js, &self.deadline, error) {
            Thrown::Interrupted => self.timed_out(self.limits.time),
            Thrown::OutOfMemory => self.out_of_memory_error(),
            Thrown::Error { message, line } => StageError::Failed {
                stage: self.stage.clone(),
                message: match line {
                    Some(line) => format!("{message} (line {line})"),
                    None => message,
                },
            },
        }
    }

    fn timed_out(&self, limit: Duration) -> StageError {
        StageError::TimedOut {
            stage: self.stage.clone(),
            limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Within 1 MiB of the memory limit (only outside `context.with`: it takes the lock).
    fn near_memory_limit(&self) -> bool {
        let usage = self._runtime.memory_usage();
        let used = u64::try_from(usage.malloc_size).unwrap_or(0);
        used + (1 << 20) >= self.limits.memory_bytes as u64
    }

    fn out_of_memory_error(&self) -> StageError {
        StageError::OutOfMemory {
            stage: self.stage.clone(),
            limit_bytes: self.limits.memory_bytes as u64,
        }
    }
}

/// What `error` was: the interrupt, the allocator's limit, or something the stage threw.
fn classify(js: &Ctx<'_>, deadline: &Deadline, error: rquickjs::Error) -> Thrown {
    let thrown = match error {
        rquickjs::Error::Exception => js.catch(),
        rquickjs::Error::Allocation => return Thrown::OutOfMemory,
        other => {
            return Thrown::Error {
                message: other.to_string(),
                line: None,
            };
        }
    };
    if deadline.fired() {
        return Thrown::Interrupted;
    }
    let Some(exception) = thrown.as_object().cloned().and_then(Exception::from_object) else {
        let text = thrown
            .get::<Coerced<String>>()
            .map(|s| s.0)
            .unwrap_or_else(|_| "a value that is not an Error".to_owned());
        return Thrown::Error {
            message: format!("it threw {text}"),
            line: None,
        };
    };
    let message = exception.message().unwrap_or_default();
    if message.contains("out of memory") {
        return Thrown::OutOfMemory;
    }
    let name: String = exception
        .get::<_, Coerced<String>>("name")
        .map(|s| s.0)
        .unwrap_or_else(|_| "Error".to_owned());
    let line = exception
        .get::<_, Option<i32>>("lineNumber")
        .ok()
        .flatten()
        .and_then(|l| u32::try_from(l).ok())
        .or_else(|| exception.stack().as_deref().and_then(first_line_number));
    let message = if message.contains("could not load module")
        || message.contains("module") && message.contains("not found")
    {
        format!(
            "{name}: {message}: stages run sandboxed and cannot import modules (no file system, network or process access)"
        )
    } else {
        format!("{name}: {message}")
    };
    Thrown::Error { message, line }
}

/// The line of the first `file:LINE:COLUMN` frame of a stack.
fn first_line_number(stack: &str) -> Option<u32> {
    stack.lines().find_map(|frame| {
        let frame = frame.trim().trim_end_matches(')');
        let mut parts = frame.rsplitn(3, ':');
        let _column = parts.next()?;
        parts.next()?.parse().ok()
    })
}

/// `{ content, sections?, metadata? }` checked field by field.
fn output_from_json(json: Json) -> Result<StageOutput, String> {
    let Json::Object(mut fields) = json else {
        return Err("it returned something other than an object or a string".to_owned());
    };
    let content = match fields.remove("content") {
        Some(Json::String(content)) => content,
        Some(other) => {
            return Err(format!(
                "it returned {{ content }} that is {}, not a string",
                json_type(&other)
            ));
        }
        None => return Err("it returned an object without `content`".to_owned()),
    };
    let sections = match fields.remove("sections") {
        None | Some(Json::Null) => None,
        Some(Json::Array(items)) => Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| section_from_json(i, item))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => {
            return Err(format!(
                "it returned sections that is {}, not an array",
                json_type(&other)
            ));
        }
    };
    let metadata = match fields.remove("metadata") {
        None | Some(Json::Null) => Default::default(),
        Some(Json::Object(metadata)) => metadata,
        Some(other) => {
            return Err(format!(
                "it returned metadata that is {}, not an object",
                json_type(&other)
            ));
        }
    };
    Ok(StageOutput {
        content,
        sections,
        metadata,
    })
}

fn section_from_json(index: usize, item: Json) -> Result<Section, String> {
    let Json::Object(mut fields) = item else {
        return Err(format!(
            "sections[{index}] is {}, not {{ id, title?, content }}",
            json_type(&item)
        ));
    };
    let mut text = |field: &str| match fields.remove(field) {
        Some(Json::String(value)) => Ok(Some(value)),
        None | Some(Json::Null) => Ok(None),
        Some(other) => Err(format!(
            "sections[{index}].{field} is {}, not a string",
            json_type(&other)
        )),
    };
    let id = text("id")?.ok_or_else(|| format!("sections[{index}] has no id"))?;
    let title = text("title")?.unwrap_or_else(|| id.clone());
    let content = text("content")?.ok_or_else(|| format!("sections[{index}] has no content"))?;
    Ok(Section { id, title, content })
}

/// What `typeof` would say, with arrays and null told apart.
fn js_type(value: &Value<'_>) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_undefined() {
        "undefined"
    } else if value.is_bool() {
        "a boolean"
    } else if value.is_number() {
        "a number"
    } else if value.is_array() {
        "an array"
    } else if value.is_function() {
        "a function"
    } else {
        "a value of another kind"
    }
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}
