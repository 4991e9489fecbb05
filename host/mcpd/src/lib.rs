//! mcpd, the mcpctl daemon: it stores resources and (with the runtime) makes them real.
//!
//! `config` loads settings, `api` is the REST API over the `store` crate, `error` shapes
//! every error response. [`serve`] wires them together; `main.rs` only parses flags.

pub mod api;
pub mod config;
pub mod error;
pub mod link;
mod observe;

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

/// Names this mcpd's containers and processes: a digest of where its state lives, so two
/// daemons with different homes never adopt each other's instances.
fn owner_id(config: &Config) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let path = std::fs::canonicalize(&config.secret_key_file)
        .unwrap_or_else(|_| config.secret_key_file.clone());
    path.hash(&mut h);
    config.database_url.hash(&mut h);
    format!("mcpd-{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// Opens the store, starts the runtime and binds the listener: everything that can fail before serving.
pub async fn prepare(config: &Config) -> Result<(TcpListener, Arc<api::AppState>), ServeError> {
    let cipher = match &config.secret_key {
        Some(key) => SecretCipher::from_base64(key, "MCPD_SECRET_KEY")?,
        None => SecretCipher::load_or_create(&config.secret_key_file)?,
    };
    let store = Arc::new(Store::open(&config.database_url, cipher, config.max_connections).await?);
    let runtime = runtime::Runtime::new(
        Arc::clone(&store),
        runtime::RuntimeConfig {
            owner: owner_id(config),
            docker_socket: config.docker_socket.clone(),
            tick: std::time::Duration::from_millis(config.reconcile_interval_ms.max(100)),
        },
    );
    runtime.spawn();
    let listener =
        TcpListener::bind(&config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
    Ok((listener, Arc::new(api::AppState { store, runtime })))
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
