//! Content pipelines: ordered stages that transform a tool result, prompt or resource before
//! the client sees it (content-pipeline issue).
//!
//! - [`stage`]: the contract every stage implements, whatever it is written in: built-in
//!   Rust stages, JS stages (QuickJS) and native stages from plugins all implement [`Stage`]
//!   and are found by name in a [`StageRegistry`]. It mirrors the JS one users write:
//!   `export default async function(content, ctx) -> { content, sections?, metadata? }`.
//! - [`stages`]: the built-in stages (`passthrough`, `paginate`, `section-split`,
//!   `summarize-tree`) and [`BuiltinStages`]; [`split`]: section-split's format detection.
//! - [`registry`]: [`CombinedRegistry`], built-ins plus other registries.
//! - [`pipeline`]: [`Pipeline`] and [`PipelineRunner`] (stages in order, sections stored
//!   and shown as a table of contents, cache, fallback); [`toc`]: what the client sees.
//! - [`store`]: [`SectionStore`], the sections kept for `_resultId` + `_section`.
//! - [`proxymodel`]: ProxyModel YAML and the built-in pipelines; [`catalog`]:
//!   [`ProxyModelCatalog`], `$MCPCTL_HOME/proxymodels/*.yaml` re-read cheaply per request.
//!
//! ARCHITECTURE.md ("Content pipelines") describes the rules.

pub mod catalog;
pub mod config;
pub mod disk_cache;
pub mod pipeline;
pub mod proxymodel;
pub mod registry;
pub mod split;
pub mod stage;
pub mod stages;
pub mod store;
pub mod toc;

pub use catalog::{
    CatalogError, CatalogModel, CatalogSnapshot, ModelSource, ProxyModelCatalog, ProxyModelInfo,
};
pub use disk_cache::DiskCache;
pub use llm::{Clock, ManualClock, SystemClock};
pub use pipeline::{
    ALL_CONTENT_TYPES, Fallback, Pipeline, PipelineError, PipelineOutput, PipelineRunner,
    StageSpec, content_type_name,
};
pub use proxymodel::{ProxyModelError, builtin_pipelines, parse_proxymodel};
pub use registry::CombinedRegistry;
pub use stage::{
    BoxFuture, CacheHandle, ContentType, LlmHandle, Section, Stage, StageContext, StageError,
    StageLog, StageOutput, StageRegistry, StageSource,
};
pub use stages::{BuiltinStages, validate_config};
pub use store::{SectionStore, StoreError, StoreOptions, StoreStats};
