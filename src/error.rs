//! The CLI's error type and how each kind maps to an exit code: 2 for input the user must fix
//! (nothing was created), 1 for everything that went wrong while acting.

use crate::spec::{FieldError, SpecError};
use crate::stack::StackError;

/// What a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster spec (flags, file, environment) is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Other invalid input, with every field named.
    #[error("invalid input:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Fields(Vec<FieldError>),
    /// The verb exists but its implementation has not landed yet.
    #[error("`swarm-aws {0}` is not implemented yet")]
    NotImplemented(&'static str),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Talking to AWS or the stack operation failed.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// The local sandbox (emulator, hosts, bootstrap) failed.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// The SSH bootstrap of the instances (or a membership change over it) failed.
    #[error("bootstrap: {0}")]
    Bootstrap(String),
    /// Creating, importing, finding or deleting the cluster's EC2 key pair failed.
    #[error("key pair: {0}")]
    KeyPair(String),
    /// Reaching the cluster's API (SSH, admin certificate, tunnel) or the API itself failed.
    #[error(transparent)]
    ClusterApi(#[from] crate::cluster_api::ClusterApiError),
    /// The user declined (or could not be asked) to confirm.
    #[error("{0}")]
    NotConfirmed(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Spec(_) | Error::Fields(_) | Error::NotImplemented(_) => 2,
            Error::Output(_)
            | Error::NotConfirmed(_)
            | Error::Sandbox(_)
            | Error::Bootstrap(_)
            | Error::KeyPair(_)
            | Error::ClusterApi(_) => 1,
            Error::Stack(StackError::Interrupted { .. }) => 130,
            Error::Stack(StackError::NoRegion)
            | Error::Stack(StackError::UnknownRegion { .. })
            | Error::Stack(StackError::NoCredentials { .. }) => 2,
            Error::Stack(_) => 1,
        }
    }

    /// A one-line suggestion to print after the error, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Stack(e) => e.hint(),
            Error::NotConfirmed(_) => Some("pass --yes to confirm without a prompt".into()),
            _ => None,
        }
    }
}
