//! The one error of the compatible API: an HTTP status and a message, answered as docker's
//! `{"message": "..."}` body (the CLI prints "Error response from daemon: <message>").

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to a docker client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DockerError {
    /// The HTTP status (docker's: 400 input, 404 unknown, 409 conflict or stale version, ...).
    pub status: u16,
    /// What went wrong and what to do instead.
    pub message: String,
}

impl DockerError {
    /// An error with this status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        DockerError {
            status,
            message: message.into(),
        }
    }

    /// 400: invalid input.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 404: no such object.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// 501: a docker feature swarmd does not have.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(501, message)
    }

    /// 500: the translation failed (a bug, or an answer swarmd should not give).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    /// 400 for a field of a docker request that swarmd cannot honour.
    pub fn unsupported(field: &str, value: &serde_json::Value) -> Self {
        Self::bad_request(format!(
            "unsupported field {field} = {value}: swarmd does not implement it; leave it unset \
             (or zero) and retry"
        ))
    }
}

impl From<swarm_api::spec_error::SpecError> for DockerError {
    fn from(e: swarm_api::spec_error::SpecError) -> Self {
        DockerError::bad_request(e.to_string())
    }
}

/// The body docker answers errors with.
#[derive(serde::Serialize)]
struct Body<'a> {
    message: &'a str,
}

impl IntoResponse for DockerError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(Body {
                message: &self.message,
            }),
        )
            .into_response()
    }
}

/// The result of a handler of the compatible API.
pub type Result<T, E = DockerError> = std::result::Result<T, E>;
