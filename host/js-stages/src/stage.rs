//! [`JsStage`]: one stage file behind [`pipeline::Stage`], served by a small pool of warm
//! runtimes, each on its own thread (QuickJS runtimes are used from one thread at a time;
//! keeping each on a thread of its own needs no `parallel` feature and no locking per call).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use pipeline::{BoxFuture, Stage, StageContext, StageError, StageOutput};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::engine::{Engine, LoadError};
use crate::limits::JsLimits;

/// Each runtime's thread; QuickJS's own stack bound is smaller (`engine`).
const THREAD_STACK_BYTES: usize = 4 * 1024 * 1024;

struct Job {
    content: String,
    ctx: StageContext,
    tokio: Option<Handle>,
    reply: oneshot::Sender<Result<StageOutput, StageError>>,
}

/// A loaded JS stage. Dropping the last reference stops its threads once the calls already
/// queued have finished (that is how a reload lets in-flight calls finish on the old version).
pub struct JsStage {
    name: String,
    file: PathBuf,
    source: Arc<str>,
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for JsStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsStage")
            .field("name", &self.name)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl JsStage {
    /// Evaluates `source` (the contents of `file`) in `limits.runtimes_per_stage` fresh
    /// runtimes; fails with the file and line when it does not load.
    pub fn load(
        name: &str,
        file: &Path,
        source: Arc<str>,
        limits: &JsLimits,
    ) -> Result<Arc<Self>, LoadError> {
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_owned());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut ready = Vec::new();
        for _ in 0..limits.runtimes_per_stage.max(1) {
            let (ready_tx, ready_rx) = mpsc::sync_channel(1);
            let worker = Worker {
                stage: name.to_owned(),
                file_name: file_name.clone(),
                source: source.clone(),
                limits: limits.clone(),
                queue: queue.clone(),
            };
            thread::Builder::new()
                .name(format!("js-stage-{name}"))
                .stack_size(THREAD_STACK_BYTES)
                .spawn(move || worker.run(ready_tx))
                .map_err(|e| LoadError {
                    file: file_name.clone(),
                    line: None,
                    message: format!("cannot start its runtime thread: {e}"),
                })?;
            ready.push(ready_rx);
        }
        for ready in ready {
            ready.recv().unwrap_or_else(|_| {
                Err(LoadError {
                    file: file_name.clone(),
                    line: None,
                    message: "its runtime thread stopped while loading".to_owned(),
                })
            })?;
        }
        Ok(Arc::new(Self {
            name: name.to_owned(),
            file: file.to_owned(),
            source,
            jobs,
        }))
    }

    /// The file it was loaded from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The source it was loaded from (a reload keeps a stage whose file did not change).
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Stage for JsStage {
    fn name(&self) -> &str {
        &self.name
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let stopped = |when: &str| StageError::Failed {
                stage: self.name.clone(),
                message: format!("its JS runtime stopped {when}"),
            };
            let (reply, answer) = oneshot::channel();
            let job = Job {
                content,
                ctx: ctx.clone(),
                tokio: Handle::try_current().ok(),
                reply,
            };
            self.jobs
                .send(job)
                .map_err(|_| stopped("before the call"))?;
            answer.await.map_err(|_| stopped("during the call"))?
        })
    }
}

/// One runtime's thread.
struct Worker {
    stage: String,
    file_name: String,
    source: Arc<str>,
    limits: JsLimits,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
}

impl Worker {
    fn run(self, ready: mpsc::SyncSender<Result<(), LoadError>>) {
        let load = || Engine::load(&self.stage, &self.file_name, &self.source, &self.limits);
        let mut engine = match load() {
            Ok(engine) => {
                let _ = ready.send(Ok(()));
                engine
            }
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        drop(ready);
        loop {
            let job = {
                let Ok(queue) = self.queue.lock() else {
                    return;
                };
                match queue.recv() {
                    Ok(job) => job,
                    Err(_) => return, // the stage was dropped (reloaded or removed)
                }
            };
            if job.reply.is_closed() {
                continue; // the caller gave up while the call was queued
            }
            let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
                engine.call(job.content, &job.ctx, job.tokio)
            }));
            let (result, spent) = match call {
                Ok(result) => {
                    let spent = matches!(
                        result,
                        Err(StageError::TimedOut { .. } | StageError::OutOfMemory { .. })
                    );
                    (result, spent)
                }
                Err(_) => {
                    let error = StageError::Failed {
                        stage: self.stage.clone(),
                        message: "its JS runtime failed (a bug in mcpctl); it was restarted"
                            .to_owned(),
                    };
                    tracing::error!(stage = %self.stage, "the JS runtime panicked during a call");
                    (Err(error), true)
                }
            };
            let _ = job.reply.send(result);
            if spent {
                // A stopped stage may have left its runtime half-done: start a fresh one.
                drop(engine);
                engine = match load() {
                    Ok(engine) => engine,
                    Err(error) => {
                        tracing::error!(stage = %self.stage, %error, "cannot restart the JS runtime");
                        return;
                    }
                };
            }
        }
    }
}
