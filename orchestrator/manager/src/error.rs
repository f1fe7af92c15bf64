//! The manager's error enum and its mapping to control-API error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use swarm_api::error::{ErrorBody, ErrorKind};

/// Errors of the manager and its control API.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    /// Invalid input from a client or joining node.
    #[error("{0}")]
    BadRequest(String),
    /// Wrong credentials (token or certificate).
    #[error("{0}")]
    Unauthorized(String),
    /// Not allowed for this caller.
    #[error("{0}")]
    Forbidden(String),
    /// No such object.
    #[error("{0}")]
    NotFound(String),
    /// Conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The managers cannot commit.
    #[error("no quorum: {0}")]
    NoQuorum(String),
    /// The change would lose quorum.
    #[error("{0}")]
    QuorumGuard(String),
    /// This node is not a manager.
    #[error("this node is not a swarm manager; run the command on a manager or promote this node")]
    NotManager,
    /// The manager was restarted under autolock and waits for its unlock key.
    #[error("{0}")]
    Locked(String),
    /// Certificate authority failure.
    #[error("certificate authority: {0}")]
    Ca(String),
    /// Raft failure.
    #[error("raft: {0}")]
    Raft(String),
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] swarm_store::StoreError),
    /// State-directory I/O.
    #[error("{path}: {cause}")]
    Io {
        /// File or directory.
        path: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// TLS configuration.
    #[error(transparent)]
    Tls(#[from] swarm_api::tls::TlsError),
    /// A call to another node failed.
    #[error(transparent)]
    Client(#[from] swarm_api::error::ClientError),
}

impl ManagerError {
    /// The wire error kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ManagerError::BadRequest(_) => ErrorKind::BadRequest,
            ManagerError::Unauthorized(_) => ErrorKind::Unauthorized,
            ManagerError::Forbidden(_) => ErrorKind::Forbidden,
            ManagerError::NotFound(_) => ErrorKind::NotFound,
            ManagerError::Conflict(_) => ErrorKind::Conflict,
            ManagerError::NoQuorum(_) => ErrorKind::NoQuorum,
            ManagerError::QuorumGuard(_) => ErrorKind::QuorumGuard,
            ManagerError::NotManager => ErrorKind::NotManager,
            ManagerError::Locked(_) => ErrorKind::Locked,
            ManagerError::Client(c) => c.kind().unwrap_or(ErrorKind::Internal),
            _ => ErrorKind::Internal,
        }
    }

    /// The wire error body.
    pub fn body(&self) -> ErrorBody {
        match self {
            ManagerError::Client(swarm_api::error::ClientError::Api(b)) => b.clone(),
            _ => ErrorBody {
                kind: self.kind(),
                message: self.to_string(),
            },
        }
    }
}

impl IntoResponse for ManagerError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status =
            StatusCode::from_u16(body.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}
