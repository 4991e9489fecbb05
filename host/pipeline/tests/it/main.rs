//! pipeline's integration tests: one binary.

#![allow(clippy::unwrap_used)]

mod catalog;
mod documents;
mod runner;
mod sections;
mod stages;
mod store;
mod summarize;
mod support;
