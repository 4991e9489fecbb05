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

use axum::serve::ListenerExt;
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
    let local = listener
        .local_addr()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(true);
    let mcp = mcp_proxy::ProxyConfig::default()
        .with_max_request_body_bytes(config.max_body_bytes)
        // Loopback-only by default (DNS-rebinding protection); a daemon listening on a
        // network address is reached by other host names, so it checks none.
        .with_allowed_hosts(if local {
            mcp_proxy::ProxyConfig::default().allowed_hosts
        } else {
            None
        });
    Ok((
        listener,
        Arc::new(api::AppState {
            store,
            runtime,
            mcp,
        }),
    ))
}

/// How long open requests (a followed log, a long tool call) may take to finish after a
/// shutdown signal before mcpd stops anyway.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves the API on `listener` until `shutdown` completes, then stops the local server
/// processes (containers keep running and are adopted by the next mcpd).
pub async fn serve(
    listener: TcpListener,
    state: Arc<api::AppState>,
    max_body_bytes: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let runtime = Arc::clone(&state.runtime);
    let mcp_sessions = state.mcp.cancellation_token.clone();
    let app = api::router(state, max_body_bytes);
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signalled = Arc::clone(&stopping);
    // Answers go out in more than one write; without TCP_NODELAY a client that keeps its
    // connection waits for its own delayed ACK (~40 ms) before the rest arrives. Keepalive
    // reaps the streams of clients whose host vanished.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = mcp_proxy::tune_tcp(tcp) {
            tracing::warn!("cannot set TCP_NODELAY or keepalive: {err}");
        }
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        mcp_sessions.cancel();
        signalled.notify_one();
    });
    let result = tokio::select! {
        result = server => result.map_err(ServeError::Serve),
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("requests still open {}s after the shutdown signal; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    runtime.shutdown().await;
    result
}
