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
    #[error("image {image} not found locally nor in registry {registry} (pull failed: {pull_error}; fix: push the image there or build it on every node)")]
    ImageNotFound {
        /// The image reference.
        image: String,
        /// The registry the pull asked ([`crate::docker::registry_of`]).
        registry: String,
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
    /// A started container lacks a binding of one of its ingress target ports.
    #[error("container {container}: {found} of {want} ingress target ports are bound on the publish IP {publish_ip} (is {publish_ip} an address of this host? set the publish IP to the node's advertise address)")]
    PortsNotBound {
        /// The container.
        container: String,
        /// The IP the ports should be bound on.
        publish_ip: std::net::IpAddr,
        /// Bindings found.
        found: usize,
        /// Ingress target ports of the task.
        want: usize,
    },
    /// Part of the routing-mesh table could not be used.
    #[error("{0}")]
    Mesh(String),
    /// No container of this node carries the task's id.
    #[error(
        "task {task_id} has no container on this node (it never started here, or was removed)"
    )]
    NoContainer {
        /// The task.
        task_id: String,
    },
}

impl AgentError {
    /// Running the task again cannot help (its image cannot be had): the controller marks
    /// the task's status [`swarm_api::task::TaskStatus::permanent`].
    pub fn is_permanent(&self) -> bool {
        matches!(self, AgentError::ImageNotFound { .. })
    }

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
