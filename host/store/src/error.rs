//! What the store can refuse or fail at.

use resource_model::ModelError;

use crate::cipher::CipherError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A stale resource version, or a resource still referred to.
    #[error("{0}")]
    Conflict(String),
    /// A field is wrong; the path names it.
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// A resource refers to one that does not exist.
    #[error("{0}")]
    MissingReference(String),
    /// The kind or resource cannot be written through the API.
    #[error("{0}")]
    ReadOnly(String),
    /// A project-scoped name that exists in several projects.
    #[error("{0}")]
    Ambiguous(String),
    #[error("cannot open the database {url}: {message}")]
    Connect { url: String, message: String },
    #[error("cannot apply database migrations: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database connection pool: {0}")]
    Pool(String),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    /// A stored row that does not read back (written by another version, or damaged).
    #[error("stored {what} is unreadable: {message}")]
    Corrupt { what: String, message: String },
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Pool(err.to_string())
    }
}
