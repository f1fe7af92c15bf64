//! Errors: the wire form of control-API errors and the client's error enum.

use serde::{Deserialize, Serialize};

/// Category of a control-API error; decides the HTTP status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Malformed or invalid input.
    BadRequest,
    /// No or unacceptable credentials (token, certificate).
    Unauthorized,
    /// Authenticated, but not allowed.
    Forbidden,
    /// The object does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The managers have no quorum; writes cannot be committed.
    NoQuorum,
    /// The change would cost the managers their quorum.
    QuorumGuard,
    /// This node is not a manager.
    NotManager,
    /// The manager is locked (autolock) until `swarmd unlock`.
    Locked,
    /// Anything else.
    Internal,
}

impl ErrorKind {
    /// The HTTP status code for this kind.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict | ErrorKind::QuorumGuard => 409,
            ErrorKind::NotManager => 421,
            ErrorKind::Locked => 423,
            ErrorKind::NoQuorum => 503,
            ErrorKind::Internal => 500,
        }
    }
}

/// JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Category.
    pub kind: ErrorKind,
    /// Human-readable explanation, including what to do instead.
    pub message: String,
}

/// Errors of the control-API client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not connect.
    #[error("cannot connect to {target}: {cause}")]
    Connect {
        /// Socket path or address.
        target: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// TLS setup or handshake failed.
    #[error("TLS with {target} failed: {message}")]
    Tls {
        /// Address.
        target: String,
        /// Cause.
        message: String,
    },
    /// HTTP-level failure.
    #[error("request to {target} failed: {message}")]
    Http {
        /// Socket path or address.
        target: String,
        /// Cause.
        message: String,
    },
    /// The server answered with an error.
    #[error("{}", .0.message)]
    Api(ErrorBody),
    /// The response could not be decoded.
    #[error("cannot decode response from {target}: {message}")]
    Decode {
        /// Socket path or address.
        target: String,
        /// Cause.
        message: String,
    },
    /// Reading credentials failed.
    #[error("cannot read credentials {path}: {message}")]
    Credentials {
        /// File.
        path: String,
        /// Cause.
        message: String,
    },
}

impl ClientError {
    /// The API error kind, if the server answered with one.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            ClientError::Api(b) => Some(b.kind),
            _ => None,
        }
    }
}
