//! The resource model of mcpctl: kinds, specs, documents and validation.
//!
//! This crate is shared by mcpd (which stores and checks resources) and mcpctl (which reads
//! files and renders resources). It does no I/O.

pub mod catalog;
pub mod document;
pub mod effective;
pub mod error;
pub mod kind;
pub mod patch;
pub mod resource;
pub mod spec;
pub mod validate;

pub use error::{FieldPath, ModelError};
pub use kind::Kind;
pub use resource::{Key, MASK, Meta, Resource};
pub use spec::Spec;
