//! The agent's error type.

/// Why an executor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The Docker daemon could not be reached.
    #[error("cannot connect to the Docker daemon at {socket}: {source}")]
    Connect {
        /// The socket path.
        socket: String,
        /// The client error.
        source: bollard::errors::Error,
    },
    /// A Docker API call failed.
    #[error("docker {op} {target}: {source}")]
    Docker {
        /// The operation, e.g. "create container".
        op: &'static str,
        /// The container or image involved.
        target: String,
        /// The client error.
        source: bollard::errors::Error,
    },
    /// The image is neither pullable nor present locally.
    #[error(
        "image {image} not found locally and no registry reachable (pull failed: {pull_error})"
    )]
    ImageNotFound {
        /// The image reference.
        image: String,
        /// Why the pull failed.
        pull_error: String,
    },
    /// A routing-mesh port could not be bound.
    #[error("cannot listen on {addr} for the routing mesh: {source} (is another process using the port?)")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

impl AgentError {
    /// True when Docker answered 404 (no such container/image).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            AgentError::Docker {
                source: bollard::errors::Error::DockerResponseServerError {
                    status_code: 404,
                    ..
                },
                ..
            }
        )
    }
}
