//! mcpd, the mcpctl daemon: it stores resources and (with the runtime) makes them real.
//!
//! `config` loads settings, `api` is the REST API over the `store` crate, `error` shapes
//! every error response. [`serve`] wires them together; `main.rs` only parses flags.

pub mod api;
pub mod config;
pub mod error;

use std::net::SocketAddr;
use std::sync::Arc;

use store::{SecretCipher, Store};
use tokio::net::TcpListener;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Cipher(#[from] store::CipherError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// Opens the store and binds the listener: everything that can fail before serving.
pub async fn prepare(config: &Config) -> Result<(TcpListener, Arc<api::AppState>), ServeError> {
    let cipher = match &config.secret_key {
        Some(key) => SecretCipher::from_base64(key, "MCPD_SECRET_KEY")?,
        None => SecretCipher::load_or_create(&config.secret_key_file)?,
    };
    let store = Store::open(&config.database_url, cipher, config.max_connections).await?;
    let listener =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
    Ok((listener, Arc::new(api::AppState { store })))
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<api::AppState>,
    max_body_bytes: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let app = api::router(state, max_body_bytes);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(ServeError::Serve)
}
