//! mcpd's resource store.
//!
//! Resources live in one table keyed by (kind, project scope, name), with the spec as
//! canonical JSON; secret specs are sealed with an AEAD before they reach the database. The
//! same code runs on embedded SQLite (the default) and PostgreSQL: queries are written once
//! (`rows`) and compiled for both connection types. Every write is one transaction that checks
//! the references it touches before committing (`tx`, `references`).

mod cipher;
mod codec;
mod database;
mod error;
mod references;
mod rows;
mod schema;
mod store;
mod tx;

pub use cipher::{CipherError, SecretCipher};
pub use database::{Backend, redact};
pub use error::StoreError;
pub use store::Store;
pub use tx::{Action, Outcome, PutMode, WriteOp};
