//! Content pipelines: ordered stages that transform a tool result, prompt or resource before
//! the client sees it (content-pipeline issue).
//!
//! This file fixes the contract every stage implements, whatever it is written in: built-in
//! Rust stages, JS stages (QuickJS) and native stages from plugins all implement [`Stage`] and
//! are found by name in a [`StageRegistry`]. The contract mirrors the JS one users write:
//! `export default async function(content, ctx) -> { content, sections?, metadata? }`.

pub mod stage;

pub use stage::{
    BoxFuture, CacheHandle, ContentType, LlmHandle, Section, Stage, StageContext, StageError,
    StageLog, StageOutput, StageRegistry, StageSource,
};
