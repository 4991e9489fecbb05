//! What can go wrong running a server.

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The server's definition cannot be run as it is.
    #[error("{0}")]
    Config(String),
    #[error(
        "no container engine: {0}; start Docker (dockerd) or Podman's API socket (podman system service), or set runtime.dockerSocket"
    )]
    NoEngine(String),
    #[error("image {image} is not available: {message}")]
    Image { image: String, message: String },
    #[error("container engine: {0}")]
    Engine(String),
    #[error("cannot start {command}: {message}")]
    Spawn { command: String, message: String },
    #[error("{0}")]
    NoInstances(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<bollard::errors::Error> for RuntimeError {
    fn from(err: bollard::errors::Error) -> Self {
        RuntimeError::Engine(err.to_string())
    }
}
