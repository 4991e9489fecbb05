//! JS stages: `.js`/`.mjs` files in `$MCPCTL_HOME/stages/` that export
//! `default async function (content, ctx)`, run in QuickJS (through rquickjs) with a memory and
//! a time limit and no access to files, network or processes.
//!
//! - [`JsStage`]: one file behind [`pipeline::Stage`], on warm runtimes (`stage`, `engine`).
//! - [`JsStageRegistry`]: every stage of the folder, reloaded when files change (`registry`).
//! - [`JsLimits`]: the bounds (`limits`).

mod bridge;
mod engine;
pub mod limits;
pub mod registry;
mod stage;

pub use engine::LoadError;
pub use limits::JsLimits;
pub use registry::{JsStageRegistry, RELOAD_DEBOUNCE, RegistryError, ReloadReport, SkippedFile};
pub use stage::JsStage;
