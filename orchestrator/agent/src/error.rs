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
    /// A task's secret or config files could not be written.
    #[error("secrets and configs: {0}")]
    Files(String),
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
    /// the task's status [`swarm_api::task::TaskStatus::permanent`]. Only when the pull's
    /// failure is final ([`pull_error_is_final`]); a registry that timed out, refused the
    /// connection or answered 5xx may serve the image on the next try.
    pub fn is_permanent(&self) -> bool {
        matches!(self, AgentError::ImageNotFound { pull_error, .. } if pull_error_is_final(pull_error))
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

/// Whether a pull failed for a reason a retry cannot cure: the registry answered that the image,
/// tag or repository does not exist or may not be pulled, or the registry's name cannot be
/// resolved (no such host, or no resolver answers: a node with no way out, as a sandbox host or
/// an instance in a private subnet without NAT). Refused connections, time-outs of a resolved
/// registry and server errors are not final.
pub fn pull_error_is_final(pull_error: &str) -> bool {
    const FINAL: [&str; 8] = [
        "dial tcp: lookup ",
        "manifest unknown",
        "not found",
        "does not exist",
        "pull access denied",
        "unauthorized",
        "no such host",
        "invalid reference format",
    ];
    let e = pull_error.to_ascii_lowercase();
    FINAL.iter().any(|f| e.contains(f))
}

#[cfg(test)]
mod pull_error_tests {
    use super::pull_error_is_final;

    #[test]
    fn only_answers_that_no_retry_can_change_are_final() {
        for e in [
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: no such host",
            "manifest for 127.213.9.1:5000/app:v9 not found: manifest unknown: manifest unknown",
            "pull access denied for nope, repository does not exist or may require 'docker login'",
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.0.0.2:53: read udp 10.213.53.12:51728->10.0.0.2:53: i/o timeout",
        ] {
            assert!(pull_error_is_final(e), "{e}");
        }
        for e in [
            "Get \"http://127.213.9.1:5000/v2/\": dial tcp 127.213.9.1:5000: connect: connection refused",
            "timed out after 120 s",
            "Get \"https://10.0.0.9:5000/v2/\": dial tcp 10.0.0.9:5000: i/o timeout",
            "received unexpected HTTP status: 503 Service Unavailable",
        ] {
            assert!(!pull_error_is_final(e), "{e}");
        }
    }
}
